// Seeded "microservice shop traces": what a small Node shop instrumented with the OpenTelemetry JS SDK
// (2.x, auto-instrumentations, current semantic conventions) exports, as fully-populated Span objects
// (a Span is also a valid SpanInput for tl.traces.write()). It is the traces engine's standard workload
// (issue #5), so like bench/gen/nodelogs.ts it aims to be honest rather than flattering:
// - ids are random: trace ids 16 random bytes, span ids 8, message ids and pod instance ids v4 uuids;
//   entity ids in URLs come from large ranges, users from a skewed pool of 20,000, client ports are
//   ephemeral;
// - durations are log-normal (with a rare slow tail), timestamps have ns precision;
// - traces arrive as Poisson arrivals around `tracesPerSec`, and spans are emitted when they END (as a
//   BatchSpanProcessor exports them): children before parents, spans of concurrent traces interleaved;
// - errors (`errorRate` of the traces, front-door and worker alike) fail a real step (a query timing out, redis going
//   away, the payment provider timing out) or the handler's own code, and travel up: the failing span
//   gets an error status with a message, the service that threw records an `exception` event whose
//   stack repeats per throw site but whose message carries the request's values, the callers answer
//   5xx and their server spans (often) record their own exception.
//
// Services: frontend (3 pods, the only entry point), catalog (3), cart (2), checkout (2), payments (1,
// calls api.stripe.com over HTTPS) and inventory-worker (1, a RabbitMQ consumer). An order placed at
// checkout publishes `orders`; the worker processes it in its OWN trace whose root consumer span links
// to the producer span (so links appear as they do in practice).
//
// toOtlpJson() renders spans as the OTLP/JSON ExportTraceServiceRequest an exporter would POST: the
// "raw" the traces compression ratio is measured against.
import type { AttrValue, Attributes, InstrumentationScope, Span, SpanEvent, SpanKind, SpanLink, SpanResource, SpanStatus } from '../../src/traces/types.js';
import { Prng } from './prng.js';

export interface TracesGenOptions {
  /** Spans generated (at least; the generator stops after the trace that reaches it). */
  spans: number;
  seed: number;
  /** Epoch ms of the first trace start. */
  fromMs: number;
  /** Mean new traces per second (default 50). */
  tracesPerSec?: number;
  /** Spans per yielded batch (default 1000; the last may be shorter). */
  batch?: number;
  /** Share of traces that fail (default 0.015). */
  errorRate?: number;
}

// OTLP span flags as the OTel JS 2.x exporter builds them (otlp-transformer buildSpanFlagsFrom): the W3C
// trace flags (0x01 sampled) plus bit 8 "has is_remote" on EVERY span, plus bit 9 "is remote" when the
// parent context came over the wire (a server span under a client span of another process).
const SAMPLED = 0x01;
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;
const FLAGS_LOCAL = SAMPLED | HAS_IS_REMOTE;
const FLAGS_REMOTE = SAMPLED | HAS_IS_REMOTE | IS_REMOTE;

const NS_PER_MS = 1e6;

// ---------------------------------------------------------------- random helpers

function uuid(rng: Prng): string {
  const h = rng.hex(32);
  const variant = '89ab'[rng.u32() & 3];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20)}`;
}

/** An id of `chars` hex digits that is not all zero (OTel: an all-zero id is invalid). */
function id(rng: Prng, chars: number): string {
  for (;;) {
    const s = rng.hex(chars);
    for (let i = 0; i < chars; i++) if (s.charCodeAt(i) !== 48) return s;
  }
}

/** Log-normal nanoseconds around `medianMs` (as a double; offsets are rounded to ns at the end). */
function lognormalNs(rng: Prng, medianMs: number, sigma: number): number {
  return medianMs * Math.exp(rng.normal() * sigma) * NS_PER_MS;
}

function chance(rng: Prng, p: number): boolean {
  return rng.float() < p;
}

/** Kubernetes pod name suffix alphabet (no vowels, no look-alikes). */
const K8S_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
function k8sSuffix(rng: Prng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += K8S_ALPHABET[rng.u32() % K8S_ALPHABET.length];
  return s;
}

/** Stable small number from a string: line/column numbers of a throw site repeat per site. */
function siteHash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

function publicIp(rng: Prng): string {
  // Clients behind the ingress come from a few provider ranges, not uniformly from 2^32.
  return `${rng.pick([31, 62, 81, 94, 109, 176, 185, 203])}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

function ephemeralPort(rng: Prng): number {
  return rng.int(32768, 60999);
}

const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36',
  'ShopApp/3.9.2 (iOS 17.5.1; iPhone15,2)',
  'ShopApp/3.9.1 (Android 14; SM-S911B)',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
];

const SEARCH_TERMS = ['running shoes', 'rain jacket', 'usb-c cable', 'coffee grinder', 'desk lamp', 'backpack', 'noise cancelling headphones', 'yoga mat', 'water bottle', 'wool socks', 'phone case', 'standing desk'];

// ---------------------------------------------------------------- scopes and pods

function scope(name: string, version: string): InstrumentationScope {
  return { name, version, attributes: {}, droppedAttributesCount: 0 };
}

const HTTP = scope('@opentelemetry/instrumentation-http', '0.208.0');
const UNDICI = scope('@opentelemetry/instrumentation-undici', '0.19.0');
const PG = scope('@opentelemetry/instrumentation-pg', '0.61.0');
const IOREDIS = scope('@opentelemetry/instrumentation-ioredis', '0.56.0');
const AMQPLIB = scope('@opentelemetry/instrumentation-amqplib', '0.55.0');

type Service = 'frontend' | 'catalog' | 'cart' | 'checkout' | 'payments' | 'inventory-worker';

/** Per service: pods, version, and the SDK version its image ships (shops upgrade unevenly). */
const SERVICES: Record<Service, { pods: number; version: string; sdk: string }> = {
  frontend: { pods: 3, version: '4.12.0', sdk: '2.2.0' },
  catalog: { pods: 3, version: '2.31.4', sdk: '2.2.0' },
  cart: { pods: 2, version: '1.18.2', sdk: '2.1.0' },
  checkout: { pods: 2, version: '3.7.1', sdk: '2.2.0' },
  payments: { pods: 1, version: '1.4.9', sdk: '2.0.1' },
  'inventory-worker': { pods: 1, version: '0.22.3', sdk: '2.1.0' },
};

interface Pod {
  service: Service;
  resource: SpanResource;
  /** Pod IP: the peer address its callees see. */
  ip: string;
  /** The app's own tracer (manual spans): named after the service, as trace.getTracer(pkg.name, pkg.version). */
  app: InstrumentationScope;
  /** RabbitMQ delivery tags count up per channel. */
  deliveryTag: number;
}

function makePod(rng: Prng, service: Service, replicaSet: string): Pod {
  const s = SERVICES[service];
  const host = `${service}-${replicaSet}-${k8sSuffix(rng, 5)}`;
  const entry = service === 'inventory-worker' ? '/app/dist/worker.js' : '/app/dist/server.js';
  const resource: SpanResource = {
    attributes: {
      'service.name': service,
      'service.namespace': 'shop',
      'service.version': s.version,
      'service.instance.id': uuid(rng),
      'deployment.environment': 'production',
      'host.name': host,
      'host.arch': 'amd64',
      'k8s.namespace.name': 'shop',
      'k8s.deployment.name': service,
      'k8s.pod.name': host,
      'process.pid': rng.pick([1, 1, 7, 18, 19]),
      'process.executable.name': 'node',
      'process.executable.path': '/usr/local/bin/node',
      'process.command': entry,
      'process.command_args': ['/usr/local/bin/node', '--enable-source-maps', entry],
      'process.owner': 'node',
      'process.runtime.name': 'nodejs',
      'process.runtime.version': '20.18.1',
      'process.runtime.description': 'Node.js',
      'telemetry.sdk.name': 'opentelemetry',
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.version': s.sdk,
    },
    droppedAttributesCount: 0,
  };
  return { service, resource, ip: `10.42.${rng.int(0, 5)}.${rng.int(2, 254)}`, app: scope(`@shop/${service}`, s.version), deliveryTag: rng.int(1, 5000) };
}

