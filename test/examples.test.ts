// examples/hono-app and examples/express-otel-pino, run as a user runs them (issue #8): each is
// started as its own process from this checkout (the examples import 'timeless-node', which Node
// resolves to this package), requests go over real HTTP, and the store must then hold the requests'
// metrics, spans and logs, with a request's log entries carrying that request's trace id. After
// SIGTERM (exit 0) the data directory reopens with everything still there.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Timeless } from '../src/index.js';
import { ROOT } from './browser-helpers.js';
import { freePort, until } from './process-helpers.js';

const HTTP = 'http_server_request_duration_seconds';


interface Running { proc: ChildProcess; base: string; dataDir: string; output: string[] }
const running: Running[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const r of running.splice(0)) if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function startExample(name: string, env: Record<string, string> = {}): Promise<Running> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `example-${name}-`));
  dirs.push(dataDir);
  const port = await freePort();
  const proc = spawn(process.execPath, [path.join(ROOT, 'examples', name, 'server.mjs')], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), TIMELESS_DATA_DIR: dataDir, OTEL_SERVICE_NAME: `example-${name}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const r: Running = { proc, base: `http://127.0.0.1:${port}`, dataDir, output: [] };
  running.push(r);
  proc.stdout!.on('data', (d: Buffer) => r.output.push(d.toString()));
  proc.stderr!.on('data', (d: Buffer) => r.output.push(d.toString()));
  await until(`${name} to listen`, async () => {
    if (proc.exitCode !== null) throw new Error(`${name} exited ${proc.exitCode}: ${r.output.join('')}`);
    return (await fetch(`${r.base}/obs/health`)).ok ? true : undefined;
  });
  return r;
}

