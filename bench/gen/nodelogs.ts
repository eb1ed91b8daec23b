// Seeded "Node web app logs": what a shop backend (an HTTP API on two pods, a job worker on a third)
// writes through pino with the OpenTelemetry instrumentation, as LogInput entries. It is the logs
// engine's standard workload (issue #4), so it aims to be honest rather than flattering:
// - ids are random: request ids are v4 uuids, trace/span ids random hex, entity ids in paths drawn
//   from large ranges, user ids from a skewed pool of 20,000;
// - numbers vary: durations are log-normal with µs decimals, row counts and sizes random;
// - entries of concurrent requests interleave (a few requests are in flight at once), so neighbouring
//   lines rarely share a trace;
// - timestamps are Poisson arrivals at ns precision around `ratePerSec` (optionally following a
//   day/night load cycle), never a regular clock;
// - stack traces repeat per code path (same file:line:col for the same throw site), as in
//   production, but the messages inside them carry the failing request's values.
// Level mix (measured by test/bench-logs.test.ts): ~70% info, ~25% debug, ~3% warn, ~0.5-1% error,
// a fatal (and the restart that follows it) once in a few hundred thousand lines.
//
// toNdjsonLine() renders an entry as the pino line the same app would otherwise append to a file:
// the "raw" that the logs compression ratio is measured against.
import type { Attributes, AttrValue, LogInput, LogLevel, Resource } from '../../src/logs/types.js';
import { Prng } from './prng.js';

export interface NodeLogsOptions {
  /** Total entries generated (exactly). */
  entries: number;
  seed: number;
  /** Epoch ms of the first entry. */
  fromMs: number;
  /** Mean arrival rate (default 200 entries/s). */
  ratePerSec?: number;
  /** Entries per yielded batch (default 1000; the last batch may be shorter). */
  batch?: number;
  /** Modulate the rate with a day/night cycle (peak mid-afternoon, ~5x lower at night). Default false. */
  dayNight?: boolean;
}

type Draft = Omit<LogInput, 'tsNs' | 'tsMs'> & { level: LogLevel; attributes: Attributes; resource: Resource };

const VERSION = '2.14.3';
const NODE = 'v20.12.2';

interface Host {
  service: string;
  host: string;
  pid: number;
  resource: Resource;
}

// ---------------------------------------------------------------- helpers

function uuid(rng: Prng): string {
  const h = rng.hex(32);
  const variant = '89ab'[rng.u32() & 3];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20)}`;
}

/** Log-normal milliseconds around `medianMs`, rounded to µs (performance.now() deltas). */
function durationMs(rng: Prng, medianMs: number, sigma: number): number {
  return Math.round(medianMs * Math.exp(rng.normal() * sigma) * 1000) / 1000;
}

function chance(rng: Prng, p: number): boolean {
  return rng.float() < p;
}

function clientIp(rng: Prng): string {
  // Behind a load balancer clients come from a few provider ranges, not uniformly from 2^32.
  return `${rng.pick([10, 81, 94, 172, 185, 203])}.${rng.int(0, 63)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
  'ShopApp/3.8.1 (iOS 17.4.1; iPhone15,2)',
  'okhttp/4.12.0',
  'curl/8.5.0',
  'python-requests/2.31.0',
];

const SEARCH_TERMS = ['shoes', 'running shoes', 'jacket', 'usb-c cable', 'coffee grinder', 'desk lamp', 'backpack', 'headphones', 'yoga mat', 'water bottle'];

// ---------------------------------------------------------------- SQL

interface Sql {
  op: string;
  table: string;
  text: string;
  params: (rng: Prng, ctx: Ctx) => AttrValue[];
  rows: (rng: Prng) => number;
  medianMs: number;
}

interface Ctx {
  userId: string;
  entityId: number;
}