// ---------------------------------------------------------------- SQL

interface Query {
  /** db.operation.name */
  op: string;
  /** db.collection.name (absent for BEGIN/COMMIT). */
  table?: string;
  text: string;
  medianMs: number;
  /** The repository method that runs it: the frame a failure's stack points at. */
  fn: string;
}

const SQL = {
  begin: { op: 'BEGIN', text: 'BEGIN', medianMs: 0.25, fn: 'withTransaction' },
  commit: { op: 'COMMIT', text: 'COMMIT', medianMs: 0.9, fn: 'withTransaction' },
  productById: { op: 'SELECT', table: 'products', text: 'SELECT p.id, p.sku, p.name, p.description, p.price_cents, p.currency, p.stock, p.updated_at FROM products p WHERE p.id = $1 AND p.deleted_at IS NULL', medianMs: 0.9, fn: 'ProductRepository.findById' },
  featured: { op: 'SELECT', table: 'products', text: 'SELECT id, name, price_cents, currency, image_key FROM products WHERE featured AND active ORDER BY featured_rank LIMIT $1', medianMs: 2.1, fn: 'ProductRepository.featured' },
  byCategory: { op: 'SELECT', table: 'products', text: 'SELECT id, name, price_cents, currency, image_key, rating FROM products WHERE category_id = $1 AND active ORDER BY rank DESC LIMIT $2 OFFSET $3', medianMs: 3.4, fn: 'ProductRepository.byCategory' },
  byIds: { op: 'SELECT', table: 'products', text: 'SELECT id, name, price_cents, currency, stock FROM products WHERE id = ANY($1::int[])', medianMs: 1.3, fn: 'ProductRepository.findMany' },
  search: { op: 'SELECT', table: 'products', text: "SELECT id, name, price_cents, ts_rank(search_vector, q) AS rank FROM products, websearch_to_tsquery('english', $1) q WHERE search_vector @@ q AND active ORDER BY rank DESC LIMIT $2 OFFSET $3", medianMs: 8.5, fn: 'SearchRepository.search' },
  searchCount: { op: 'SELECT', table: 'products', text: "SELECT count(*) FROM products, websearch_to_tsquery('english', $1) q WHERE search_vector @@ q AND active", medianMs: 4.2, fn: 'SearchRepository.count' },
  recommendations: { op: 'SELECT', table: 'product_recommendations', text: 'SELECT r.product_id, p.name, p.price_cents, p.image_key FROM product_recommendations r JOIN products p ON p.id = r.product_id WHERE r.source_id = $1 ORDER BY r.score DESC LIMIT 8', medianMs: 2.4, fn: 'RecommendationRepository.forProduct' },
  cartItems: { op: 'SELECT', table: 'cart_items', text: 'SELECT product_id, quantity, added_at FROM cart_items WHERE cart_id = $1 ORDER BY added_at', medianMs: 0.8, fn: 'CartRepository.items' },
  upsertItem: { op: 'INSERT', table: 'cart_items', text: 'INSERT INTO cart_items (cart_id, product_id, quantity) VALUES ($1, $2, $3) ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = cart_items.quantity + EXCLUDED.quantity', medianMs: 1.4, fn: 'CartRepository.addItem' },
  clearCart: { op: 'DELETE', table: 'cart_items', text: 'DELETE FROM cart_items WHERE cart_id = $1', medianMs: 1.1, fn: 'CartRepository.clear' },
  insertOrder: { op: 'INSERT', table: 'orders', text: 'INSERT INTO orders (user_id, status, total_cents, currency, idempotency_key) VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at', medianMs: 1.8, fn: 'OrderRepository.create' },
  insertOrderItems: { op: 'INSERT', table: 'order_items', text: 'INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) SELECT $1, * FROM unnest($2::int[], $3::int[], $4::int[])', medianMs: 1.6, fn: 'OrderRepository.addItems' },
  orderById: { op: 'SELECT', table: 'orders', text: 'SELECT id, user_id, status, total_cents, currency, created_at FROM orders WHERE id = $1 AND user_id = $2', medianMs: 0.9, fn: 'OrderRepository.findById' },
  orderItems: { op: 'SELECT', table: 'order_items', text: 'SELECT oi.product_id, p.name, oi.quantity, oi.unit_price_cents FROM order_items oi JOIN products p ON p.id = oi.product_id WHERE oi.order_id = $1', medianMs: 1.3, fn: 'OrderRepository.items' },
  insertPayment: { op: 'INSERT', table: 'payments', text: "INSERT INTO payments (order_id, amount_cents, currency, provider, status) VALUES ($1, $2, $3, 'stripe', 'pending') RETURNING id", medianMs: 1.5, fn: 'PaymentRepository.create' },
  updatePayment: { op: 'UPDATE', table: 'payments', text: 'UPDATE payments SET status = $2, provider_ref = $3, updated_at = now() WHERE id = $1', medianMs: 1.2, fn: 'PaymentRepository.settle' },
  reserveStock: { op: 'UPDATE', table: 'inventory', text: 'UPDATE inventory SET reserved = reserved + $2 WHERE product_id = $1 AND on_hand - reserved >= $2 RETURNING on_hand - reserved AS available', medianMs: 1.1, fn: 'InventoryRepository.reserve' },
  insertMovements: { op: 'INSERT', table: 'stock_movements', text: "INSERT INTO stock_movements (product_id, order_id, delta, reason) SELECT *, $2, 'order' FROM unnest($1::int[], $3::int[])", medianMs: 1.4, fn: 'InventoryRepository.recordMovements' },
} satisfies Record<string, Query>;

// ---------------------------------------------------------------- failures

/** An error on its way up the call chain. */
interface Thrown {
  type: string;
  /** The message as the throwing service's error carries it (with the request's values). */
  message: string;
  stack: string;
  /** The HTTP status the throwing service answers with. */
  httpStatus: number;
  /** The pod whose code threw it: that service's server span records it. */
  origin: Pod;
  /** When it was thrown (ns offset), inside the origin's server span. */
  atOff: number;
}

interface LeafFailure {
  type: string;
  message: string;
  httpStatus: number;
  /** The step takes this long when it fails this way (timeouts); otherwise its usual duration. */
  durationMs?: number;
  /** Library frames at the top of the stack. */
  frames: string[];
}

const ASYNC_TICK = 'at process.processTicksAndRejections (node:internal/process/task_queues:95:5)';

const PG_FAILURES: LeafFailure[] = [
  { type: 'Error', message: 'Query read timeout', httpStatus: 504, durationMs: 5000, frames: ['at Timeout._onTimeout (/app/node_modules/pg/lib/client.js:579:23)', 'at listOnTimeout (node:internal/timers:581:17)', 'at process.processTimers (node:internal/timers:519:7)'] },
  { type: 'Error', message: 'Connection terminated unexpectedly', httpStatus: 503, frames: ['at Connection.<anonymous> (/app/node_modules/pg/lib/client.js:132:73)', 'at Object.onceWrapper (node:events:634:28)', 'at Connection.emit (node:events:520:28)', 'at Socket.<anonymous> (/app/node_modules/pg/lib/connection.js:63:12)'] },
  { type: 'DatabaseError', message: 'canceling statement due to statement timeout', httpStatus: 503, durationMs: 2000, frames: ['at /app/node_modules/pg/lib/client.js:535:17'] },
  { type: 'Error', message: 'timeout exceeded when trying to connect', httpStatus: 503, durationMs: 3000, frames: ['at Timeout._onTimeout (/app/node_modules/pg-pool/index.js:205:27)', 'at listOnTimeout (node:internal/timers:581:17)', 'at process.processTimers (node:internal/timers:519:7)'] },
];
const PG_DEADLOCK: LeafFailure = { type: 'DatabaseError', message: 'deadlock detected', httpStatus: 500, frames: ['at /app/node_modules/pg/lib/client.js:535:17'] };

