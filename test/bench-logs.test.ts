// The logs bench: the "Node web app logs" generator's promises (seeded, streaming, realistic level
// mix, request entries sharing a trace, stack traces on errors, pino NDJSON that parses), the replay
// and oracle helpers, and --quick smoke runs of the built CLI's logs suite and --logs-file mode.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { generateNodeLogs, toNdjsonLine, type NodeLogsOptions } from '../bench/gen/nodelogs.js';
import { parseArgs } from '../bench/lib/args.js';
import { attributeEquals, firstMismatch, MatchCollector, messageContains } from '../bench/lib/logs-oracle.js';
import { LogReplay } from '../bench/lib/logs-replay.js';
import type { LogEntry, LogInput } from '../src/logs/types.js';
import { lastJson, useBuiltBenchCli } from './bench-cli-harness.js';

const FROM_MS = Date.UTC(2024, 2, 4); // a Monday, 00:00 UTC

function collect(options: NodeLogsOptions): LogInput[] {
  const out: LogInput[] = [];
  for (const b of generateNodeLogs(options)) out.push(...b);
  return out;
}

const tsOf = (e: LogInput) => e.tsNs as bigint;

describe('node logs generator', () => {
  // 100k entries at the default 200/s: ~8 minutes of a busy shop.
  const logs = collect({ entries: 100_000, seed: 7, fromMs: FROM_MS });

  it('streams exact batch sizes of fresh arrays and is deterministic per seed', () => {
    const batches = [...generateNodeLogs({ entries: 2500, seed: 3, fromMs: FROM_MS, batch: 1000 })];
    expect(batches.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(batches[1]).not.toBe(batches[0]);
    const a = batches.flat().map(toNdjsonLine);
    const b = collect({ entries: 2500, seed: 3, fromMs: FROM_MS, batch: 7 }).map(toNdjsonLine);
    const c = collect({ entries: 2500, seed: 4, fromMs: FROM_MS }).map(toNdjsonLine);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(collect({ entries: 0, seed: 1, fromMs: FROM_MS })).toEqual([]);
    expect(() => collect({ entries: 10, seed: 1, fromMs: FROM_MS, batch: 0 })).toThrow(RangeError);
    expect(() => collect({ entries: 1.5, seed: 1, fromMs: FROM_MS })).toThrow(RangeError);
  });

  it('has Poisson-like ns timestamps around the rate, never a regular clock', () => {
    expect(logs).toHaveLength(100_000);
    expect(logs.every((e) => typeof e.tsNs === 'bigint')).toBe(true);
    const gaps: number[] = [];
    for (let i = 1; i < logs.length; i++) gaps.push(Number(tsOf(logs[i]) - tsOf(logs[i - 1])));
    expect(gaps.every((g) => g > 0)).toBe(true);
    expect(tsOf(logs[0]) - BigInt(FROM_MS) * 1_000_000n).toBeLessThan(1_000_000_000n);
    const meanSec = gaps.reduce((s, g) => s + g, 0) / gaps.length / 1e9;
    expect(1 / meanSec).toBeGreaterThan(190);
    expect(1 / meanSec).toBeLessThan(210);
    // Exponential gaps: about 37% exceed the mean (a regular clock: 0% or 100%).
    const over = gaps.filter((g) => g > meanSec * 1e9).length / gaps.length;
    expect(over).toBeGreaterThan(0.33);
    expect(over).toBeLessThan(0.41);
    expect(gaps.filter((g) => g % 1_000_000 === 0).length).toBeLessThan(gaps.length / 100);
  });

  it('follows a day/night cycle when asked', () => {
    const day = collect({ entries: 60_000, seed: 2, fromMs: FROM_MS, ratePerSec: 0.5, dayNight: true });
    const hours = new Array(24).fill(0);
    for (const e of day.filter((x) => tsOf(x) < (BigInt(FROM_MS) + 86_400_000n) * 1_000_000n)) hours[new Date(Number(tsOf(e) / 1_000_000n)).getUTCHours()]++;
    const afternoon = hours[13] + hours[14] + hours[15] + hours[16];
    const night = hours[1] + hours[2] + hours[3] + hours[4];
    expect(afternoon).toBeGreaterThan(3 * night);
  });

  it('has the level mix of a production service', () => {
    const share = (level: string) => logs.filter((e) => e.level === level).length / logs.length;
    expect(share('info')).toBeGreaterThan(0.6);
    expect(share('info')).toBeLessThan(0.8);
    expect(share('debug')).toBeGreaterThan(0.15);
    expect(share('debug')).toBeLessThan(0.35);
    expect(share('warn')).toBeGreaterThan(0.02);
    expect(share('warn')).toBeLessThan(0.045);
    expect(share('error')).toBeGreaterThan(0.004);
    expect(share('error')).toBeLessThan(0.012);
    expect(logs.every((e) => ['debug', 'info', 'warn', 'error', 'fatal'].includes(e.level as string))).toBe(true);
  });

  it("gives every request's entries one trace id (spans vary), and background lines none", () => {
    const byRequest = new Map<string, LogInput[]>();
    for (const e of logs) {
      const id = e.attributes?.request_id;
      if (typeof id === 'string') byRequest.set(id, [...(byRequest.get(id) ?? []), e]);
      else expect(e.traceId, e.message).toBeUndefined();
    }
    expect(byRequest.size).toBeGreaterThan(15_000);
    const traceOwner = new Map<string, string>();
    let multiSpan = 0;
    for (const [id, entries] of byRequest) {
      const traces = new Set(entries.map((e) => e.traceId));
      expect(traces.size, id).toBe(1);
      const [trace] = traces;
      expect(trace).toMatch(/^[0-9a-f]{32}$/);
      expect(traceOwner.has(trace!)).toBe(false);
      traceOwner.set(trace!, id);
      expect(entries.every((e) => /^[0-9a-f]{16}$/.test(e.spanId ?? ''))).toBe(true);
      if (new Set(entries.map((e) => e.spanId)).size > 1) multiSpan++;
      // Requests end with their access line.
      expect(typeof entries.at(-1)!.attributes!['http.response.status_code']).toBe('number');
    }
    expect(multiSpan).toBeGreaterThan(1000);
    // Concurrent requests interleave: neighbours usually belong to different traces.
    let sameAsPrev = 0;
    for (let i = 1; i < logs.length; i++) if (logs[i].traceId && logs[i].traceId === logs[i - 1].traceId) sameAsPrev++;
    expect(sameAsPrev / logs.length).toBeLessThan(0.4);
  });

  it('puts stack traces on errors, as pino and OTel semantic conventions render them', () => {
    const exceptions = logs.filter((e) => e.attributes?.['exception.type'] !== undefined);
    expect(exceptions.length).toBeGreaterThan(100);
    for (const e of exceptions) {
      const a = e.attributes!;
      expect(e.message).toBe(a['exception.stacktrace']);
      expect(e.message.startsWith(`${a['exception.type']}: ${a['exception.message']}\n    at `)).toBe(true);
    }
    // Every error is either an exception or a 5xx access line.
    const errors = logs.filter((e) => e.level === 'error');
    for (const e of errors) {
      const a = e.attributes!;
      expect(a['exception.stacktrace'] !== undefined || (a['http.response.status_code'] as number) >= 500, e.message).toBe(true);
    }
    expect(logs.some((e) => e.message.includes('ECONNREFUSED'))).toBe(true);
  });

  it('uses OTel semantic convention keys with real ids in paths, from 3 hosts of 2 services', () => {
    const routes = new Set(logs.map((e) => e.attributes?.['http.route']).filter(Boolean));
    expect(routes).toContain('/api/orders/:id');
    const orderPaths = logs.filter((e) => e.attributes?.['http.route'] === '/api/orders/:id' && e.attributes['http.response.status_code']).map((e) => e.attributes!['url.path'] as string);
    expect(orderPaths.every((p) => /^\/api\/orders\/\d+$/.test(p))).toBe(true);
    expect(new Set(orderPaths).size).toBeGreaterThan(orderPaths.length * 0.9);
    const sql = logs.filter((e) => e.attributes?.['db.statement'] !== undefined);
    expect(sql.length).toBeGreaterThan(1000);
    expect(sql.every((e) => e.attributes!['db.system'] === 'postgresql' && typeof e.attributes!['db.operation.name'] === 'string')).toBe(true);
    const durations = logs.map((e) => e.attributes?.duration_ms).filter((d): d is number => typeof d === 'number');
    expect(durations.filter((d) => !Number.isInteger(d)).length).toBeGreaterThan(durations.length * 0.9);
    expect(new Set(logs.map((e) => e.attributes?.['user.id']).filter(Boolean)).size).toBeGreaterThan(2000);
    const hosts = new Set(logs.map((e) => e.resource!['host.name']));
    const services = new Set(logs.map((e) => e.resource!['service.name']));
    expect(hosts.size).toBe(3);
    expect([...services].sort()).toEqual(['shop-api', 'shop-worker']);
    expect(logs.every((e) => e.resource!['service.version'] === '2.14.3')).toBe(true);
  });

  it('renders pino NDJSON lines that parse, with pino level numbers and the trace context', () => {
    const pino: Record<string, number> = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
    for (const e of logs.slice(0, 5000)) {
      const line = toNdjsonLine(e);
      expect(line).not.toContain('\n');
      const o = JSON.parse(line);
      expect(o.level).toBe(pino[e.level as string]);
      expect(o.time).toBe(Number(tsOf(e) / 1_000_000n));
      expect(o.pid).toBe(e.resource!['process.pid']);
      expect(o.hostname).toBe(e.resource!['host.name']);
      expect(o.msg).toBe(e.message);
      for (const [k, v] of Object.entries(e.attributes ?? {})) expect(o[k]).toEqual(v);
      expect(o.trace_id).toBe(e.traceId);
      expect(o.span_id).toBe(e.spanId);
    }
    expect(Object.keys(JSON.parse(toNdjsonLine({ message: 'x', tsMs: 1.7e12, level: 17 })))).toEqual(['level', 'time', 'msg']);
    expect(JSON.parse(toNdjsonLine({ message: 'x', tsMs: 1.7e12, level: 17 })).level).toBe(50);
  });
});

describe('logs bench helpers', () => {
  const window = collect({ entries: 300, seed: 5, fromMs: FROM_MS });

  it('LogReplay keeps time moving forward across passes, contents repeating', () => {
    const replay = new LogReplay(window);
    const out = [...replay.next(250), ...replay.next(400)];
    expect(out).toHaveLength(650);
    for (let i = 1; i < out.length; i++) expect(tsOf(out[i]) > tsOf(out[i - 1]), `entry ${i}`).toBe(true);
    expect(out[300].message).toBe(window[0].message);
    expect(out[300].attributes).toBe(window[0].attributes);
    expect(tsOf(out[600]) - tsOf(out[300])).toBe(tsOf(out[300]) - tsOf(out[0]));
    expect(out[0]).toBe(window[0]);
    expect(replay.count).toBe(650);
    expect(replay.simulatedSeconds()).toBeGreaterThan(2 * ((Number(tsOf(window[299]) - tsOf(window[0]))) / 1e9));
  });

  it('the oracle keeps the newest matches and the total, and finds any difference', () => {
    const route = new MatchCollector(attributeEquals('http.route', '/api/orders/:id'), 5);
    const econn = new MatchCollector(messageContains('econnrefused'), 3);
    for (const e of window) {
      route.observe(e);
      econn.observe(e);
    }
    const all = window.filter((e) => e.attributes?.['http.route'] === '/api/orders/:id');
    expect(route.total).toBe(all.length);
    expect(route.newestFirst()).toEqual(all.slice(-5).reverse());
    expect(econn.total).toBe(window.filter((e) => e.message.includes('ECONNREFUSED')).length);
    const asEntry = (e: LogInput): LogEntry => ({ tsNs: tsOf(e), level: e.level as LogEntry['level'], severityNumber: 9, message: e.message, attributes: structuredClone(e.attributes ?? {}), traceId: e.traceId, spanId: e.spanId, resource: { ...e.resource!, extra: 'default' } });
    const want = route.newestFirst();
    const got = want.map(asEntry);
    expect(firstMismatch(got, want)).toBeNull();
    expect(firstMismatch(got.slice(1), want)).toMatch(/4 entries, expected 5/);
    got[2] = { ...got[2], attributes: { ...got[2].attributes, duration_ms: -1 } };
    expect(firstMismatch(got, want)).toMatch(/^entry 2 .*attributes/);
  });

  it('parses --logs-file: alone it selects logs.files', () => {
    expect(parseArgs(['--logs-file', 'a.log', 'b.log', '--json'])).toMatchObject({ json: true, logsFiles: ['a.log', 'b.log'], selectors: ['logs.files'] });
    expect(parseArgs(['logs', '--logs-file', 'a.log'])).toMatchObject({ logsFiles: ['a.log'], selectors: ['logs'] });
    expect(() => parseArgs(['--logs-file'])).toThrow(/needs at least one file/);
    expect(() => parseArgs(['--metrics-csv', 'a.csv', '--logs-file', 'b.log'])).toThrow(/separate modes/);
  });
});

describe('npm run bench -- logs --quick (built CLI)', () => {
  const cli = useBuiltBenchCli({ tmpPrefix: 'timeless-bench-logs-', timeoutMs: 280_000 });
  const run = cli.run;

  it('reports every issue #4 key as a number, with no correctness failure', { timeout: 300_000 }, () => {
    const r = run('logs', '--quick', '--json');
    expect(r.stderr).not.toMatch(/FAILED|^error:/m);
    expect(r.status).toBe(0);
    const report = lastJson(r.stdout);
    expect(report.failures).toEqual([]);
    const l = report.logs;
    for (const [part, keys] of Object.entries({
      synthetic: ['ratio', 'entries', 'rawBytes', 'diskBytes', 'bytesPerEntry', 'brotliRatio', 'gzipRatio'],
      ingest: ['entriesPerSec', 'eventLoopP99Ms', 'flushes', 'backpressureRetries'],
      query: ['lastHourErrorsMs', 'attributeEqMs', 'attributeEqRareMs', 'substringAllMs', 'substringAbsentMs', 'newestPageMs'],
    })) {
      for (const k of keys) expect(typeof l[part]?.[k], `logs.${part}.${k}`).toBe('number');
    }
    expect(l.synthetic.entries).toBe(50_000);
    expect(l.synthetic.ratio).toBeCloseTo(l.synthetic.rawBytes / l.synthetic.diskBytes, 1);
    expect(typeof l.synthetic.diskBreakdown).toBe('object');
    expect(l.synthetic.zstdRatio !== undefined || typeof l.synthetic.zstdNote === 'string').toBe(true);
    expect(l.query.substringAbsentMatches).toBe(0);
    expect(l.query.lastHourErrorsMatches).toBeGreaterThan(0);
    expect(l.ingest.entries).toBeGreaterThan(0);
    expect(l.files).toEqual({ skipped: 'no --logs-file given' });
    expect(r.stdout).toMatch(/logs: NDJSON bytes \/ disk bytes/);
  });

  it('--logs-file measures each file through the engine, beside brotli', { timeout: 120_000 }, () => {
    const file = path.join(cli.dir(), 'app.log');
    const text = collect({ entries: 3000, seed: 8, fromMs: FROM_MS }).map((e) => `${new Date(Number(tsOf(e) / 1_000_000n)).toISOString()} ${String(e.level).toUpperCase()} ${e.message.split('\n')[0]}`).join('\n') + '\n';
    writeFileSync(file, text);
    const r = run('--logs-file', file, '--json');
    expect(r.stderr).not.toMatch(/FAILED|^error:/m);
    expect(r.status).toBe(0);
    const report = lastJson(r.stdout);
    expect(report.failures).toEqual([]);
    const [f] = report.logs.files;
    expect(f).toMatchObject({ file, bytes: Buffer.byteLength(text), lines: 3000, roundTrip: 'exact' });
    for (const k of ['storedBytes', 'ratio', 'brotliRatio', 'gzipRatio']) expect(typeof f[k], k).toBe('number');
    expect(f.ratio).toBeCloseTo(f.bytes / f.storedBytes, 1);
    expect(report.logs.medianRatio).toBe(f.ratio);
    expect(report.logs.synthetic).toBeUndefined();
    expect(f.gzipFileBytes).toBeUndefined();
    // Where the bytes are: index.db's pages per table, and the live blocks per segment tier.
    expect(f.index.pages * f.index.pageSizeBytes).toBe(f.closedStoredBytes - Object.entries(f.storedBreakdown).filter(([k]) => !k.startsWith('index.db')).reduce((n, [, v]) => n + (v as number), 0));
    expect(Object.values(f.index.bytesByTable as Record<string, number>).reduce((n, v) => n + v, 0)).toBe((f.index.pages - f.index.freePages) * f.index.pageSizeBytes);
    expect(f.index.bytesByTable.blocks).toBeGreaterThan(0);
    const tiers = Object.entries(f.blocksByTier as Record<string, { blocks: number; entries: number; frameBytes: number; filterBytes: number }>);
    expect(tiers.length).toBeGreaterThan(0);
    expect(tiers.reduce((n, [, t]) => n + t.entries, 0)).toBe(3000);
    for (const [tier, t] of tiers) {
      expect(t.frameBytes).toBeGreaterThan(0);
      expect(t.frameBytes).toBeLessThanOrEqual(f.storedBreakdown[tier]);
    }
  });

  it('--logs-file reads a .gz file decompressed: every ratio on the uncompressed bytes', { timeout: 120_000 }, () => {
    const file = path.join(cli.dir(), 'app.log.gz');
    const text = collect({ entries: 2000, seed: 9, fromMs: FROM_MS }).map((e) => `${new Date(Number(tsOf(e) / 1_000_000n)).toISOString()} ${String(e.level).toUpperCase()} ${e.message.split('\n')[0]}`).join('\n') + '\n';
    const raw = Buffer.from(text);
    const gz = zlib.gzipSync(raw, { level: 9 });
    writeFileSync(file, gz);
    const r = run('--logs-file', file, '--json');
    expect(r.stderr).not.toMatch(/FAILED|^error:/m);
    expect(r.status).toBe(0);
    const [f] = lastJson(r.stdout).logs.files;
    expect(f).toMatchObject({ file, bytes: raw.length, gzipFileBytes: gz.length, lines: 2000, roundTrip: 'exact' });
    expect(f.ratio).toBeCloseTo(raw.length / f.storedBytes, 1);
    // The peers compressed the lines, not the .gz bytes.
    const brotliOf = (b: Buffer) => zlib.brotliCompressSync(b, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length } }).length;
    expect(f.brotliRatio).toBeCloseTo(raw.length / brotliOf(raw), 1);
    expect(Math.abs(f.brotliRatio - raw.length / brotliOf(gz))).toBeGreaterThan(0.1);
    expect(f.gzipRatio).toBeCloseTo(raw.length / zlib.gzipSync(raw, { level: 6 }).length, 1);
    expect(r.stdout).toMatch(/2,000 lines, [\d,]+ uncompressed \(\.gz: all ratios on these bytes\)/);
  });

  it('names a .gz file that is not gzip in one error line', () => {
    const file = path.join(cli.dir(), 'plain.log.gz');
    writeFileSync(file, 'not compressed\n');
    const r = run('--logs-file', file);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`error: ${file}: not a gzip file (the name ends in .gz)`);
  });

  it('names an unreadable file in one error line', () => {
    const r = run('--logs-file', path.join(cli.dir(), 'missing.log'));
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`error: ${path.join(cli.dir(), 'missing.log')}: cannot read file (no such file)`);
  });
});