const SQL: Record<string, Sql> = {
  userById: { op: 'SELECT', table: 'users', text: 'SELECT id, email, name, created_at FROM users WHERE id = $1', params: (_r, c) => [Number(c.userId)], rows: () => 1, medianMs: 0.9 },
  userByEmail: { op: 'SELECT', table: 'users', text: 'SELECT id, password_hash, locked_until FROM users WHERE email = $1', params: (r) => [`${r.hex(6)}@${r.pick(['gmail.com', 'outlook.com', 'example.org', 'proton.me'])}`], rows: (r) => (chance(r, 0.9) ? 1 : 0), medianMs: 1.1 },
  productList: { op: 'SELECT', table: 'products', text: 'SELECT p.id, p.name, p.price_cents, p.currency FROM products p WHERE p.category_id = $1 AND p.active ORDER BY p.rank DESC LIMIT $2 OFFSET $3', params: (r) => [r.int(1, 48), 24, 24 * r.int(0, 9)], rows: (r) => r.int(0, 24), medianMs: 3.2 },
  productById: { op: 'SELECT', table: 'products', text: 'SELECT id, name, description, price_cents, currency, stock FROM products WHERE id = $1', params: (_r, c) => [c.entityId], rows: (r) => (chance(r, 0.97) ? 1 : 0), medianMs: 0.8 },
  orderById: { op: 'SELECT', table: 'orders', text: 'SELECT id, user_id, status, total_cents, created_at FROM orders WHERE id = $1 AND user_id = $2', params: (_r, c) => [c.entityId, Number(c.userId)], rows: (r) => (chance(r, 0.95) ? 1 : 0), medianMs: 1.0 },
  orderItems: { op: 'SELECT', table: 'order_items', text: 'SELECT product_id, quantity, unit_price_cents FROM order_items WHERE order_id = $1', params: (_r, c) => [c.entityId], rows: (r) => r.int(1, 9), medianMs: 1.4 },
  ordersByUser: { op: 'SELECT', table: 'orders', text: 'SELECT id, status, total_cents, created_at FROM orders WHERE user_id = $1 ORDER BY created_at DESC LIMIT 20', params: (_r, c) => [Number(c.userId)], rows: (r) => r.int(0, 20), medianMs: 2.6 },
  insertOrder: { op: 'INSERT', table: 'orders', text: 'INSERT INTO orders (user_id, status, total_cents, currency) VALUES ($1, $2, $3, $4) RETURNING id', params: (r, c) => [Number(c.userId), 'pending', r.int(499, 59_999), 'EUR'], rows: () => 1, medianMs: 2.1 },
  insertItems: { op: 'INSERT', table: 'order_items', text: 'INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) SELECT * FROM unnest($1::int[], $2::int[], $3::int[], $4::int[])', params: (r, c) => [c.entityId, r.int(1, 5)], rows: (r) => r.int(1, 6), medianMs: 2.8 },
  reserveStock: { op: 'UPDATE', table: 'products', text: 'UPDATE products SET stock = stock - $2 WHERE id = $1 AND stock >= $2', params: (r) => [r.int(1, 80_000), r.int(1, 3)], rows: (r) => (chance(r, 0.98) ? 1 : 0), medianMs: 1.7 },
  cartByUser: { op: 'SELECT', table: 'cart_items', text: 'SELECT product_id, quantity FROM cart_items WHERE user_id = $1', params: (_r, c) => [Number(c.userId)], rows: (r) => r.int(0, 12), medianMs: 0.9 },
  upsertCart: { op: 'INSERT', table: 'cart_items', text: 'INSERT INTO cart_items (user_id, product_id, quantity) VALUES ($1, $2, $3) ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity', params: (r, c) => [Number(c.userId), c.entityId, r.int(1, 4)], rows: () => 1, medianMs: 1.3 },
  deleteCart: { op: 'DELETE', table: 'cart_items', text: 'DELETE FROM cart_items WHERE user_id = $1 AND product_id = $2', params: (_r, c) => [Number(c.userId), c.entityId], rows: (r) => (chance(r, 0.9) ? 1 : 0), medianMs: 1.0 },
  search: { op: 'SELECT', table: 'products', text: "SELECT id, name, ts_rank(search, q) AS rank FROM products, plainto_tsquery('english', $1) q WHERE search @@ q ORDER BY rank DESC LIMIT 24", params: (r) => [r.pick(SEARCH_TERMS)], rows: (r) => r.int(0, 24), medianMs: 7.5 },
  updateUser: { op: 'UPDATE', table: 'users', text: 'UPDATE users SET name = $2, updated_at = now() WHERE id = $1', params: (r, c) => [Number(c.userId), `user ${r.hex(4)}`], rows: () => 1, medianMs: 1.5 },
  invoiceById: { op: 'SELECT', table: 'invoices', text: 'SELECT id, order_id, number, issued_at, pdf_key FROM invoices WHERE id = $1', params: (_r, c) => [c.entityId], rows: (r) => (chance(r, 0.97) ? 1 : 0), medianMs: 0.9 },
  pendingJobs: { op: 'SELECT', table: 'jobs', text: "SELECT id, name, payload FROM jobs WHERE status = 'queued' AND run_at <= now() ORDER BY run_at LIMIT $1 FOR UPDATE SKIP LOCKED", params: (r) => [r.pick([10, 25, 50])], rows: (r) => r.int(0, 50), medianMs: 2.2 },
  expireSessions: { op: 'DELETE', table: 'sessions', text: 'DELETE FROM sessions WHERE expires_at < now()', params: () => [], rows: (r) => r.int(0, 900), medianMs: 18 },
};

// ---------------------------------------------------------------- routes

interface Outgoing {
  peer: string;
  method: string;
  path: (rng: Prng) => string;
  medianMs: number;
}

