// Seeded synthetic application log for a Node service: the workload the logs engine and the lz
// codec are measured on. It aims to be honest rather than flattering: ids are random (incompressible
// hex), timestamps advance irregularly, numbers vary, and templates come from a realistic mix rather
// than a handful of repeated lines.
import { Prng } from './prng.js';

const HOSTS = ['api-7f9c4d-x2k8p', 'api-7f9c4d-q9wz1', 'worker-5b8e21-m3n7c'];
const METHODS = ['GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH'];
const ROUTES = [
  '/api/v1/users/:id', '/api/v1/users/:id/orders', '/api/v1/orders/:id', '/api/v1/products',
  '/api/v1/products/:id', '/api/v1/cart', '/api/v1/checkout', '/api/v1/search', '/health',
  '/api/v1/sessions', '/api/v1/invoices/:id/pdf', '/api/v2/recommendations', '/static/app.:hash.js',
];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'okhttp/4.12.0', 'curl/8.5.0', 'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)',
  'Go-http-client/2.0', 'python-requests/2.31.0',
];
const TEXT_MSGS = [
  'cache miss for key user:%d, loading from database',
  'connection pool size=%d idle=%d waiting=%d',
  'scheduled job report-export finished in %dms (%d rows)',
  'retrying request to payment-gateway attempt=%d',
  'rate limit exceeded for client %h',
  'websocket client connected, %d active',
  'flushed %d metrics to exporter',
  'gc pause %dms, heap used %d MB',
  'feature flag checkout_v2 evaluated to %b for user %d',
  'slow query detected (%dms), see query log',
];
const SQL = [
  'SELECT id, email, created_at FROM users WHERE id = $1',
  'SELECT o.id, o.total, o.status FROM orders o WHERE o.user_id = $1 ORDER BY o.created_at DESC LIMIT 20',
  'UPDATE carts SET updated_at = now(), items = $2 WHERE id = $1',
  'INSERT INTO events (type, payload, user_id) VALUES ($1, $2, $3)',
  'SELECT p.id, p.name, p.price FROM products p JOIN inventory i ON i.product_id = p.id WHERE i.qty > 0 AND p.category = $1',
  'DELETE FROM sessions WHERE expires_at < now()',
];
const ERRORS = [
  ['TypeError', "Cannot read properties of undefined (reading 'id')"],
  ['Error', 'connect ECONNREFUSED 10.0.3.17:5432'],
  ['ValidationError', 'body.email must match format "email"'],
  ['TimeoutError', 'operation timed out after 5000ms'],
];
const FRAMES = [
  'at OrderService.create (/app/dist/services/order.js:%d:%d)',
  'at async Promise.all (index %d)',
  'at UserRepository.findById (/app/dist/repos/user.js:%d:%d)',
  'at processTicksAndRejections (node:internal/process/task_queues:95:5)',
  'at Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)',
  'at next (/app/node_modules/express/lib/router/route.js:149:13)',
  'at validate (/app/dist/middleware/validate.js:%d:%d)',
  'at Socket.<anonymous> (/app/dist/db/pool.js:%d:%d)',
];
const LEVELS: Array<[number, string]> = [[30, 'info'], [30, 'info'], [30, 'info'], [30, 'info'], [20, 'debug'], [20, 'debug'], [40, 'warn'], [50, 'error']];

