// The demo "shop": a small real Hono app (catalogue, search, orders, a slow report) plus a fake
// payment provider that the shop calls over loopback HTTP with a traceparent header, so a trace
// crosses a client→server hop. Both are instrumented with timelessHono and log through
// DemoTelemetry; their DB queries become client spans. Faults are seeded and rare (≈2-3 % 5xx).
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { timelessHono, type TimelessHonoMiddleware } from '../../integrations/hono.js';
import { formatTraceparent } from '../../integrations/traceparent.js';
import { CATEGORIES, DemoDb, type Product } from './db.js';
import { DemoRandom } from './prng.js';
import { DemoTelemetry, exceptionAttributes, type DemoStore } from './telemetry.js';

export interface DemoAppOptions {
  /** Where the app is mounted ('/demo'): the shop calls the payment provider below it. */
  mountPath: string;
  seed: number;
  /** Authorization header for the shop's calls to the payment provider (when the server has auth on). */
  authorization?: string;
  /** Flush period of the request histogram; default 5 s so a new dashboard fills quickly. */
  metricsIntervalMs?: number;
}

export interface DemoApp {
  /** Mount under mountPath. */
  readonly app: Hono;
  readonly productCount: number;
  /** The server's own origin (http://127.0.0.1:port), known once it listens. */
  setOrigin(origin: string): void;
  /** Writes the request histograms, stops their timers and closes the database. */
  close(): void;
}

export const SHOP_SERVICE = 'demo-shop';
export const PAYMENTS_SERVICE = 'demo-payments';
const SLOW_TIMEOUT_MS = 1350;
const PAYMENT_TIMEOUT_MS = 5_000;

/** An error with the HTTP status the app answers it with (5xx: an upstream failed). */
class UpstreamError extends Error {
  readonly status: 502 | 503 | 504;
  constructor(name: string, message: string, status: 502 | 503 | 504) {
    super(message);
    this.name = name;
    this.status = status;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** timelessHono plus one access-log line per request, skipped for paths another service owns. */
function instrument(tel: DemoTelemetry, mw: TimelessHonoMiddleware, skip: (path: string) => boolean = () => false): MiddlewareHandler {
  return async (c, next) => {
    if (skip(c.req.path)) return next();
    return mw(c as Context, async () => {
      const startMs = performance.now();
      await next();
      const durationMs = Math.round((performance.now() - startMs) * 10) / 10;
      const status = c.res.status;
      const attrs = { 'http.request.method': c.req.method, 'url.path': c.req.path, 'http.response.status_code': status, duration_ms: durationMs };
      tel.log('info', `${c.req.method} ${c.req.path} ${status} ${durationMs}ms`, attrs);
      if (durationMs > 1000) tel.log('warn', `slow request: ${c.req.method} ${c.req.path} took ${durationMs}ms`, attrs);
    });
  };
}

function onError(tel: DemoTelemetry) {
  return (err: Error, c: Context) => {
    const status = err instanceof UpstreamError ? err.status : 500;
    tel.log('error', `${c.req.method} ${c.req.path} failed: ${err.message}`, { ...exceptionAttributes(err), 'http.response.status_code': status });
    return c.json({ error: err.message }, status);
  };
}

function positiveInt(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,9}$/.test(text)) return undefined;
  const n = Number(text);
  return n > 0 ? n : undefined;
}