interface Route {
  method: string;
  route: string;
  weight: number;
  /** A real id in place of each :param. */
  path: (rng: Prng, ctx: Ctx) => string;
  sql: string[];
  cacheKey?: (ctx: Ctx) => string;
  outgoing?: { call: Outgoing; p: number };
  /** A business event the handler logs at info. */
  event?: { p: number; msg: (rng: Prng, ctx: Ctx) => string; attrs: (rng: Prng, ctx: Ctx) => Attributes };
  /** Status on success. */
  ok: number;
  authenticated: boolean;
  entityMax: number;
}

const PAYMENTS: Outgoing = { peer: 'payments.internal', method: 'POST', path: () => '/v1/charges', medianMs: 180 };
const PDF: Outgoing = { peer: 'pdf-renderer.internal', method: 'POST', path: () => '/render', medianMs: 420 };
const RECS: Outgoing = { peer: 'recommendations.internal', method: 'GET', path: (r) => `/v2/recs?user=${r.int(1, 2_000_000)}&n=12`, medianMs: 35 };

const ROUTES: Route[] = [
  { method: 'GET', route: '/api/products', weight: 14, path: (r) => `/api/products?category=${r.int(1, 48)}&page=${r.int(1, 10)}`, sql: ['productList'], cacheKey: () => 'products:list', ok: 200, authenticated: false, entityMax: 1 },
  { method: 'GET', route: '/api/products/:id', weight: 16, path: (_r, c) => `/api/products/${c.entityId}`, sql: ['productById'], cacheKey: (c) => `product:${c.entityId}`, outgoing: { call: RECS, p: 0.25 }, ok: 200, authenticated: false, entityMax: 80_000 },
  { method: 'GET', route: '/api/orders/:id', weight: 10, path: (_r, c) => `/api/orders/${c.entityId}`, sql: ['orderById', 'orderItems'], ok: 200, authenticated: true, entityMax: 4_000_000 },
  { method: 'GET', route: '/api/users/:id/orders', weight: 6, path: (_r, c) => `/api/users/${c.userId}/orders`, sql: ['ordersByUser'], ok: 200, authenticated: true, entityMax: 1 },
  {
    method: 'POST', route: '/api/orders', weight: 5, path: () => '/api/orders', sql: ['cartByUser', 'insertOrder', 'insertItems', 'reserveStock'], outgoing: { call: PAYMENTS, p: 0.9 }, ok: 201, authenticated: true, entityMax: 4_000_000,
    event: { p: 1, msg: (r, c) => `order ${c.entityId} created for user ${c.userId}: ${r.int(1, 9)} items, total ${(r.int(499, 59_999) / 100).toFixed(2)} EUR`, attrs: (r, c) => ({ 'order.id': c.entityId, 'payment.method': r.pick(['card', 'card', 'card', 'paypal', 'sepa']) }) },
  },
  { method: 'GET', route: '/api/cart', weight: 9, path: () => '/api/cart', sql: ['cartByUser'], cacheKey: (c) => `cart:${c.userId}`, ok: 200, authenticated: true, entityMax: 1 },
  { method: 'PUT', route: '/api/cart/items/:id', weight: 4, path: (_r, c) => `/api/cart/items/${c.entityId}`, sql: ['productById', 'upsertCart'], ok: 200, authenticated: true, entityMax: 80_000 },
  { method: 'DELETE', route: '/api/cart/items/:id', weight: 2, path: (_r, c) => `/api/cart/items/${c.entityId}`, sql: ['deleteCart'], ok: 204, authenticated: true, entityMax: 80_000 },
  {
    method: 'POST', route: '/api/auth/login', weight: 3, path: () => '/api/auth/login', sql: ['userByEmail'], ok: 200, authenticated: false, entityMax: 1,
    event: { p: 0.9, msg: (r, c) => `user ${c.userId} logged in via ${r.pick(['password', 'password', 'google', 'apple'])}`, attrs: (r) => ({ 'session.id': r.hex(24) }) },
  },
  { method: 'GET', route: '/api/search', weight: 6, path: (r) => `/api/search?q=${encodeURIComponent(r.pick(SEARCH_TERMS))}&page=${r.int(1, 4)}`, sql: ['search'], ok: 200, authenticated: false, entityMax: 1 },
  { method: 'GET', route: '/api/users/:id', weight: 4, path: (_r, c) => `/api/users/${c.userId}`, sql: ['userById'], cacheKey: (c) => `user:${c.userId}`, ok: 200, authenticated: true, entityMax: 1 },
  { method: 'PATCH', route: '/api/users/:id', weight: 1, path: (_r, c) => `/api/users/${c.userId}`, sql: ['userById', 'updateUser'], ok: 200, authenticated: true, entityMax: 1 },
  { method: 'GET', route: '/api/invoices/:id/pdf', weight: 1, path: (_r, c) => `/api/invoices/${c.entityId}/pdf`, sql: ['invoiceById'], outgoing: { call: PDF, p: 1 }, ok: 200, authenticated: true, entityMax: 900_000 },
  { method: 'GET', route: '/health', weight: 6, path: () => '/health', sql: [], ok: 200, authenticated: false, entityMax: 1 },
];
const ROUTE_WEIGHT = ROUTES.reduce((s, r) => s + r.weight, 0);

