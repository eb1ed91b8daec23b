// HTTP access to the store's REST API. The server injects `window.__TIMELESS__.apiBase`: the path from
// the dashboard's own URL to the app's root (e.g. './' or '../'), so the dashboard works under any
// mount prefix; requests are same-origin, so basic auth the browser already holds is sent along.

export interface ApiError {
  status: number;
  code: string;
  message: string;
}

declare global {
  interface Window {
    __TIMELESS__?: { apiBase: string };
  }
}

/** SSE event name → handler of its parsed JSON data (`any`, so a handler declares the shape it expects). */
export type TailHandlers = Record<string, (data: any) => void>;

export class Api {
  readonly base: URL;

  constructor(apiBase = window.__TIMELESS__?.apiBase ?? './') {
    this.base = new URL(apiBase, window.location.href);
  }

  /** Absolute URL of an app path like 'api/v1/stats' (no leading slash), with query parameters. */
  url(path: string, params?: Record<string, string | number | undefined> | URLSearchParams): string {
    const u = new URL(path, this.base);
    if (params instanceof URLSearchParams) params.forEach((v, k) => u.searchParams.append(k, v));
    else if (params) for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') u.searchParams.set(k, String(v));
    return u.toString();
  }

  async get<T>(path: string, params?: Record<string, string | number | undefined> | URLSearchParams): Promise<T> {
    return this.request<T>(this.url(path, params), { method: 'GET' });
  }

  async post<T>(path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method: 'POST' };
    if (body !== undefined) {
      init.headers = { 'content-type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    return this.request<T>(this.url(path), init);
  }

  async delete<T>(path: string): Promise<T> {
    return this.request<T>(this.url(path), { method: 'DELETE' });
  }

  /**
   * Live tail: an EventSource on an SSE route; returns a function that closes it. Either one event
   * name and its handler (`'log', onEntry`), or a handler per event (`{ log: onEntry, dropped: onDropped }`)
   * for routes that send more than the items. Each event's data is parsed as JSON.
   */
  tail<T>(path: string, params: Record<string, string | number | undefined>, event: string, onItem: (item: T) => void): () => void;
  tail(path: string, params: Record<string, string | number | undefined>, handlers: TailHandlers): () => void;
  tail<T>(path: string, params: Record<string, string | number | undefined>, event: string | TailHandlers, onItem?: (item: T) => void): () => void {
    const handlers: TailHandlers = typeof event === 'string' ? { [event]: onItem as (data: unknown) => void } : event;
    const es = new EventSource(this.url(path, params));
    for (const [name, handle] of Object.entries(handlers)) {
      es.addEventListener(name, (e) => handle(JSON.parse((e as MessageEvent<string>).data)));
    }
    return () => es.close();
  }

  private async request<T>(url: string, init: RequestInit): Promise<T> {
    const res = await fetch(url, { ...init, credentials: 'same-origin' });
    const text = await res.text();
    let body: unknown = undefined;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON: reported below when the status is an error
    }
    if (!res.ok) {
      const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
      const err: ApiError = { status: res.status, code: e?.code ?? `HTTP_${res.status}`, message: e?.message ?? (text.slice(0, 200) || res.statusText) };
      throw Object.assign(new Error(`${err.code}: ${err.message}`), err);
    }
    return body as T;
  }
}
