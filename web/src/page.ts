// The contract between the dashboard shell (main.ts: router, URL state, theme, nav) and its pages.
// A page renders into the element it is given and returns a function that tears it down (timers,
// EventSources, charts). Everything a page keeps in the URL goes through `ctx.params` so links are
// shareable: the hash is `#/<page>?<params>`.
import type { Api } from './api.js';

export interface PageContext {
  api: Api;
  /** This page's URL parameters (from the hash), read once at mount. */
  params: URLSearchParams;
  /** Replaces this page's URL parameters (history.replaceState: no reload, shareable link updated). */
  setParams(params: URLSearchParams): void;
  /** Goes to another page with parameters (e.g. from a chart selection to the logs of that window). */
  navigate(page: string, params?: Record<string, string>): void;
}

export interface Page {
  /** Name in the hash (`#/logs`) and the nav. */
  id: string;
  title: string;
  mount(el: HTMLElement, ctx: PageContext): () => void;
}