// ---------------------------------------------------------------- errors

interface Failure {
  type: string;
  message: (rng: Prng, ctx: Ctx) => string;
  /** Alternative throw sites: each a fixed list of frames (production stacks repeat per site). */
  sites: string[][];
  status: number;
}

const EXPRESS_TAIL = [
  'at Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)',
  'at next (/app/node_modules/express/lib/router/route.js:149:13)',
  'at Route.dispatch (/app/node_modules/express/lib/router/route.js:119:3)',
];
const ASYNC_TAIL = ['at process.processTicksAndRejections (node:internal/process/task_queues:95:5)'];

const FAILURES: Failure[] = [
  {
    type: 'TypeError', status: 500, message: () => "Cannot read properties of undefined (reading 'id')",
    sites: [
      ['at OrderService.toDto (/app/dist/services/order-service.js:212:41)', 'at Array.map (<anonymous>)', 'at OrderService.getOrder (/app/dist/services/order-service.js:87:30)', ...ASYNC_TAIL, 'at async getOrder (/app/dist/routes/orders.js:31:19)'],
      ['at priceWithDiscount (/app/dist/lib/pricing.js:44:27)', 'at CartService.total (/app/dist/services/cart-service.js:63:22)', ...ASYNC_TAIL, 'at async createOrder (/app/dist/routes/orders.js:58:23)'],
    ],
  },
  {
    type: 'Error', status: 503, message: () => `connect ECONNREFUSED 10.0.3.17:5432`,
    sites: [['at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1595:16)'], ['at Connection.connect (/app/node_modules/pg/lib/connection.js:45:17)', 'at Client._connect (/app/node_modules/pg/lib/client.js:106:11)', 'at BoundPool.connect (/app/node_modules/pg-pool/index.js:230:10)']],
  },
  {
    type: 'TimeoutError', status: 504, message: (r) => `Query read timeout after ${r.pick([5000, 5000, 10000])}ms`,
    sites: [['at Timeout._onTimeout (/app/node_modules/pg/lib/client.js:178:21)', 'at listOnTimeout (node:internal/timers:573:17)', 'at process.processTimers (node:internal/timers:514:7)']],
  },
  {
    type: 'DatabaseError', status: 409, message: (_r, c) => `duplicate key value violates unique constraint "cart_items_pkey" (user_id, product_id)=(${c.userId}, ${c.entityId})`,
    sites: [['at Parser.parseErrorMessage (/app/node_modules/pg-protocol/dist/parser.js:283:98)', 'at Parser.handlePacket (/app/node_modules/pg-protocol/dist/parser.js:122:29)', 'at Parser.parse (/app/node_modules/pg-protocol/dist/parser.js:35:38)', 'at Socket.<anonymous> (/app/node_modules/pg-protocol/dist/index.js:11:42)']],
  },
  {
    type: 'FetchError', status: 502, message: (_r) => `request to https://payments.internal/v1/charges failed, reason: socket hang up`,
    sites: [['at ClientRequest.<anonymous> (/app/node_modules/node-fetch/lib/index.js:1501:11)', 'at ClientRequest.emit (node:events:518:28)', 'at TLSSocket.socketOnEnd (node:_http_client:524:9)']],
  },
  {
    type: 'RangeError', status: 500, message: (r) => `Invalid time value: ${r.pick(['NaN', `${r.int(10_000, 99_999)}-13-45`])}`,
    sites: [['at Date.toISOString (<anonymous>)', 'at formatInvoiceDate (/app/dist/lib/dates.js:12:25)', 'at InvoiceService.render (/app/dist/services/invoice-service.js:71:18)', ...ASYNC_TAIL]],
  },
];

/** message, exception.* attributes: the stack as pino's err serializer renders it. */
function exception(rng: Prng, f: Failure, ctx: Ctx): { message: string; attributes: Attributes } {
  const msg = f.message(rng, ctx);
  const frames = rng.pick(f.sites);
  const tail = f.type === 'TypeError' || f.type === 'RangeError' ? EXPRESS_TAIL.slice(0, rng.int(0, 3)) : [];
  const stack = `${f.type}: ${msg}\n` + [...frames, ...tail].map((l) => `    ${l}`).join('\n');
  return { message: stack, attributes: { 'exception.type': f.type, 'exception.message': msg, 'exception.stacktrace': stack } };
}

// ---------------------------------------------------------------- scripts