const REDIS_FAILURES: LeafFailure[] = [
  { type: 'Error', message: 'Connection is closed.', httpStatus: 503, frames: ['at close (/app/node_modules/ioredis/built/redis/event_handler.js:189:25)', 'at Socket.<anonymous> (/app/node_modules/ioredis/built/redis/event_handler.js:156:20)', 'at Object.onceWrapper (node:events:634:28)', 'at Socket.emit (node:events:532:35)'] },
  { type: 'MaxRetriesPerRequestError', message: 'Reached the max retries per request limit (which is 20). Refer to "maxRetriesPerRequest" option for details.', httpStatus: 503, durationMs: 2400, frames: ['at Socket.<anonymous> (/app/node_modules/ioredis/built/redis/event_handler.js:182:37)', 'at Object.onceWrapper (node:events:634:28)', 'at Socket.emit (node:events:520:28)', 'at TCP.<anonymous> (node:net:343:12)'] },
];

/** Which module issues a redis command, by key prefix: the frame a redis failure's stack points at. */
const REDIS_OWNER: Record<string, string> = { rl: 'RateLimiter', sess: 'SessionStore', product: 'ProductCache', products: 'ProductCache', category: 'ListCache', cart: 'CartCache' };

const STRIPE_FAILURES: LeafFailure[] = [
  { type: 'ConnectTimeoutError', message: 'Connect Timeout Error (attempted address: api.stripe.com:443, timeout: 10000ms)', httpStatus: 504, durationMs: 10_000, frames: ['at onConnectTimeout (node:internal/deps/undici/undici:7856:28)', 'at node:internal/deps/undici/undici:7812:50', 'at Immediate._onImmediate (node:internal/deps/undici/undici:7844:13)', 'at process.processImmediate (node:internal/timers:483:21)'] },
  { type: 'SocketError', message: 'other side closed', httpStatus: 502, frames: ['at TLSSocket.onSocketEnd (node:internal/deps/undici/undici:8317:26)', 'at TLSSocket.emit (node:events:532:35)', 'at endReadableNT (node:internal/streams/readable:1696:12)', 'at process.processTicksAndRejections (node:internal/process/task_queues:82:21)'] },
];

/** Handler bugs: thrown by the frontend's own code when a trace is meant to fail but no step failed. */
const CODE_FAILURES: Array<{ type: string; message: (rng: Prng, path: string) => string; frames: string[] }> = [
  { type: 'TypeError', message: () => "Cannot read properties of undefined (reading 'price_cents')", frames: ['at formatPrice (/app/dist/views/helpers/price.js:14:31)', 'at renderProductCard (/app/dist/views/product-card.js:41:22)', 'at Array.map (<anonymous>)', 'at renderPage (/app/dist/views/render.js:88:37)'] },
  { type: 'SyntaxError', message: (rng) => `Unexpected token 'u', "u${rng.int(10_000, 9_999_999)}:${rng.hex(8)}" is not valid JSON`, frames: ['at JSON.parse (<anonymous>)', 'at readPreferences (/app/dist/middleware/preferences.js:22:19)', 'at /app/dist/app.js:61:11'] },
  { type: 'RangeError', message: (rng) => `Invalid currency code : ${rng.pick(['EURO', 'usd ', 'GBPP', 'eu'])}`, frames: ['at new NumberFormat (<anonymous>)', 'at formatPrice (/app/dist/views/helpers/price.js:9:17)', 'at renderCart (/app/dist/views/cart.js:33:26)'] },
  { type: 'Error', message: (_rng, path) => `Route handler for ${path} did not return a response`, frames: ['at /app/dist/app.js:112:13', 'at dispatch (/app/node_modules/hono/dist/compose.js:29:23)'] },
];

function stackOf(type: string, message: string, frames: string[]): string {
  return `${type}: ${message}\n    ${frames.join('\n    ')}`;
}

// ---------------------------------------------------------------- trace assembly

/** A span being built: the mutable part; `Trace.end` freezes it into a Span. */
interface Draft {
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: SpanKind;
  startOff: number;
  attributes: Attributes;
  events: SpanEvent[];
  links: SpanLink[];
  pod: Pod;
  scope: InstrumentationScope;
  flags: number;
  status: SpanStatus;
}

/** A finished span and its end offset (ns since the generator's base), the emission order key. */
interface Ended {
  endOff: number;
  seq: number;
  span: Span;
}

/** One trace under construction. Offsets are ns since the generator's base, as doubles. */
class Trace {
  readonly ended: Ended[] = [];
  /** The error travelling up the call chain, if any. */
  err: Thrown | undefined;
  /** Whether a planned failure happened (so the front door need not invent one). */
  failed = false;
  /** Counts steps that can fail; the `failAt`-th one does. */
  private steps = 0;

  constructor(
    private readonly gen: Generation,
    readonly traceId: string,
    readonly traceState: string | undefined,
    /** Index of the fallible step that fails, or -1. */
    readonly failAt: number,
  ) {}

  begin(pod: Pod, sc: InstrumentationScope, name: string, kind: SpanKind, parent: Draft | undefined, startOff: number, remoteParent = false): Draft {
    const d: Draft = { spanId: id(this.gen.rng, 16), name, kind, startOff, attributes: {}, events: [], links: [], pod, scope: sc, flags: remoteParent ? FLAGS_REMOTE : FLAGS_LOCAL, status: { code: 'unset' } };
    if (parent) d.parentSpanId = parent.spanId;
    return d;
  }

  event(d: Draft, name: string, atOff: number, attributes: Attributes): void {
    d.events.push({ name, timeNs: this.gen.ns(atOff), attributes, droppedAttributesCount: 0 });
  }

  end(d: Draft, endOff: number): void {
    const span: Span = {
      traceId: this.traceId,
      spanId: d.spanId,
      name: d.name,
      kind: d.kind,
      startNs: this.gen.ns(d.startOff),
      endNs: this.gen.ns(endOff),
      status: d.status,
      attributes: d.attributes,
      events: d.events,
      links: d.links,
      resource: d.pod.resource,
      scope: d.scope,
      flags: d.flags,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
    if (d.parentSpanId !== undefined) span.parentSpanId = d.parentSpanId;
    if (this.traceState !== undefined) span.traceState = this.traceState;
    this.ended.push({ endOff, seq: this.gen.seq++, span });
  }

  /** Called by every step that can fail: true for the planned one. */
  fails(): boolean {
    if (this.steps++ !== this.failAt) return false;
    this.failed = true;
    return true;
  }
}

/** State shared by all traces of one generator run. */
interface Generation {
  rng: Prng;
  seq: number;
  ns(off: number): bigint;
}

// ---------------------------------------------------------------- the shop

interface Visitor {
  userId: number;
  /** express-session id, absent for anonymous visitors. */
  sessionId?: string;
  cartId: string;
}

type Handler = (tr: Trace, pod: Pod, server: Draft, atOff: number) => number;

class Shop {
  private readonly pods: Record<Service, Pod[]>;
  private readonly users: number[];
  private readonly ingressIps: string[];

  constructor(
    private readonly g: Generation,
    private readonly errorRate: number,
    /** Receives each finished trace (the worker's traces too). */
    private readonly done: (tr: Trace) => void,
  ) {
    const rng = g.rng;
    const pods = {} as Record<Service, Pod[]>;
    for (const service of Object.keys(SERVICES) as Service[]) {
      // Pods of one Deployment share its ReplicaSet hash.
      const replicaSet = k8sSuffix(rng, rng.int(9, 10));
      pods[service] = Array.from({ length: SERVICES[service].pods }, () => makePod(rng, service, replicaSet));
    }
    this.pods = pods;
    this.users = Array.from({ length: 20_000 }, () => rng.int(1, 9_999_999));
    this.ingressIps = [0, 1].map(() => `10.42.${rng.int(0, 5)}.${rng.int(2, 254)}`);
  }

  private get rng(): Prng {
    return this.g.rng;
  }

  private pod(service: Service): Pod {
    return this.rng.pick(this.pods[service]);
  }

  private visitor(): Visitor {
    const rng = this.rng;
    const u = rng.float();
    const userId = this.users[Math.floor(u * u * u * this.users.length)];
    const sessionId = chance(rng, 0.75) ? rng.hex(32) : undefined;
    return { userId, sessionId, cartId: `c${userId}` };
  }