function ip(rng: Prng): string {
  // Clients come from a pool of subnets, as behind a load balancer, not uniformly from 2^32.
  return `${rng.pick([10, 172, 192, 81, 203])}.${rng.int(0, 31)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

function fill(rng: Prng, template: string): string {
  return template.replace(/%[dhb]/g, (m) => (m === '%d' ? String(rng.int(0, rng.pick([9, 99, 999, 99999]))) : m === '%h' ? rng.hex(12) : String(rng.u32() & 1 ? 'true' : 'false')));
}

/** Roughly `bytes` bytes (whole lines, at least `bytes`, trimmed to exactly `bytes`) of log text. */
export function generateAppLog(bytes: number, seed: number): Uint8Array {
  const rng = new Prng(seed);
  const enc = new TextEncoder();
  const out = new Uint8Array(bytes);
  let used = 0;
  let timeMs = 1_714_000_000_000 + rng.int(0, 86_400_000);
  const pids = [rng.int(1000, 60000), rng.int(1000, 60000), rng.int(1000, 60000)];
  let reqCounter = rng.int(1, 5000);
  const users = Array.from({ length: 400 }, () => rng.int(1, 2_000_000));
  while (used < bytes) {
    timeMs += rng.float() < 0.7 ? rng.int(0, 15) : rng.int(16, 900);
    const line = nextLine(rng, timeMs, pids, ++reqCounter, users);
    const b = enc.encode(line + '\n');
    const take = Math.min(b.length, bytes - used);
    out.set(b.subarray(0, take), used);
    used += take;
  }
  return out;
}

function nextLine(rng: Prng, timeMs: number, pids: number[], reqId: number, users: number[]): string {
  const host = rng.u32() % 10 < 7 ? 0 : rng.int(1, 2);
  const r = rng.float();
  if (r < 0.62) return httpLine(rng, timeMs, pids[host], HOSTS[host], reqId, users);
  if (r < 0.78) {
    const [level, _name] = rng.pick(LEVELS);
    return JSON.stringify({ level, time: timeMs, pid: pids[host], hostname: HOSTS[host], msg: fill(rng, rng.pick(TEXT_MSGS)) });
  }
  if (r < 0.88) {
    const q = rng.pick(SQL);
    return JSON.stringify({ level: 20, time: timeMs, pid: pids[host], hostname: HOSTS[host], reqId: `req-${reqId.toString(36)}`, msg: 'query', sql: q, durationMs: Math.round(rng.float() * 4000) / 100, rows: rng.int(0, 50) });
  }
  if (r < 0.97) {
    // Plain-text lines, as from a library that logs to stdout without pino.
    const iso = new Date(timeMs).toISOString();
    const [, lname] = rng.pick(LEVELS);
    return `${iso} ${lname.toUpperCase().padEnd(5)} [${rng.pick(['db', 'http', 'cache', 'queue', 'auth'])}] ${fill(rng, rng.pick(TEXT_MSGS))} trace_id=${rng.hex(32)}`;
  }
  const [ename, emsg] = rng.pick(ERRORS);
  const frames: string[] = [];
  const nFrames = rng.int(3, 8);
  for (let i = 0; i < nFrames; i++) frames.push('    ' + fill(rng, rng.pick(FRAMES)));
  return JSON.stringify({ level: 50, time: timeMs, pid: pids[host], hostname: HOSTS[host], reqId: `req-${reqId.toString(36)}`, err: { type: ename, message: emsg, stack: `${ename}: ${emsg}\n${frames.join('\n')}` }, msg: emsg });
}

function httpLine(rng: Prng, timeMs: number, pid: number, hostname: string, reqId: number, users: number[]): string {
  const method = rng.pick(METHODS);
  const url = rng.pick(ROUTES).replace(':id', String(rng.int(1, 999_999))).replace(':hash', rng.hex(8)) + (rng.float() < 0.2 ? `?page=${rng.int(1, 40)}&limit=${rng.pick([10, 20, 50])}` : '');
  const sr = rng.float();
  const statusCode = sr < 0.86 ? (method === 'POST' ? 201 : 200) : sr < 0.9 ? 304 : sr < 0.95 ? 404 : sr < 0.98 ? 400 : 500;
  const responseTime = Math.round(Math.exp(rng.normal() * 0.9 + 2.8) * 1000) / 1000;
  const userId = rng.float() < 0.8 ? rng.pick(users) : null;
  const traceId = rng.hex(32);
  return JSON.stringify({
    level: statusCode >= 500 ? 50 : statusCode >= 400 ? 40 : 30,
    time: timeMs,
    pid,
    hostname,
    reqId: `req-${reqId.toString(36)}`,
    req: { method, url, remoteAddress: ip(rng), userAgent: rng.pick(AGENTS) },
    res: { statusCode },
    responseTime,
    userId,
    traceId,
    spanId: rng.hex(16),
    msg: 'request completed',
  });
}