/** The drafts one request (or one job) logs, in order; timestamps come at emission. */
type Script = Draft[];

class Workload {
  private readonly users: string[];
  readonly api: Host[];
  readonly worker: Host;
  private restarts = 0;

  constructor(private readonly rng: Prng) {
    // 20,000 distinct user ids from a 7-digit range; a few are very active (skewed pick below).
    this.users = Array.from({ length: 20_000 }, () => String(rng.int(1, 9_999_999)));
    const pod = rng.hex(9);
    this.api = [0, 1].map(() => this.host('shop-api', `shop-api-${pod}-${rng.hex(5)}`));
    this.worker = this.host('shop-worker', `shop-worker-${rng.hex(9)}-${rng.hex(5)}`);
  }

  private host(service: string, host: string): Host {
    const pid = this.rng.int(7, 60);
    return { service, host, pid, resource: { 'service.name': service, 'host.name': host, 'service.version': VERSION, 'process.pid': pid } };
  }

  private user(): string {
    const u = this.rng.float();
    return this.users[Math.floor(u * u * u * this.users.length)];
  }

  private draft(h: Host, level: LogLevel, message: string, attributes: Attributes, traceId?: string, spanId?: string): Draft {
    const d: Draft = { level, message, attributes, resource: h.resource };
    if (traceId) {
      d.traceId = traceId;
      d.spanId = spanId;
    }
    return d;
  }

  startup(h: Host): Script {
    const rng = this.rng;
    const lines: Script = [this.draft(h, 'info', `${h.service} ${VERSION} starting (node ${NODE}, env=production, pid ${h.pid})`, { 'deployment.environment': 'production' })];
    lines.push(this.draft(h, 'info', `connected to postgresql at db-primary.internal:5432 (pool min=2 max=${rng.pick([10, 20])})`, { 'db.system': 'postgresql', 'server.address': 'db-primary.internal', 'server.port': 5432, duration_ms: durationMs(rng, 38, 0.4) }));
    lines.push(this.draft(h, 'info', 'connected to redis at redis.internal:6379', { 'db.system': 'redis', 'server.address': 'redis.internal', 'server.port': 6379, duration_ms: durationMs(rng, 6, 0.4) }));
    if (h.service === 'shop-api') lines.push(this.draft(h, 'info', 'Server listening at http://0.0.0.0:3000', { 'server.port': 3000 }));
    else lines.push(this.draft(h, 'info', `worker ready: queues default, mail, reports (concurrency ${rng.pick([4, 8])})`, {}));
    return lines;
  }

  /** Graceful shutdown (a deploy) or a crash, then the same host restarting with a new pid. */
  restart(fatal: boolean): Script {
    const rng = this.rng;
    const all = [...this.api, this.worker];
    const h = all[rng.u32() % all.length];
    const lines: Script = [];
    if (fatal) {
      const msg = 'Maximum call stack size exceeded';
      const stack = `RangeError: ${msg}\n    at flattenCategories (/app/dist/lib/categories.js:18:22)\n` + '    at flattenCategories (/app/dist/lib/categories.js:24:16)\n'.repeat(rng.int(3, 9)) + '    at CategoryCache.refresh (/app/dist/services/category-cache.js:52:31)';
      lines.push(this.draft(h, 'fatal', stack, { 'exception.type': 'RangeError', 'exception.message': msg, 'exception.stacktrace': stack }));
    } else {
      lines.push(this.draft(h, 'info', 'received SIGTERM, shutting down gracefully', { 'process.signal': 'SIGTERM' }));
      lines.push(this.draft(h, 'info', `closing server: ${rng.int(0, 40)} open connections, waiting up to 10000ms`, {}));
      lines.push(this.draft(h, 'info', 'database pool drained', { 'db.system': 'postgresql' }));
      lines.push(this.draft(h, 'info', `shutdown complete in ${durationMs(rng, 800, 0.5)}ms`, {}));
    }
    this.restarts++;
    h.pid = rng.int(7, 60) + this.restarts;
    h.resource = { ...h.resource, 'process.pid': h.pid };
    return [...lines, ...this.startup(h)];
  }