  private gap(): number {
    // Between two awaits of one handler: microseconds of JS, sometimes a GC pause or a busy loop.
    return lognormalNs(this.rng, 0.03, 1.0);
  }

  private newTrace(failAt: number): Trace {
    const rng = this.rng;
    // A few traces carry a W3C tracestate: the consistent-probability sampler's threshold + randomness
    // (per trace), or a vendor entry from the edge.
    let traceState: string | undefined;
    const r = rng.float();
    if (r < 0.03) traceState = `ot=th:0;rv:${rng.hex(14)}`;
    else if (r < 0.05) traceState = 'vendor=abc';
    return new Trace(this.g, id(rng, 32), traceState, failAt);
  }

  // ------------------------------------------------------------ steps (each returns its end offset)

  /** Fail this step if the trace planned it: error status + message on the span, the error starts its way up. */
  private failStep(tr: Trace, d: Draft, f: LeafFailure, pod: Pod, what: string, fn: string, atOff: number, recordOnSpan: boolean): void {
    d.status = { code: 'error', message: f.message };
    if (recordOnSpan) this.exceptionEvent(tr, d, f.type, f.message, stackOf(f.type, f.message, f.frames), atOff);
    const message = `${what} failed: ${f.message}`;
    const h = siteHash(pod.service + fn);
    const file = `/app/dist/lib/${fn.split('.')[0].replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}.js`;
    const frames = [...f.frames.slice(0, 2), ASYNC_TICK, `at async ${fn} (${file}:${20 + (h % 240)}:${5 + ((h >>> 8) % 40)})`, `at async ${pod.service}Handler (/app/dist/routes/${pod.service}.js:${30 + ((h >>> 16) % 200)}:${9 + ((h >>> 24) % 30)})`];
    tr.err = { type: f.type, message, stack: stackOf(f.type, message, frames), httpStatus: f.httpStatus, origin: pod, atOff };
  }

  private exceptionEvent(tr: Trace, d: Draft, type: string, message: string, stack: string, atOff: number): void {
    tr.event(d, 'exception', atOff, { 'exception.type': type, 'exception.message': message, 'exception.stacktrace': stack });
  }

  private pg(tr: Trace, pod: Pod, parent: Draft, atOff: number, q: Query, what: string): number {
    const rng = this.rng;
    const name = q.table ? `${q.op} ${q.table}` : q.op;
    const d = tr.begin(pod, PG, name, 'client', parent, atOff);
    d.attributes = { 'db.system': 'postgresql', 'db.namespace': 'shop', 'db.operation.name': q.op, 'db.query.text': q.text, 'server.address': 'pg-primary.shop.svc', 'server.port': 5432, 'db.user': pod.service.replace('-', '_') };
    if (q.table) d.attributes['db.collection.name'] = q.table;
    // A rare lock wait or cold cache makes a slow tail.
    let durNs = lognormalNs(rng, q.medianMs, 0.6) + (chance(rng, 0.003) ? rng.int(200, 2500) * NS_PER_MS : 0);
    const fail = tr.fails() ? (q.op === 'UPDATE' && chance(rng, 0.5) ? PG_DEADLOCK : rng.pick(PG_FAILURES)) : undefined;
    if (fail?.durationMs) durNs = fail.durationMs * NS_PER_MS + lognormalNs(rng, 0.4, 0.5);
    const endOff = atOff + durNs;
    // instrumentation-pg sets the error status and message; it does not record the exception.
    if (fail) this.failStep(tr, d, fail, pod, what, q.fn, endOff, false);
    tr.end(d, endOff);
    return endOff;
  }

  private redis(tr: Trace, pod: Pod, parent: Draft, atOff: number, cmd: string, key: string, otherArgs: number, what: string): number {
    const rng = this.rng;
    const d = tr.begin(pod, IOREDIS, cmd, 'client', parent, atOff);
    // @opentelemetry/redis-common's default serializer: the key, then a count of the other arguments.
    const text = otherArgs > 0 ? `${cmd} ${key} [${otherArgs} other arguments]` : `${cmd} ${key}`;
    d.attributes = { 'db.system': 'redis', 'db.operation.name': cmd, 'db.query.text': text, 'server.address': 'redis-master.shop.svc', 'server.port': 6379 };
    let durNs = lognormalNs(rng, 0.28, 0.5);
    const fail = tr.fails() ? rng.pick(REDIS_FAILURES) : undefined;
    if (fail?.durationMs) durNs = fail.durationMs * NS_PER_MS * (0.9 + 0.2 * rng.float());
    const endOff = atOff + durNs;
    // instrumentation-ioredis records the exception and sets the status.
    if (fail) this.failStep(tr, d, fail, pod, what, `${REDIS_OWNER[key.slice(0, key.indexOf(':'))] ?? 'Cache'}.${cmd}`, endOff, true);
    tr.end(d, endOff);
    return endOff;
  }

  private internal(tr: Trace, pod: Pod, parent: Draft, atOff: number, name: string, medianMs: number, attributes: Attributes): number {
    const d = tr.begin(pod, pod.app, name, 'internal', parent, atOff);
    d.attributes = attributes;
    const endOff = atOff + lognormalNs(this.rng, medianMs, 0.5);
    tr.end(d, endOff);
    return endOff;
  }

  /**
   * A call to another service: the client span on the caller (undici for fetch, http for axios/got),
   * the server span on a pod of the callee with the client span as its remote parent.
   */
  private call(tr: Trace, from: Pod, parent: Draft, atOff: number, via: 'undici' | 'http', to: Service, method: string, route: string, path: string, query: string, okStatus: number, handler: Handler): number {
    const rng = this.rng;
    const pod = this.pod(to);
    const url = `http://${to}.shop.svc:8080${path}${query ? `?${query}` : ''}`;
    const ua = via === 'undici' ? 'node' : from.service === 'inventory-worker' ? 'got (https://github.com/sindresorhus/got)' : 'axios/1.7.9';
    const client = tr.begin(from, via === 'undici' ? UNDICI : HTTP, method, 'client', parent, atOff);
    client.attributes = { 'http.request.method': method, 'url.full': url, 'server.address': `${to}.shop.svc`, 'server.port': 8080, 'network.peer.address': pod.ip, 'network.peer.port': 8080, 'user_agent.original': ua };

    const serverStart = atOff + lognormalNs(rng, 0.35, 0.4);
    const server = tr.begin(pod, HTTP, `${method} ${route}`, 'server', client, serverStart, true);
    server.attributes = { 'http.request.method': method, 'url.scheme': 'http', 'url.path': path };
    if (query) server.attributes['url.query'] = query;
    Object.assign(server.attributes, { 'http.route': route, 'server.address': `${to}.shop.svc`, 'server.port': 8080, 'network.protocol.version': '1.1', 'client.address': from.ip, 'network.peer.address': from.ip, 'network.peer.port': ephemeralPort(rng), 'user_agent.original': ua });
    const workEnd = handler(tr, pod, server, serverStart + lognormalNs(rng, 0.12, 0.5));
    const serverEnd = workEnd + lognormalNs(rng, 0.15, 0.6);
    const status = this.respond(tr, server, pod, serverEnd, okStatus);

    const clientEnd = serverEnd + lognormalNs(rng, 0.3, 0.4);
    client.attributes['http.response.status_code'] = status;
    if (status >= 500) {
      // HTTP client spans: a 5xx answer is an error (no description), and the caller's code throws.
      client.status = { code: 'error' };
      client.attributes['error.type'] = String(status);
      const callerStatus = status === 504 || status === 503 ? status : 502;
      const type = via === 'undici' ? 'UpstreamError' : 'AxiosError';
      const message = via === 'undici' ? `${to} ${method} ${path} responded ${status}` : `Request failed with status code ${status}`;
      const h = siteHash(from.service + to + route);
      const frames = via === 'undici'
        ? [`at fetchJson (/app/dist/clients/http.js:${18 + (h % 40)}:15)`, ASYNC_TICK, `at async ${to}Client.${method.toLowerCase()} (/app/dist/clients/${to}.js:${10 + ((h >>> 8) % 90)}:20)`]
        : ['at settle (/app/node_modules/axios/dist/node/axios.cjs:2019:12)', 'at IncomingMessage.handleStreamEnd (/app/node_modules/axios/dist/node/axios.cjs:3135:11)', 'at IncomingMessage.emit (node:events:532:35)', 'at endReadableNT (node:internal/streams/readable:1696:12)', ASYNC_TICK, `at async Axios.request (/app/node_modules/axios/dist/node/axios.cjs:4287:14)`];
      tr.err = { type, message, stack: stackOf(type, message, frames), httpStatus: callerStatus, origin: from, atOff: clientEnd };
    }
    tr.end(client, clientEnd);
    return clientEnd;
  }