async function stopExample(r: Running): Promise<void> {
  const exited = new Promise<number | null>((resolve) => r.proc.once('exit', (code) => resolve(code)));
  r.proc.kill('SIGTERM');
  expect(await exited, r.output.join('')).toBe(0);
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface LogRow { message: string; level: string; traceId?: string; spanId?: string; attributes: Record<string, unknown>; resource: Record<string, unknown> }
interface SpanRow { name: string; traceId: string; spanId: string; parentSpanId?: string; kind: string; status: { code: string }; attributes: Record<string, unknown>; resource: { attributes: Record<string, unknown> } }

/** The logs of one trace, once at least `n` are stored. */
async function logsOfTrace(base: string, traceId: string, n: number): Promise<LogRow[]> {
  return until(`${n} logs of trace ${traceId}`, async () => {
    const { entries } = await getJson<{ entries: LogRow[] }>(`${base}/obs/api/v1/logs/query?traceId=${traceId}&limit=100`);
    return entries.length >= n ? entries : undefined;
  });
}

async function spansOfTrace(base: string, traceId: string, n: number): Promise<SpanRow[]> {
  return until(`${n} spans of trace ${traceId}`, async () => {
    const res = await fetch(`${base}/obs/api/v1/traces/trace/${traceId}`);
    if (res.status === 404) return undefined;
    const { spans } = (await res.json()) as { spans: SpanRow[] };
    return spans.length >= n ? spans : undefined;
  });
}

/** Request counts by route of the HTTP histogram (written every 10 s by the middleware). */
async function requestCounts(base: string, expected: Record<string, number>): Promise<Record<string, number>> {
  return until(`request counts ${JSON.stringify(expected)}`, async () => {
    const latest = await getJson<Array<{ labels: Record<string, string>; value: number }>>(`${base}/obs/api/v1/metrics/latest?name=${HTTP}_count`);
    const counts: Record<string, number> = {};
    for (const s of latest) counts[s.labels.http_route ?? ''] = (counts[s.labels.http_route ?? ''] ?? 0) + s.value;
    for (const [route, n] of Object.entries(expected)) if (counts[route] !== n) return undefined;
    return counts;
  }, 60_000);
}

describe('examples/hono-app', () => {
  it('records metrics, spans and logs; a request’s logs carry its trace id', async () => {
    const app = await startExample('hono-app');
    const traceOf = async (res: Response) => {
      const id = res.headers.get('x-trace-id');
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      return id!;
    };
    const ok = await fetch(`${app.base}/api/users/1`);
    expect(await ok.json()).toEqual({ id: '1', name: 'Ada Lovelace' });
    const okTrace = await traceOf(ok);
    const missing = await fetch(`${app.base}/api/users/99`);
    expect(missing.status).toBe(404);
    const created = await fetch(`${app.base}/api/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Edsger' }) });
    expect(created.status).toBe(201);
    const failed = await fetch(`${app.base}/api/fail`);
    expect(failed.status).toBe(500);
    const failTrace = await traceOf(failed);
    await fetch(`${app.base}/obs/api/v1/stats`); // the dashboard's own call: not app traffic

    const okLogs = await logsOfTrace(app.base, okTrace, 1);
    expect(okLogs.map((l) => [l.level, l.message])).toEqual([['info', 'user 1 fetched']]);
    const [okSpan] = await spansOfTrace(app.base, okTrace, 1);
    expect(okSpan).toMatchObject({ name: 'GET /api/users/:id', kind: 'server' });
    expect(okLogs[0].spanId).toBe(okSpan.spanId);
    expect(okSpan.resource.attributes['service.name']).toBe('example-hono-app');
    expect(okLogs[0].resource['service.name']).toBe('example-hono-app');

    const failLogs = await logsOfTrace(app.base, failTrace, 1);
    expect(failLogs[0].level).toBe('error');
    expect(failLogs[0].message).toContain('database connection reset');
    const [failSpan] = await spansOfTrace(app.base, failTrace, 1);
    expect(failSpan.status.code).toBe('error');

    await requestCounts(app.base, { '/api/users/:id': 2, '/api/users': 1, '/api/fail': 1 });
    const counts = await requestCounts(app.base, {});
    expect(Object.keys(counts).some((r) => r.startsWith('/obs'))).toBe(false);
    await stopExample(app);

    // Durable: the directory reopens with the same trace.
    const tl = await Timeless.open({ dataDir: app.dataDir, runtimeMetrics: false, pool: { threads: 1 } });
    try {
      expect((await tl.traces.trace(okTrace)).spans.map((s) => s.spanId)).toEqual([okSpan.spanId]);
      expect((await tl.logs.query({ traceId: failTrace })).entries.length).toBeGreaterThanOrEqual(1);
    } finally {
      await tl.close();
    }
  });
});

describe('examples/express-otel-pino', () => {
  it('stores OTel spans, log records and metrics, pino lines and request metrics; the logs carry the request trace', async () => {
    const app = await startExample('express-otel-pino', { METRICS_EXPORT_MS: '1000' });
    const res = await fetch(`${app.base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sku: 'A1' }) });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const trace = res.headers.get('x-trace-id')!;
    expect(trace).toMatch(/^[0-9a-f]{32}$/);
    const fetched = await fetch(`${app.base}/orders/${id}`);
    expect(fetched.status).toBe(200);
    const failed = await fetch(`${app.base}/orders/${id}/fail`);
    expect(failed.status).toBe(502);
    const failTrace = failed.headers.get('x-trace-id')!;

    // One trace: our server span, the SDK's DB span under it, the pino line and the OTel log record.
    const spans = await spansOfTrace(app.base, trace, 2);
    const server = spans.find((s) => s.kind === 'server');
    const dbSpan = spans.find((s) => s.name === 'INSERT orders');
    expect(server?.name).toBe('POST /orders');
    expect(dbSpan?.parentSpanId).toBe(server?.spanId);
    const logs = await logsOfTrace(app.base, trace, 2);
    const pinoLine = logs.find((l) => l.message === 'order created');
    const otelRecord = logs.find((l) => l.message === `order ${id} accepted`);
    expect(pinoLine?.attributes).toMatchObject({ orderId: id, sku: 'A1' });
    expect(pinoLine?.spanId).toBe(server?.spanId);
    expect(otelRecord?.spanId).toBe(server?.spanId);
    expect(otelRecord?.resource['service.name']).toBe('example-express-otel-pino');

    const failLogs = await logsOfTrace(app.base, failTrace, 1);
    const charging = failLogs.find((l) => l.message === 'charging failed');
    expect(charging?.level).toBe('error');
    expect(charging?.attributes['exception.message']).toBe('payment provider timed out');
    const failSpans = await spansOfTrace(app.base, failTrace, 2);
    expect(failSpans.find((s) => s.name === 'charge card')?.status.code).toBe('error');
    expect(charging?.spanId).toBe(failSpans.find((s) => s.name === 'charge card')?.spanId);

    // Metrics: the OTel counter (exported every second here) and the request histogram.
    await until('orders_created from the OTel SDK', async () => {
      const names = await getJson<string[]>(`${app.base}/obs/api/v1/metrics/names`);
      return names.find((n) => n.startsWith('orders_created'));
    });
    await requestCounts(app.base, { '/orders': 1, '/orders/:id': 1, '/orders/:id/fail': 1 });
    await stopExample(app);
  });
});