  request(): Script {
    const rng = this.rng;
    const h = this.api[rng.u32() & 1];
    let pickW = rng.float() * ROUTE_WEIGHT;
    let route = ROUTES[0];
    for (const r of ROUTES) if ((pickW -= r.weight) < 0) { route = r; break; }
    const ctx: Ctx = { userId: this.user(), entityId: rng.int(1, route.entityMax) };
    const traceId = rng.hex(32);
    const serverSpan = rng.hex(16);
    const requestId = uuid(rng);
    const path = route.path(rng, ctx);
    const out: Script = [];
    const base = (): Attributes => ({ request_id: requestId, 'http.request.method': route.method, 'http.route': route.route });
    const inReq = (level: LogLevel, message: string, attrs: Attributes, span = serverSpan) => out.push(this.draft(h, level, message, { ...base(), ...attrs }, traceId, span));
    let spentMs = 0;

    // Outcome first: it decides how far the handler gets.
    const o = rng.float();
    const outcome = route.route === '/health' ? 'ok' : o < 0.03 ? 'notFound' : o < 0.04 ? 'badRequest' : o < 0.048 ? 'unauthorized' : o < 0.051 ? 'rateLimited' : o < 0.057 ? 'failed' : 'ok';
    if (rng.float() < 0.12 && route.route !== '/health') inReq('debug', `incoming request ${route.method} ${path}`, { 'url.path': path, 'client.address': clientIp(rng) });
    if (outcome === 'rateLimited') {
      inReq('warn', `rate limit exceeded for user ${ctx.userId}: ${rng.int(121, 400)} requests in 60s (limit 120)`, { 'user.id': ctx.userId, 'rate_limit.limit': 120 });
    }
    if (outcome === 'unauthorized' || outcome === 'badRequest' || outcome === 'rateLimited') {
      if (outcome === 'badRequest') inReq('debug', `validation failed: body.${rng.pick(['email', 'quantity', 'items[0].productId', 'address.zip'])} ${rng.pick(['must be string', 'must be >= 1', 'is required', 'must match pattern "^[0-9]{5}$"'])}`, {});
    } else {
      if (route.cacheKey && rng.float() < 0.35) {
        const hit = rng.float() < 0.78;
        const ms = durationMs(rng, 0.4, 0.5);
        spentMs += ms;
        inReq('debug', `cache ${hit ? 'hit' : 'miss'} ${route.cacheKey(ctx)}`, { 'cache.key': route.cacheKey(ctx), 'cache.hit': hit, duration_ms: ms });
      }
      const failAt = outcome === 'failed' ? rng.int(0, route.sql.length) : -1;
      for (let i = 0; i < route.sql.length; i++) {
        const q = SQL[route.sql[i]];
        const ms = durationMs(rng, q.medianMs, 0.7) + (rng.float() < 0.004 ? rng.int(1000, 6000) : 0);
        spentMs += ms;
        const rows = outcome === 'notFound' && i === 0 ? 0 : q.rows(rng);
        const attrs: Attributes = { 'db.system': 'postgresql', 'db.operation.name': q.op, 'db.collection.name': q.table, 'db.statement': q.text, 'db.query.parameters': q.params(rng, ctx), 'db.response.rows': rows, duration_ms: ms };
        if (rng.float() < 0.15) inReq('debug', `${q.op} ${q.table} ${rows} rows in ${ms}ms`, attrs, rng.hex(16));
        if (ms >= 1000) inReq('warn', `slow query: ${q.op} ${q.table} took ${ms}ms (threshold 1000ms)`, attrs, rng.hex(16));
        if (i === failAt) break;
        if (outcome === 'notFound' && i === 0) break;
      }
      if (route.outgoing && outcome !== 'notFound' && rng.float() < route.outgoing.p) {
        const c = route.outgoing.call;
        const span = rng.hex(16);
        const url = `https://${c.peer}${c.path(rng)}`;
        let status = rng.float() < 0.985 ? 200 : rng.pick([500, 502, 503]);
        const attempt = status !== 200 ? rng.int(2, 3) : 1;
        if (status !== 200) {
          inReq('warn', `${c.method} ${url} returned ${status}, retrying (attempt ${attempt}/3) in ${100 * 2 ** (attempt - 1)}ms`, { 'server.address': c.peer, 'http.response.status_code': status, 'http.request.resend_count': attempt - 1 }, span);
          status = rng.float() < 0.8 ? 200 : status;
        }
        const ms = durationMs(rng, c.medianMs, 0.6);
        spentMs += ms;
        inReq('info', `outgoing ${c.method} ${url} ${status} ${ms}ms`, { 'server.address': c.peer, 'url.full': url, 'http.response.status_code': status, duration_ms: ms }, span);
      }
      if (route.route === '/api/products/:id' && rng.float() < 0.01) {
        inReq('warn', `DeprecationWarning: query parameter "fields" is deprecated and will be removed in v3, use "include" (client ${rng.pick(AGENTS).split(' ')[0]})`, { 'code': 'DEP_FIELDS_PARAM' });
      }
      if (outcome === 'ok' && route.event && rng.float() < route.event.p) inReq('info', route.event.msg(rng, ctx), { 'user.id': ctx.userId, ...route.event.attrs(rng, ctx) });
    }
    let status = route.ok;
    if (outcome === 'notFound') status = 404;
    else if (outcome === 'badRequest') status = 400;
    else if (outcome === 'unauthorized') status = 401;
    else if (outcome === 'rateLimited') status = 429;
    else if (outcome === 'failed') {
      const f = rng.pick(FAILURES);
      status = f.status;
      const e = exception(rng, f, ctx);
      inReq(status >= 500 ? 'error' : 'warn', e.message, e.attributes);
    }
    if (route.route !== '/health' && status === 200 && route.method === 'GET' && rng.float() < 0.07) status = 304;
    const total = Math.round((spentMs + durationMs(rng, 1.8, 0.8)) * 1000) / 1000;
    const probe = route.route === '/health';
    // Health checks come from the kubelet on the node's pod network, with a tiny body.
    const attrs: Attributes = { 'url.path': path, 'http.response.status_code': status, duration_ms: total, 'server.address': 'api.shop.example', 'client.address': probe ? `10.244.${rng.int(0, 3)}.1` : clientIp(rng) };
    if (route.authenticated && outcome !== 'unauthorized') attrs['user.id'] = ctx.userId;
    if (probe) attrs['user_agent.original'] = 'kube-probe/1.29';
    else if (rng.float() < 0.35) attrs['user_agent.original'] = rng.pick(AGENTS);
    if (status !== 304 && status !== 204) attrs['http.response.body.size'] = probe ? 15 : rng.int(status >= 400 ? 40 : 200, status >= 400 ? 300 : 48_000);
    const level: LogLevel = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    inReq(level, `${route.method} ${path} ${status} ${total}ms`, attrs);
    return out;
  }