  /** Ends a server span with the status the handler's outcome gives; returns the HTTP status. */
  private respond(tr: Trace, server: Draft, pod: Pod, endOff: number, okStatus: number): number {
    const e = tr.err;
    let status = okStatus;
    if (e) {
      status = e.httpStatus;
      // The error middleware records what this service threw; a propagated error is recorded by some
      // services' middleware too (and the HTTP instrumentation marks any 5xx an error regardless).
      const own = e.origin === pod;
      server.status = own || chance(this.rng, 0.6) ? { code: 'error', message: e.message } : { code: 'error' };
      server.attributes['error.type'] = own ? e.type : String(status);
      if (own) this.exceptionEvent(tr, server, e.type, e.message, e.stack, e.atOff);
    }
    server.attributes['http.response.status_code'] = status;
    tr.end(server, endOff);
    return status;
  }

  /** Steps run one after another until one fails. */
  private seq(tr: Trace, atOff: number, steps: Array<(at: number) => number>): number {
    let t = atOff;
    for (const step of steps) {
      t = step(t) + this.gap();
      if (tr.err) break;
    }
    return t;
  }

  /**
   * Steps started together (Promise.all): the handler continues when the slowest ends. Each branch runs
   * on its own (a failure in one does not cut the others short); the first failure is what the handler
   * then throws.
   */
  private parallel(tr: Trace, atOff: number, steps: Array<(at: number) => number>): number {
    let t = atOff;
    let end = atOff;
    let first: Thrown | undefined;
    for (const step of steps) {
      tr.err = undefined;
      end = Math.max(end, step(t));
      first ??= tr.err;
      t += lognormalNs(this.rng, 0.015, 0.5);
    }
    tr.err = first;
    return end + this.gap();
  }

  // ------------------------------------------------------------ backend handlers

  private catalogProduct(productId: number): Handler {
    return (tr, pod, server, at) => {
      const key = `product:${productId}`;
      const t = this.redis(tr, pod, server, at, 'get', key, 0, `load product ${productId}`) + this.gap();
      if (tr.err || !chance(this.rng, 0.35)) return t;
      tr.event(server, 'cache.miss', t, { 'cache.key': key });
      return this.seq(tr, t, [
        (a) => this.pg(tr, pod, server, a, SQL.productById, `load product ${productId}`),
        (a) => this.redis(tr, pod, server, a, 'set', key, 3, `cache product ${productId}`),
      ]);
    };
  }

  private catalogQuery(q: Query, what: string, cacheKey?: string): Handler {
    return (tr, pod, server, at) => {
      if (!cacheKey) return this.pg(tr, pod, server, at, q, what) + this.gap();
      const t = this.redis(tr, pod, server, at, 'get', cacheKey, 0, what) + this.gap();
      if (tr.err || !chance(this.rng, 0.3)) return t;
      tr.event(server, 'cache.miss', t, { 'cache.key': cacheKey });
      return this.seq(tr, t, [(a) => this.pg(tr, pod, server, a, q, what), (a) => this.redis(tr, pod, server, a, 'set', cacheKey, 3, what)]);
    };
  }

  private cartGet(v: Visitor): Handler {
    return (tr, pod, server, at) => {
      const t = this.redis(tr, pod, server, at, 'hgetall', `cart:${v.cartId}`, 0, `load cart ${v.cartId}`) + this.gap();
      if (tr.err || !chance(this.rng, 0.4)) return t;
      return this.pg(tr, pod, server, t, SQL.cartItems, `load cart ${v.cartId}`) + this.gap();
    };
  }

  private cartAdd(v: Visitor, productId: number, quantity: number): Handler {
    return (tr, pod, server, at) => this.seq(tr, at, [
      (a) => this.call(tr, pod, server, a, 'http', 'catalog', 'GET', '/products/:id', `/products/${productId}`, '', 200, this.catalogProduct(productId)),
      (a) => this.pg(tr, pod, server, a, SQL.upsertItem, `add product ${productId} x${quantity} to cart ${v.cartId}`),
      (a) => this.redis(tr, pod, server, a, 'del', `cart:${v.cartId}`, 0, `invalidate cart ${v.cartId}`),
    ]);
  }

  private cartClear(v: Visitor): Handler {
    return (tr, pod, server, at) => this.seq(tr, at, [
      (a) => this.redis(tr, pod, server, a, 'del', `cart:${v.cartId}`, 0, `clear cart ${v.cartId}`),
      (a) => this.pg(tr, pod, server, a, SQL.clearCart, `clear cart ${v.cartId}`),
    ]);
  }

  private paymentsCreate(orderId: number, amountCents: number): Handler {
    return (tr, pod, server, at) => {
      const rng = this.rng;
      const what = `charge order ${orderId} (${(amountCents / 100).toFixed(2)} EUR)`;
      let t = this.pg(tr, pod, server, at, SQL.insertPayment, what) + this.gap();
      if (tr.err) return t;
      // The Stripe SDK call, wrapped in a manual span; a few calls retry after a reset connection.
      const sdk = tr.begin(pod, pod.app, 'stripe.paymentIntents.create', 'internal', server, t);
      sdk.attributes = { 'payment.provider': 'stripe', 'order.id': orderId, 'payment.amount': amountCents / 100, 'payment.currency': 'EUR' };
      let a = t + lognormalNs(rng, 0.05, 0.5);
      const attempts = chance(rng, 0.03) ? 2 : 1;
      for (let attempt = 0; attempt < attempts && !tr.err; attempt++) {
        const retrying = attempt < attempts - 1;
        const c = tr.begin(pod, UNDICI, 'POST', 'client', sdk, a);
        c.attributes = { 'http.request.method': 'POST', 'url.full': 'https://api.stripe.com/v1/payment_intents', 'url.scheme': 'https', 'server.address': 'api.stripe.com', 'server.port': 443, 'network.peer.address': `54.187.${rng.int(0, 255)}.${rng.int(1, 254)}`, 'network.peer.port': 443, 'user_agent.original': 'Stripe/v1 NodeBindings/17.5.0' };
        if (attempt > 0) c.attributes['http.request.resend_count'] = attempt;
        const fail = !retrying && tr.fails() ? rng.pick(STRIPE_FAILURES) : undefined;
        const durNs = fail?.durationMs ? fail.durationMs * NS_PER_MS + lognormalNs(rng, 1, 0.5) : lognormalNs(rng, retrying ? 40 : 260, 0.45);
        const end = a + durNs;
        if (retrying) {
          // A reset connection the SDK retries: an error span inside a trace that succeeds.
          c.status = { code: 'error', message: 'read ECONNRESET' };
          c.attributes['error.type'] = 'ECONNRESET';
          this.exceptionEvent(tr, c, 'Error', 'read ECONNRESET', stackOf('Error', 'read ECONNRESET', ['at TLSWrap.onStreamRead (node:internal/stream_base_commons:218:20)']), end);
          const delayMs = Math.round(500 * (0.5 + rng.float()));
          tr.event(sdk, 'retry', end, { 'retry.attempt': 1, 'retry.reason': 'ECONNRESET', 'retry.delay_ms': delayMs });
          tr.end(c, end);
          a = end + delayMs * NS_PER_MS;
          continue;
        }
        if (fail) {
          this.failStep(tr, c, fail, pod, what, 'StripeGateway.createPaymentIntent', end, true);
        } else {
          c.attributes['http.response.status_code'] = 200;
          sdk.attributes['payment.intent.id'] = `pi_3${rng.hex(8)}${rng.hex(12).toUpperCase()}`;
        }
        tr.end(c, end);
        a = end;
      }
      // (Re-read: TypeScript keeps the `if (tr.err) return` narrowing above across the calls that set it.)
      const err = tr.err as Thrown | undefined;
      if (err) sdk.status = { code: 'error', message: err.message };
      t = a + lognormalNs(rng, 0.1, 0.5);
      tr.end(sdk, t);
      if (tr.err) return t + this.gap();
      return this.pg(tr, pod, server, t + this.gap(), SQL.updatePayment, what) + this.gap();
    };
  }

