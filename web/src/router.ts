// Hash routing: `#/<page>?<params>`. A hash change (link, back/forward, edited URL) unmounts the
// current page and mounts the named one; a page's own parameter updates use history.replaceState,
// which changes the shareable link without a remount or a history entry per keystroke.
import type { Api } from './api.js';
import type { Page, PageContext } from './page.js';
import { h, errorText, setChildren } from './dom.js';

export interface Route {
  page: string;
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const s = hash.replace(/^#\/?/, '');
  const q = s.indexOf('?');
  const page = decodeURIComponent(q < 0 ? s : s.slice(0, q));
  return { page, params: new URLSearchParams(q < 0 ? '' : s.slice(q + 1)) };
}

export function buildHash(page: string, params?: URLSearchParams | Record<string, string>): string {
  const p = params instanceof URLSearchParams ? params : new URLSearchParams(params ?? {});
  const qs = p.toString();
  return `#/${encodeURIComponent(page)}${qs ? `?${qs}` : ''}`;
}

export class Router {
  private unmount: (() => void) | undefined;
  private readonly byId: Map<string, Page>;

  constructor(
    pages: readonly Page[],
    private readonly outlet: HTMLElement,
    private readonly api: Api,
    private readonly defaultPage: string,
    private readonly onRoute: (pageId: string) => void,
  ) {
    this.byId = new Map(pages.map((p) => [p.id, p]));
  }

  start(): void {
    window.addEventListener('hashchange', () => this.render());
    this.render();
  }

  private render(): void {
    const route = parseHash(window.location.hash);
    if (route.page === '') {
      // No page named: land on the default without adding a history entry.
      history.replaceState(null, '', buildHash(this.defaultPage));
      route.page = this.defaultPage;
    }
    this.teardown();
    this.onRoute(route.page);
    const page = this.byId.get(route.page);
    if (!page) {
      setChildren(this.outlet, h('section', { class: 'panel' }, h('h2', null, 'Page not found'), h('p', null, `No page named '${route.page}'. `, h('a', { href: buildHash(this.defaultPage) }, 'Go to the start page'))));
      return;
    }
    document.title = `${page.title} · Timeless`;
    const el = h('div', { class: `page page-${page.id}` });
    setChildren(this.outlet, el);
    const ctx: PageContext = {
      api: this.api,
      params: route.params,
      setParams: (params) => history.replaceState(null, '', buildHash(page.id, params)),
      navigate: (id, params) => {
        window.location.hash = buildHash(id, params);
      },
    };
    try {
      this.unmount = page.mount(el, ctx);
    } catch (err) {
      // A page that fails to mount shows why instead of a blank screen.
      console.warn('timeless: page failed to mount', err);
      setChildren(el, h('p', { class: 'error' }, `This page failed to load: ${errorText(err)}`));
    }
  }

  private teardown(): void {
    const u = this.unmount;
    this.unmount = undefined;
    if (u) {
      try {
        u();
      } catch (err) {
        console.warn('timeless: page teardown failed', err);
      }
    }
  }
}