  /** A background job on the worker, or a periodic line on an API host; no trace context. */
  background(): Script {
    const rng = this.rng;
    const r = rng.float();
    if (r < 0.2) {
      const h = this.api[rng.u32() & 1];
      const total = 20;
      const idle = rng.int(0, total);
      const waiting = idle > 0 ? 0 : rng.int(0, 12);
      return [this.draft(h, waiting > 5 ? 'warn' : 'debug', `db pool: total=${total} idle=${idle} waiting=${waiting}`, { 'db.client.connection.pool.name': 'pg-primary', 'db.client.connection.count': total - idle, 'db.client.connection.pending_requests': waiting })];
    }
    if (r < 0.3) {
      const h = this.api[rng.u32() & 1];
      const heap = rng.int(90, 420);
      return [this.draft(h, 'debug', `runtime: heap used ${heap} MB, event loop p99 ${durationMs(rng, 12, 0.5)}ms, ${rng.int(20, 400)} active handles`, { 'process.runtime.heap_used_mb': heap })];
    }
    const h = this.worker;
    const jobId = String(rng.int(1, 99_999_999));
    const job = rng.pick(['send-order-confirmation', 'send-order-confirmation', 'send-order-confirmation', 'sync-inventory', 'generate-invoice', 'generate-invoice', 'cleanup-sessions', 'recompute-recommendations']);
    const queue = job.startsWith('send') ? 'mail' : job === 'generate-invoice' ? 'reports' : 'default';
    const base: Attributes = { 'job.name': job, 'job.id': jobId, 'messaging.destination.name': queue };
    const lines: Script = [this.draft(h, 'info', `job ${job}#${jobId} started`, { ...base, 'job.attempt': 1 })];
    let ms = 0;
    const q = job === 'cleanup-sessions' ? SQL.expireSessions : SQL.pendingJobs;
    const qms = durationMs(rng, q.medianMs, 0.8);
    ms += qms;
    const rows = q.rows(rng);
    if (rng.float() < 0.5) lines.push(this.draft(h, 'debug', `${q.op} ${q.table} ${rows} rows in ${qms}ms`, { ...base, 'db.system': 'postgresql', 'db.operation.name': q.op, 'db.statement': q.text, 'db.response.rows': rows, duration_ms: qms }));
    if (job === 'send-order-confirmation') lines.push(this.draft(h, 'info', `sent order confirmation for order ${rng.int(1, 4_000_000)} to ${rng.hex(7)}@${rng.pick(['gmail.com', 'outlook.com', 'web.de', 'icloud.com'])}`, { ...base, 'messaging.message.id': `<${uuid(rng)}@mail.shop.example>` }));
    if (job === 'sync-inventory') lines.push(this.draft(h, 'info', `inventory sync: ${rng.int(0, 3000)} products updated, ${rng.int(0, 40)} out of stock`, base));
    if (rng.float() < 0.03) {
      const f = rng.pick(FAILURES.slice(1, 3));
      const e = exception(rng, f, { userId: '0', entityId: 0 });
      lines.push(this.draft(h, 'error', e.message, { ...base, ...e.attributes }));
      lines.push(this.draft(h, 'warn', `job ${job}#${jobId} failed, retry 1/5 in 30s`, { ...base, 'job.attempt': 1 }));
      return lines;
    }
    ms += durationMs(rng, job === 'generate-invoice' ? 900 : job === 'recompute-recommendations' ? 14_000 : 60, 0.6);
    lines.push(this.draft(h, 'info', `job ${job}#${jobId} completed in ${Math.round(ms * 1000) / 1000}ms`, { ...base, duration_ms: Math.round(ms * 1000) / 1000 }));
    return lines;
  }
}