  private checkoutPlace(v: Visitor, items: number[]): Handler {
    return (tr, pod, server, at) => {
      const rng = this.rng;
      const amountCents = rng.int(499, 89_999);
      const orderId = rng.int(1_000_000, 9_999_999);
      const idem = uuid(rng);
      const place = tr.begin(pod, pod.app, 'checkout.place_order', 'internal', server, at);
      place.attributes = { 'user.id': String(v.userId), 'cart.id': v.cartId, 'order.items': items.length, 'order.idempotency_key': idem };
      const t = this.seq(tr, at + lognormalNs(rng, 0.05, 0.5), [
        (a) => this.call(tr, pod, place, a, 'http', 'cart', 'GET', '/carts/:id', `/carts/${v.cartId}`, '', 200, this.cartGet(v)),
        (a) => this.call(tr, pod, place, a, 'http', 'catalog', 'GET', '/products', '/products', `ids=${items.join(',')}`, 200, this.catalogQuery(SQL.byIds, `price products ${items.join(',')}`)),
        (a) => this.pg(tr, pod, place, a, SQL.begin, `create order for user ${v.userId}`),
        (a) => this.pg(tr, pod, place, a, SQL.insertOrder, `create order for user ${v.userId}`),
        (a) => this.pg(tr, pod, place, a, SQL.insertOrderItems, `add ${items.length} items to order ${orderId}`),
        (a) => {
          const end = this.call(tr, pod, place, a, 'http', 'payments', 'POST', '/payments', '/payments', '', 201, this.paymentsCreate(orderId, amountCents));
          if (!tr.err) {
            tr.event(place, 'payment.authorized', end, { 'order.id': orderId, 'payment.amount': amountCents / 100 });
          }
          return end;
        },
        (a) => this.pg(tr, pod, place, a, SQL.commit, `create order ${orderId}`),
        (a) => this.publish(tr, pod, place, a, orderId, items),
        (a) => this.call(tr, pod, place, a, 'http', 'cart', 'DELETE', '/carts/:id', `/carts/${v.cartId}`, '', 204, this.cartClear(v)),
      ]);
      place.attributes['order.id'] = orderId;
      place.status = tr.err ? { code: 'error', message: tr.err.message } : { code: 'ok' };
      tr.end(place, t);
      return t + this.gap();
    };
  }

  /** amqplib publish of an order: the producer span; the worker's trace starts once it is delivered. */
  private publish(tr: Trace, pod: Pod, parent: Draft, atOff: number, orderId: number, items: number[]): number {
    const rng = this.rng;
    const messageId = uuid(rng);
    const d = tr.begin(pod, AMQPLIB, 'publish orders', 'producer', parent, atOff);
    d.attributes = { 'messaging.system': 'rabbitmq', 'messaging.operation.type': 'send', 'messaging.operation.name': 'publish', 'messaging.destination.name': 'orders', 'messaging.rabbitmq.destination.routing_key': 'order.created', 'messaging.message.id': messageId, 'messaging.message.conversation_id': String(orderId), 'messaging.message.body.size': rng.int(180, 900), 'server.address': 'rabbitmq.shop.svc', 'server.port': 5672, 'network.protocol.name': 'amqp', 'network.protocol.version': '0.9.1' };
    const endOff = atOff + lognormalNs(rng, 0.12, 0.5);
    tr.end(d, endOff);
    const link: SpanLink = { traceId: tr.traceId, spanId: d.spanId, flags: FLAGS_REMOTE, attributes: {}, droppedAttributesCount: 0 };
    if (tr.traceState !== undefined) link.traceState = tr.traceState;
    // Broker hop + prefetch queueing: usually ms, sometimes a backlog.
    this.consume(endOff + lognormalNs(rng, 3, 1.1), link, messageId, orderId, items);
    return endOff;
  }

  /** The worker's own trace for one delivered message, its root consumer span linked to the producer. */
  private consume(atOff: number, link: SpanLink, messageId: string, orderId: number, items: number[]): void {
    const rng = this.rng;
    const tr = new Trace(this.g, id(rng, 32), undefined, chance(rng, this.errorRate) ? rng.int(1, 3) : -1);
    const pod = this.pod('inventory-worker');
    const root = tr.begin(pod, AMQPLIB, 'process orders', 'consumer', undefined, atOff);
    root.links.push(link);
    root.attributes = { 'messaging.system': 'rabbitmq', 'messaging.operation.type': 'process', 'messaging.operation.name': 'consume', 'messaging.destination.name': 'orders', 'messaging.rabbitmq.destination.routing_key': 'order.created', 'messaging.message.id': messageId, 'messaging.message.conversation_id': String(orderId), 'messaging.rabbitmq.message.delivery_tag': pod.deliveryTag++, 'server.address': 'rabbitmq.shop.svc', 'server.port': 5672, 'network.protocol.name': 'amqp', 'network.protocol.version': '0.9.1' };
    const what = `reserve stock for order ${orderId}`;
    const steps: Array<(at: number) => number> = [(a) => this.pg(tr, pod, root, a, SQL.begin, what)];
    for (const p of items) steps.push((a) => this.pg(tr, pod, root, a, SQL.reserveStock, `reserve product ${p} for order ${orderId}`));
    steps.push((a) => this.pg(tr, pod, root, a, SQL.insertMovements, what), (a) => this.pg(tr, pod, root, a, SQL.commit, what));
    steps.push((a) => this.call(tr, pod, root, a, 'http', 'catalog', 'POST', '/internal/stock-changed', '/internal/stock-changed', '', 204, (t2, cpod, server, at2) => this.redis(t2, cpod, server, at2, 'del', `product:${items[0]}`, items.length - 1, `invalidate products ${items.join(',')}`) + this.gap()));
    let t = this.seq(tr, atOff + lognormalNs(rng, 0.08, 0.5), steps);
    if (tr.err) {
      // The consumer nacks and the message is redelivered: the error stays on the consumer span.
      root.status = { code: 'error', message: tr.err.message };
      this.exceptionEvent(tr, root, tr.err.type, tr.err.message, tr.err.stack, tr.err.atOff);
    }
    t += lognormalNs(rng, 0.05, 0.5);
    tr.end(root, t);
    this.done(tr);
  }

  // ------------------------------------------------------------ the front door