export function createDemoApp(store: DemoStore, opts: DemoAppOptions): DemoApp {
  const shopTel = new DemoTelemetry(store, SHOP_SERVICE);
  const payTel = new DemoTelemetry(store, PAYMENTS_SERVICE);
  // Separate streams: the catalogue is the same for a seed whatever the traffic does.
  const db = new DemoDb(shopTel, payTel, new DemoRandom(opts.seed), { productCount: 240, historicOrders: 3000, faultRate: 0.004 });
  const random = new DemoRandom(opts.seed ^ 0x5eed);
  const metricsIntervalMs = opts.metricsIntervalMs ?? 5_000;
  const shopMw = timelessHono(shopTel.httpTarget, { metricsIntervalMs });
  const payMw = timelessHono(payTel.httpTarget, { metricsIntervalMs });
  const paymentsPrefix = `${opts.mountPath}/payments`;
  let origin: string | undefined;

  const payments = new Hono();
  payments.use('*', instrument(payTel, payMw));
  payments.onError(onError(payTel));
  payments.post('/charge', async (c) => {
    const body = (await c.req.json().catch(() => undefined)) as { orderId?: number; amountCents?: number } | undefined;
    if (typeof body?.orderId !== 'number' || typeof body.amountCents !== 'number') return c.json({ error: 'orderId and amountCents are required' }, 400);
    await sleep(random.int(15, 120)); // the acquirer's round trip
    if (random.chance(0.04)) throw new UpstreamError('AcquirerError', 'acquirer connection reset', 503);
    const outcome = random.chance(0.04) ? 'declined' : 'approved';
    db.recordPayment(body.orderId, body.amountCents, outcome);
    if (outcome === 'declined') {
      payTel.log('warn', `payment for order ${body.orderId} declined: insufficient funds`, { 'order.id': body.orderId, 'payment.amount_cents': body.amountCents });
      return c.json({ outcome }, 402);
    }
    payTel.log('debug', `charged ${body.amountCents} cents for order ${body.orderId}`, { 'order.id': body.orderId });
    return c.json({ outcome });
  });

  /** Calls the payment provider over real HTTP; a client span wraps the call and its traceparent links the provider's server span. */
  async function charge(orderId: number, amountCents: number): Promise<'approved' | 'declined'> {
    if (origin === undefined) throw new UpstreamError('PaymentProviderError', 'payment provider address unknown (server not listening yet)', 503);
    const url = new URL(`${paymentsPrefix}/charge`, origin);
    const span = shopTel.startSpan(`POST ${paymentsPrefix}/charge`, 'client', {
      'http.request.method': 'POST',
      'url.full': url.href,
      'server.address': url.hostname,
      'server.port': Number(url.port),
      'peer.service': PAYMENTS_SERVICE,
    });
    const headers: Record<string, string> = { 'content-type': 'application/json', traceparent: formatTraceparent(span.traceId, span.spanId, span.flags) };
    if (opts.authorization !== undefined) headers.authorization = opts.authorization;
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ orderId, amountCents }), signal: AbortSignal.timeout(PAYMENT_TIMEOUT_MS) });
      await res.arrayBuffer();
    } catch (err) {
      span.end({ error: err });
      throw new UpstreamError('PaymentProviderError', `payment provider unreachable: ${(err as Error).message}`, 502);
    }
    const status = { attributes: { 'http.response.status_code': res.status } };
    if (res.status === 200 || res.status === 402) {
      span.end(status);
      return res.status === 200 ? 'approved' : 'declined';
    }
    const err = new UpstreamError('PaymentProviderError', `payment provider answered ${res.status}`, 502);
    span.end({ ...status, error: err, errorType: String(res.status) });
    throw err;
  }

  const shop = new Hono();
  shop.use('*', instrument(shopTel, shopMw, (path) => path === paymentsPrefix || path.startsWith(`${paymentsPrefix}/`)));
  shop.onError(onError(shopTel));
  shop.get('/', (c) =>
    c.json({
      app: 'timeless demo shop',
      routes: ['GET products?category=', 'GET products/:id', 'GET search?q=', 'POST orders {productId, quantity}', 'GET slow'],
      categories: CATEGORIES,
    }),
  );
  shop.get('/products', (c) => {
    const category = c.req.query('category');
    const limit = Math.min(positiveInt(c.req.query('limit')) ?? 20, 100);
    const products = db.listProducts(category, limit);
    shopTel.log('debug', `listed ${products.length} products${category === undefined ? '' : ` in ${category}`}`, { 'products.count': products.length });
    return c.json({ products });
  });
  shop.get('/products/:id', (c) => {
    const id = positiveInt(c.req.param('id'));
    if (id === undefined) return c.json({ error: 'a product id is a positive integer' }, 400);
    const product = db.product(id);
    if (product === undefined) {
      shopTel.log('warn', `unknown product ${id}`, { 'product.id': id });
      return c.json({ error: `no product ${id}` }, 404);
    }
    return c.json(product);
  });
  shop.get('/search', (c) => {
    const q = c.req.query('q')?.trim() ?? '';
    if (q === '') return c.json({ error: 'q is required' }, 400);
    const products = db.search(q);
    shopTel.log(products.length === 0 ? 'warn' : 'debug', `search '${q}' matched ${products.length} products`, { 'search.query': q, 'products.count': products.length });
    return c.json({ products });
  });
  shop.post('/orders', async (c) => {
    const body = (await c.req.json().catch(() => undefined)) as { productId?: unknown; quantity?: unknown } | undefined;
    const productId = typeof body?.productId === 'number' ? positiveInt(String(body.productId)) : undefined;
    const quantity = typeof body?.quantity === 'number' ? positiveInt(String(body.quantity)) : undefined;
    if (productId === undefined || quantity === undefined || quantity > 10) return c.json({ error: 'productId (integer) and quantity (1..10) are required' }, 400);
    const product: Product | undefined = db.product(productId);
    if (product === undefined) {
      shopTel.log('warn', `order for unknown product ${productId}`, { 'product.id': productId });
      return c.json({ error: `no product ${productId}` }, 404);
    }
    if (!db.takeStock(productId, quantity)) {
      shopTel.log('warn', `${product.name} is out of stock; reordering 100`, { 'product.id': productId, 'product.stock': product.stock });
      db.restock(productId, 100);
      return c.json({ error: `only ${product.stock} left` }, 409);
    }
    if (product.stock - quantity < 5) shopTel.log('warn', `low stock: ${product.stock - quantity} ${product.name} left`, { 'product.id': productId });
    const totalCents = quantity * product.priceCents;
    const orderId = db.createOrder(productId, quantity, totalCents);
    let outcome: 'approved' | 'declined';
    try {
      outcome = await charge(orderId, totalCents);
    } catch (err) {
      db.setOrderStatus(orderId, 'failed');
      db.restock(productId, quantity);
      throw err;
    }
    if (outcome === 'declined') {
      db.setOrderStatus(orderId, 'declined');
      db.restock(productId, quantity);
      shopTel.log('warn', `order ${orderId} declined by the payment provider`, { 'order.id': orderId });
      return c.json({ orderId, status: 'declined' }, 402);
    }
    db.setOrderStatus(orderId, 'paid');
    shopTel.log('info', `order ${orderId} paid: ${quantity} × ${product.name}, ${(totalCents / 100).toFixed(2)} EUR`, { 'order.id': orderId, 'order.total_cents': totalCents });
    return c.json({ orderId, status: 'paid', totalCents }, 201);
  });
  shop.get('/slow', async (c) => {
    // A warehouse API that is sometimes very slow; past SLOW_TIMEOUT_MS the shop gives up (504).
    const waitMs = random.int(200, 1500);
    const span = shopTel.startSpan('warehouse sync', 'internal', { 'warehouse.wait_ms': Math.min(waitMs, SLOW_TIMEOUT_MS) });
    await sleep(Math.min(waitMs, SLOW_TIMEOUT_MS));
    if (waitMs > SLOW_TIMEOUT_MS) {
      const err = new UpstreamError('WarehouseTimeout', `warehouse API timed out after ${SLOW_TIMEOUT_MS} ms`, 504);
      span.end({ error: err });
      throw err;
    }
    span.end();
    const report = db.salesReport();
    shopTel.log('debug', `sales report over ${report.length} categories`, { 'report.categories': report.length });
    return c.json({ report });
  });

  const app = new Hono();
  app.route('/payments', payments);
  app.route('/', shop);
  return {
    app,
    productCount: db.productCount,
    setOrigin(o: string) {
      origin = o;
    },
    close() {
      for (const mw of [shopMw, payMw]) {
        mw.flushMetrics();
        mw.stop();
      }
      db.close();
    },
  };
}