// ---------------------------------------------------------------- stream

const NS_PER_MS = 1_000_000n;
const DAY_MS = 86_400_000;

/**
 * `entries` log entries in batches. Deterministic for (seed, fromMs, ratePerSec, dayNight): the batch
 * size only changes how they are cut. Each batch is a fresh array (safe to keep).
 */
export function* generateNodeLogs(options: NodeLogsOptions): Generator<LogInput[]> {
  const { entries, seed, fromMs } = options;
  const ratePerSec = options.ratePerSec ?? 200;
  const batchSize = options.batch ?? 1000;
  if (!Number.isInteger(entries) || entries < 0) throw new RangeError(`entries must be a non-negative integer, got ${entries}`);
  if (!(ratePerSec > 0)) throw new RangeError(`ratePerSec must be positive, got ${ratePerSec}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch must be a positive integer, got ${batchSize}`);
  if (!Number.isFinite(fromMs)) throw new RangeError(`fromMs must be finite, got ${fromMs}`);

  const rng = new Prng(seed);
  const w = new Workload(rng);
  // Whole ms as bigint + the offset since then in ns as a double: exact for ~100 days of offset.
  const baseMs = Math.floor(fromMs);
  const baseNs = BigInt(baseMs) * NS_PER_MS;
  let offsetNs = (fromMs - baseMs) * 1e6;
  const priority: Draft[] = [...w.startup(w.api[0]), ...w.startup(w.api[1]), ...w.startup(w.worker)];
  // A few requests in flight at once: their lines interleave.
  const inFlight: Script[] = [w.request(), w.request(), w.request(), w.request()];
  let job: Script = [];

  let batch: LogInput[] = [];
  for (let n = 0; n < entries; n++) {
    let rate = ratePerSec;
    if (options.dayNight) {
      // Peak at 15:00 UTC, trough at 03:00 UTC: 1.0 .. 0.2 of the rate.
      const hour = (((baseMs + offsetNs / 1e6) % DAY_MS) / DAY_MS) * 24;
      rate = ratePerSec * (0.6 + 0.4 * Math.cos(((hour - 15) / 24) * 2 * Math.PI));
    }
    offsetNs += Math.max(1, Math.round((-Math.log(1 - rng.float()) / rate) * 1e9));

    let d: Draft | undefined;
    if (priority.length > 0) d = priority.shift();
    else {
      const r = rng.float();
      if (r < 2e-6) priority.push(...w.restart(true));
      else if (r < 6e-6) priority.push(...w.restart(false));
      if (priority.length > 0) d = priority.shift();
      else if (r < 0.09 || job.length > 0 && r < 0.2) {
        if (job.length === 0) job = w.background();
        d = job.shift();
      } else {
        const slot = rng.u32() % inFlight.length;
        d = inFlight[slot].shift();
        if (inFlight[slot].length === 0) inFlight[slot] = w.request();
      }
    }
    const e: LogInput = { tsNs: baseNs + BigInt(Math.round(offsetNs)), level: d!.level, message: d!.message, attributes: d!.attributes, resource: d!.resource };
    if (d!.traceId) {
      e.traceId = d!.traceId;
      e.spanId = d!.spanId;
    }
    batch.push(e);
    if (batch.length === batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

// ---------------------------------------------------------------- NDJSON

const PINO_LEVEL: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const BY_SEVERITY: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

function levelOf(level: LogInput['level']): LogLevel {
  if (level === undefined) return 'info';
  if (typeof level === 'number') return BY_SEVERITY[Math.min(5, Math.max(0, Math.floor((level - 1) / 4)))];
  return level;
}

function timeMsOf(e: LogInput): number {
  if (e.tsNs !== undefined) return Number(BigInt(e.tsNs) / NS_PER_MS);
  return Math.floor(e.tsMs ?? 0);
}

/**
 * The pino line (no trailing newline) the app would write for this entry: pino's base fields, the
 * attributes flattened at top level, then the trace context as @opentelemetry/instrumentation-pino
 * injects it.
 */
export function toNdjsonLine(entry: LogInput): string {
  const res = entry.resource ?? {};
  const line: Record<string, unknown> = {
    level: PINO_LEVEL[levelOf(entry.level)],
    time: timeMsOf(entry),
    pid: res['process.pid'],
    hostname: res['host.name'],
    msg: entry.message,
  };
  if (entry.attributes) for (const k of Object.keys(entry.attributes)) line[k] = entry.attributes[k];
  if (entry.traceId) line.trace_id = entry.traceId;
  if (entry.spanId) line.span_id = entry.spanId;
  return JSON.stringify(line);
}