  /** One front-door request starting at `atOff`, as a whole trace (plus any worker trace it causes). */
  request(atOff: number): void {
    const rng = this.rng;
    // Never the first fallible step (session or rate limit): a failed trace still shows some work.
    const tr = this.newTrace(chance(rng, this.errorRate) ? rng.int(1, 3) : -1);
    const fe = this.pod('frontend');
    const v = this.visitor();
    const r = rng.float();
    // Route mix (weights): product page 30, home 10, category API 10, search 12, cart page 10, add to
    // cart 8, order page 6, checkout 4.
    let method = 'GET';
    let route: string;
    let path: string;
    let query = '';
    let okStatus = 200;
    let page: Handler;
    const productId = rng.int(1, 80_000);
    const sessionFirst = (h: Handler): Handler => (t, pod, server, at) => {
      if (v.sessionId === undefined) return h(t, pod, server, at);
      const s = this.redis(t, pod, server, at, 'get', `sess:${v.sessionId}`, 0, `load session of user ${v.userId}`) + this.gap();
      return t.err ? s : h(t, pod, server, s);
    };
    const clientIp = publicIp(rng);
    // POST routes pass the rate limiter (a per-client counter in redis) before the body is parsed.
    const limited = (t: Trace, pod: Pod, server: Draft, at: number) => this.redis(t, pod, server, at, 'incr', `rl:${clientIp}`, 0, `rate limit ${clientIp}`) + this.gap();
    const render = (t: Trace, server: Draft, template: string, medianMs: number, a: number) => this.internal(t, fe, server, a, `render ${template}`, medianMs, { 'template.name': template, 'template.engine': 'eta' }) + this.gap();

    if (r < 30 / 90) {
      route = '/products/:id';
      path = `/products/${productId}`;
      page = (t, pod, server, at) => {
        const steps = [
          (a: number) => this.call(t, pod, server, a, 'undici', 'catalog', 'GET', '/products/:id', `/products/${productId}`, '', 200, this.catalogProduct(productId)),
          (a: number) => this.call(t, pod, server, a, 'undici', 'catalog', 'GET', '/products/:id/recommendations', `/products/${productId}/recommendations`, '', 200, this.catalogQuery(SQL.recommendations, `recommend for product ${productId}`)),
        ];
        if (v.sessionId !== undefined) steps.push((a: number) => this.call(t, pod, server, a, 'undici', 'cart', 'GET', '/carts/:id', `/carts/${v.cartId}`, '', 200, this.cartGet(v)));
        const joined = this.parallel(t, at, steps);
        return t.err ? joined : render(t, server, 'product.eta', 3, joined);
      };
    } else if (r < 40 / 90) {
      route = '/';
      path = '/';
      page = (t, pod, server, at) => {
        const c = this.call(t, pod, server, at, 'undici', 'catalog', 'GET', '/products/featured', '/products/featured', 'limit=12', 200, this.catalogQuery(SQL.featured, 'load featured products', 'products:featured'));
        return t.err ? c + this.gap() : render(t, server, 'home.eta', 4, c + this.gap());
      };
    } else if (r < 50 / 90) {
      const category = rng.int(1, 64);
      const pageNo = rng.int(1, 12);
      route = '/api/products';
      path = '/api/products';
      query = `category=${category}&page=${pageNo}`;
      page = (t, pod, server, at) => this.call(t, pod, server, at, 'undici', 'catalog', 'GET', '/products', '/products', `category=${category}&limit=24&offset=${24 * (pageNo - 1)}`, 200, this.catalogQuery(SQL.byCategory, `list category ${category} page ${pageNo}`, `category:${category}:${pageNo}`)) + this.gap();
    } else if (r < 62 / 90) {
      const q = rng.pick(SEARCH_TERMS);
      const pageNo = rng.int(1, 4);
      route = '/search';
      path = '/search';
      query = `q=${q.replaceAll(' ', '+')}&page=${pageNo}`;
      page = (t, pod, server, at) => {
        const c = this.call(t, pod, server, at, 'undici', 'catalog', 'GET', '/search', '/search', `q=${encodeURIComponent(q)}&offset=${24 * (pageNo - 1)}`, 200, (t2, cpod, s2, a2) => this.seq(t2, a2, [(a) => this.pg(t2, cpod, s2, a, SQL.search, `search "${q}"`), (a) => this.pg(t2, cpod, s2, a, SQL.searchCount, `count "${q}"`)]));
        return t.err ? c + this.gap() : render(t, server, 'search.eta', 3.5, c + this.gap());
      };
    } else if (r < 72 / 90) {
      route = '/cart';
      path = '/cart';
      const items = Array.from({ length: rng.int(1, 6) }, () => rng.int(1, 80_000));
      page = (t, pod, server, at) => {
        const c = this.seq(t, at, [
          (a) => this.call(t, pod, server, a, 'undici', 'cart', 'GET', '/carts/:id', `/carts/${v.cartId}`, '', 200, this.cartGet(v)),
          (a) => this.call(t, pod, server, a, 'undici', 'catalog', 'GET', '/products', '/products', `ids=${items.join(',')}`, 200, this.catalogQuery(SQL.byIds, `load products ${items.join(',')}`)),
        ]);
        return t.err ? c : render(t, server, 'cart.eta', 2.5, c);
      };
    } else if (r < 80 / 90) {
      method = 'POST';
      route = '/api/cart/items';
      path = '/api/cart/items';
      const quantity = rng.pick([1, 1, 1, 2, 3]);
      const signedIn = v.sessionId !== undefined;
      okStatus = signedIn ? 201 : 401;
      page = (t, pod, server, at) => {
        const passed = limited(t, pod, server, at);
        if (t.err) return passed;
        const parsed = this.internal(t, pod, server, passed, 'parse request body', 0.08, { 'http.request.body.size': rng.int(40, 90) }) + this.gap();
        // No session: 401 without touching a backend.
        if (!signedIn) return parsed;
        return this.call(t, pod, server, parsed, 'undici', 'cart', 'POST', '/carts/:id/items', `/carts/${v.cartId}/items`, '', 201, this.cartAdd(v, productId, quantity)) + this.gap();
      };
    } else if (r < 86 / 90) {
      const orderId = rng.int(1_000_000, 9_999_999);
      route = '/orders/:id';
      path = `/orders/${orderId}`;
      page = (t, pod, server, at) => {
        const c = this.call(t, pod, server, at, 'undici', 'checkout', 'GET', '/orders/:id', `/orders/${orderId}`, '', 200, (t2, cpod, s2, a2) => this.seq(t2, a2, [(a) => this.pg(t2, cpod, s2, a, SQL.orderById, `load order ${orderId} of user ${v.userId}`), (a) => this.pg(t2, cpod, s2, a, SQL.orderItems, `load items of order ${orderId}`)]));
        return t.err ? c + this.gap() : render(t, server, 'order.eta', 2.5, c + this.gap());
      };
    } else {
      method = 'POST';
      route = '/api/checkout';
      path = '/api/checkout';
      okStatus = 201;
      const items = Array.from({ length: rng.int(1, 4) }, () => rng.int(1, 80_000));
      page = (t, pod, server, at) => {
        const passed = limited(t, pod, server, at);
        if (t.err) return passed;
        const parsed = this.internal(t, pod, server, passed, 'parse request body', 0.12, { 'http.request.body.size': rng.int(120, 600) }) + this.gap();
        return this.call(t, pod, server, parsed, 'undici', 'checkout', 'POST', '/checkout', '/checkout', '', 201, this.checkoutPlace(v, items)) + this.gap();
      };
    }

    // The root: the frontend's HTTP server span behind the ingress (TLS terminated there).
    const root = tr.begin(fe, HTTP, `${method} ${route}`, 'server', undefined, atOff);
    root.attributes = { 'http.request.method': method, 'url.scheme': 'https', 'url.path': path };
    if (query) root.attributes['url.query'] = query;
    Object.assign(root.attributes, { 'http.route': route, 'server.address': 'www.shop.example', 'server.port': 443, 'network.protocol.version': '1.1', 'client.address': clientIp, 'network.peer.address': rng.pick(this.ingressIps), 'network.peer.port': ephemeralPort(rng), 'user_agent.original': rng.pick(BROWSERS) });
    if (v.sessionId !== undefined) root.attributes['user.id'] = String(v.userId);
    let t = sessionFirst(page)(tr, fe, root, atOff + lognormalNs(rng, 0.1, 0.5));
    if (tr.failAt >= 0 && !tr.failed && !tr.err) {
      // The trace was meant to fail but no step did: the frontend's own code throws.
      const f = rng.pick(CODE_FAILURES);
      const message = f.message(rng, path);
      tr.err = { type: f.type, message, stack: stackOf(f.type, message, f.frames), httpStatus: 500, origin: fe, atOff: t };
      tr.failed = true;
    }
    // Cheap conditional GETs: browsers revalidate some pages.
    if (!tr.err && method === 'GET' && route !== '/api/products' && chance(rng, 0.04)) okStatus = 304;
    t += lognormalNs(rng, 0.2, 0.6);
    this.respond(tr, root, fe, t, okStatus);
    this.done(tr);
  }
}

// ---------------------------------------------------------------- emission order

/** Min-heap of ended spans by (end offset, sequence): the order an exporter sees them. */
class EndHeap {
  private readonly items: Ended[] = [];

  get size(): number {
    return this.items.length;
  }

  peekEnd(): number {
    return this.items[0].endOff;
  }

