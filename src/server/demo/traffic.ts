// The demo's visitors: a loop in the server process that calls the demo shop over real HTTP (so the
// middleware sees real sockets and the auth layer real headers) a few times a second, with jitter
// and a seeded mix of browsing, searching, ordering and the occasional slow report. A failed
// request is counted and forgotten: the demo must never take the server down.
import { CATEGORIES } from './db.js';
import { DemoRandom } from './prng.js';

export interface DemoTrafficOptions {
  /** The demo app's URL, e.g. http://127.0.0.1:4318/demo (no trailing slash). */
  baseUrl: string;
  seed: number;
  productCount: number;
  authorization?: string;
  /** Mean gap between request starts; default 200 ms (≈5 requests/s). */
  meanIntervalMs?: number;
  /** Requests allowed in flight at once (slow ones pile up otherwise); default 8. */
  maxInFlight?: number;
}

const SEARCH_TERMS = ['lantern', 'kettle', 'gift', 'velvet', 'chess', 'hand-made', 'ukulele', 'golden', 'zeppelin', 'rustic kite', '100%'];
const REQUEST_TIMEOUT_MS = 10_000;

interface DemoRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

export class DemoTraffic {
  /** Requests answered (any status) and requests that failed on the network. */
  readonly counts = { answered: 0, failed: 0 };
  private readonly opts: Required<Omit<DemoTrafficOptions, 'authorization'>> & { authorization?: string };
  private readonly random: DemoRandom;
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private warned = false;

  constructor(opts: DemoTrafficOptions) {
    this.opts = { meanIntervalMs: 200, maxInFlight: 8, ...opts };
    this.random = new DemoRandom(opts.seed);
  }

  start(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.schedule();
  }

  /** Stops the loop and cancels requests in flight; resolves when they have all settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await Promise.all(this.inFlight);
  }

  private schedule(): void {
    // Uniform jitter between 25 % and 175 % of the mean: bursty enough to look like real visitors.
    const mean = this.opts.meanIntervalMs;
    this.timer = setTimeout(() => this.tick(), mean * (0.25 + 1.5 * this.random.float()));
    this.timer.unref();
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.inFlight.size < this.opts.maxInFlight) {
      const p = this.send(this.next()).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
    this.schedule();
  }

  /** The next visitor action. Ids past productCount are unknown products (404s). */
  private next(): DemoRequest {
    const r = this.random;
    const productId = () => (r.chance(0.06) ? r.int(this.opts.productCount + 1, this.opts.productCount * 10) : r.int(1, this.opts.productCount));
    switch (r.weighted<string>([['list', 25], ['product', 35], ['search', 15], ['order', 17], ['slow', 5], ['index', 3]])) {
      case 'list':
        return { method: 'GET', path: r.chance(0.6) ? `/products?category=${r.pick(CATEGORIES)}` : `/products?limit=${r.int(5, 50)}` };
      case 'product':
        return { method: 'GET', path: `/products/${productId()}` };
      case 'search':
        return { method: 'GET', path: `/search?q=${encodeURIComponent(r.pick(SEARCH_TERMS))}` };
      case 'order':
        return { method: 'POST', path: '/orders', body: { productId: productId(), quantity: r.int(1, 4) } };
      case 'slow':
        return { method: 'GET', path: '/slow' };
      default:
        return { method: 'GET', path: '' };
    }
  }

  private async send(req: DemoRequest): Promise<void> {
    const headers: Record<string, string> = { 'user-agent': 'timeless-demo-traffic' };
    if (this.opts.authorization !== undefined) headers.authorization = this.opts.authorization;
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    // One controller per request, aborted by its timeout or by stop() (AbortSignal.any needs Node 20.3).
    const request = new AbortController();
    const cancel = () => request.abort();
    const timeout = setTimeout(cancel, REQUEST_TIMEOUT_MS).unref();
    this.abort.signal.addEventListener('abort', cancel);
    try {
      const res = await fetch(`${this.opts.baseUrl}${req.path}`, {
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: request.signal,
      });
      await res.arrayBuffer();
      this.counts.answered++;
    } catch (err) {
      if (this.stopped) return;
      this.counts.failed++;
      if (!this.warned) {
        this.warned = true;
        console.warn(`timeless: demo traffic request ${req.method} ${req.path} failed (further failures are not reported): ${(err as Error)?.message ?? String(err)}`);
      }
    } finally {
      clearTimeout(timeout);
      this.abort.signal.removeEventListener('abort', cancel);
    }
  }
}