  push(e: Ended): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  pop(): Span {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top.span;
  }
}

function before(x: Ended, y: Ended): boolean {
  return x.endOff < y.endOff || (x.endOff === y.endOff && x.seq < y.seq);
}

// ---------------------------------------------------------------- stream

/**
 * Spans in batches, in end order. Deterministic for (seed, fromMs, tracesPerSec, errorRate): the batch
 * size only changes how they are cut. Each batch is a fresh array; resource and scope objects are
 * shared between spans of one pod, as an SDK shares them.
 */
export function* generateTraces(o: TracesGenOptions): Generator<Span[]> {
  const tracesPerSec = o.tracesPerSec ?? 50;
  const batchSize = o.batch ?? 1000;
  const errorRate = o.errorRate ?? 0.015;
  if (!Number.isInteger(o.spans) || o.spans < 0) throw new RangeError(`spans must be a non-negative integer, got ${o.spans}`);
  if (!(tracesPerSec > 0) || !Number.isFinite(tracesPerSec)) throw new RangeError(`tracesPerSec must be positive, got ${tracesPerSec}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch must be a positive integer, got ${batchSize}`);
  if (!(errorRate >= 0 && errorRate <= 1)) throw new RangeError(`errorRate must be in [0, 1], got ${errorRate}`);
  if (!Number.isFinite(o.fromMs)) throw new RangeError(`fromMs must be finite, got ${o.fromMs}`);

  // Whole ms as bigint + offsets in ns as doubles: exact to the ns for ~100 days of offset.
  const baseMs = Math.floor(o.fromMs);
  const baseNs = BigInt(baseMs) * 1_000_000n;
  const g: Generation = { rng: new Prng(o.seed), seq: 0, ns: (off) => baseNs + BigInt(Math.round(off)) };
  const heap = new EndHeap();
  let generated = 0;
  const shop = new Shop(g, errorRate, (tr) => {
    for (const e of tr.ended) heap.push(e);
    generated += tr.ended.length;
  });

  let batch: Span[] = [];
  let arrivalOff = (o.fromMs - baseMs) * NS_PER_MS;
  for (let first = true; generated < o.spans; first = false) {
    if (!first) arrivalOff += Math.max(1, (-Math.log(1 - g.rng.float()) / tracesPerSec) * 1e9);
    // Everything that ended before this arrival is final: later traces end later still.
    while (heap.size > 0 && heap.peekEnd() <= arrivalOff) {
      batch.push(heap.pop());
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
    shop.request(arrivalOff);
  }
  while (heap.size > 0) {
    batch.push(heap.pop());
    if (batch.length === batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

// ---------------------------------------------------------------- OTLP/JSON

const OTLP_KIND: Record<SpanKind, number> = { unspecified: 0, internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
const OTLP_STATUS = { unset: 0, ok: 1, error: 2 } as const;

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** An AnyValue in proto3 JSON: int64 as a decimal string, non-finite doubles as their names. */
function anyValue(v: AttrValue): Json {
  if (v === null) return {};
  switch (typeof v) {
    case 'string':
      return { stringValue: v };
    case 'boolean':
      return { boolValue: v };
    case 'number':
      if (Number.isInteger(v)) return { intValue: String(v) };
      return { doubleValue: Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity' };
  }
  if (Array.isArray(v)) return { arrayValue: v.length > 0 ? { values: v.map(anyValue) } : {} };
  const kv = keyValues(v);
  return { kvlistValue: kv.length > 0 ? { values: kv } : {} };
}

function keyValues(a: Attributes): Json[] {
  const out: Json[] = [];
  for (const key of Object.keys(a)) out.push({ key, value: anyValue(a[key]) });
  return out;
}

/** Sets `o[k] = v` unless v is the proto3 default (0, '', empty list), which proto3 JSON omits. */
function put(o: { [k: string]: Json }, k: string, v: Json | undefined): void {
  if (v === undefined || v === 0 || v === '' || (Array.isArray(v) && v.length === 0)) return;
  o[k] = v;
}

function attrsJson(o: { [k: string]: Json }, attributes: Attributes, dropped: number): void {
  put(o, 'attributes', keyValues(attributes));
  put(o, 'droppedAttributesCount', dropped);
}

function nanos(ns: bigint): string | undefined {
  return ns === 0n ? undefined : ns.toString();
}

function spanJson(s: Span): Json {
  const o: { [k: string]: Json } = { traceId: s.traceId, spanId: s.spanId };
  put(o, 'traceState', s.traceState);
  put(o, 'parentSpanId', s.parentSpanId);
  put(o, 'flags', s.flags);
  put(o, 'name', s.name);
  put(o, 'kind', OTLP_KIND[s.kind]);
  put(o, 'startTimeUnixNano', nanos(s.startNs));
  put(o, 'endTimeUnixNano', nanos(s.endNs));
  attrsJson(o, s.attributes, s.droppedAttributesCount);
  put(o, 'events', s.events.map((e) => {
    const ej: { [k: string]: Json } = {};
    put(ej, 'timeUnixNano', nanos(e.timeNs));
    put(ej, 'name', e.name);
    attrsJson(ej, e.attributes, e.droppedAttributesCount);
    return ej;
  }));
  put(o, 'droppedEventsCount', s.droppedEventsCount);
  put(o, 'links', s.links.map((l) => {
    const lj: { [k: string]: Json } = { traceId: l.traceId, spanId: l.spanId };
    put(lj, 'traceState', l.traceState);
    attrsJson(lj, l.attributes, l.droppedAttributesCount);
    put(lj, 'flags', l.flags);
    return lj;
  }));
  put(o, 'droppedLinksCount', s.droppedLinksCount);
  // Status is a message: omitted when it is all defaults (unset, no description).
  const status: { [k: string]: Json } = {};
  put(status, 'message', s.status.message);
  put(status, 'code', OTLP_STATUS[s.status.code]);
  if (Object.keys(status).length > 0) o.status = status;
  return o;
}

/** Grouping keys by content (spans read back from a store do not share resource objects), cached per object. */
const resourceKeys = new WeakMap<SpanResource, string>();
const scopeKeys = new WeakMap<InstrumentationScope, string>();

function keyOf<T extends object>(cache: WeakMap<T, string>, x: T): string {
  let k = cache.get(x);
  if (k === undefined) {
    k = JSON.stringify(x);
    cache.set(x, k);
  }
  return k;
}

/**
 * The OTLP/JSON ExportTraceServiceRequest text of a batch (resourceSpans grouped by resource and
 * scope, in first-seen order): the "raw" the traces compression ratio is measured against.
 */
export function toOtlpJson(spans: Span[]): string {
  const byResource = new Map<string, { resource: SpanResource; scopes: Map<string, { scope: InstrumentationScope; spans: Json[] }> }>();
  for (const s of spans) {
    const rk = keyOf(resourceKeys, s.resource);
    let r = byResource.get(rk);
    if (!r) byResource.set(rk, (r = { resource: s.resource, scopes: new Map() }));
    const sk = keyOf(scopeKeys, s.scope);
    let sc = r.scopes.get(sk);
    if (!sc) r.scopes.set(sk, (sc = { scope: s.scope, spans: [] }));
    sc.spans.push(spanJson(s));
  }
  const resourceSpans: Json[] = [];
  for (const { resource, scopes } of byResource.values()) {
    const res: { [k: string]: Json } = {};
    attrsJson(res, resource.attributes, resource.droppedAttributesCount);
    const scopeSpans: Json[] = [];
    for (const { scope: sc, spans: js } of scopes.values()) {
      const scj: { [k: string]: Json } = {};
      put(scj, 'name', sc.name);
      put(scj, 'version', sc.version);
      attrsJson(scj, sc.attributes, sc.droppedAttributesCount);
      const ss: { [k: string]: Json } = { scope: scj, spans: js };
      put(ss, 'schemaUrl', sc.schemaUrl);
      scopeSpans.push(ss);
    }
    const rs: { [k: string]: Json } = { resource: res, scopeSpans };
    put(rs, 'schemaUrl', resource.schemaUrl);
    resourceSpans.push(rs);
  }
  return JSON.stringify({ resourceSpans });
}
