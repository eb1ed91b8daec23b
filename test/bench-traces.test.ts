// The traces bench: the replay and oracle helpers, and a --quick smoke run of the built CLI's traces
// suite checking every issue #5 key is there with a sane type and value (never a timing assertion:
// speed lives in the bench).
import { describe, expect, it } from 'vitest';
import { generateTraces } from '../bench/gen/traces.js';
import { NewestSpans, resultOrder, serviceStatus, TraceShapes } from '../bench/lib/traces-oracle.js';
import { SpanReplay, xorIdTail } from '../bench/lib/traces-replay.js';
import type { Span } from '../src/traces/types.js';
import { lastJson, useBuiltBenchCli } from './bench-cli-harness.js';

const FROM_MS = Date.UTC(2024, 2, 4);

function collect(spans: number, seed: number): Span[] {
  const out: Span[] = [];
  for (const b of generateTraces({ spans, seed, fromMs: FROM_MS })) out.push(...b);
  return out;
}

describe('traces bench helpers', () => {
  const window = collect(2_000, 11);

  it('SpanReplay moves time forward and gives every pass fresh ids, trees and links intact', () => {
    const replay = new SpanReplay(window);
    const n = window.length;
    const out = [...replay.next(n - 7), ...replay.next(n + 20)];
    expect(out).toHaveLength(2 * n + 13);
    expect(out[0]).toBe(window[0]);
    const a = window[3];
    const b = out[n + 3];
    expect(b.name).toBe(a.name);
    expect(b.attributes).toBe(a.attributes);
    expect(b.traceId).toBe(xorIdTail(a.traceId, 1));
    expect(b.traceId).not.toBe(a.traceId);
    expect(b.spanId).toHaveLength(16);
    expect(b.endNs - b.startNs).toBe(a.endNs - a.startNs);
    // Pass 1 starts after everything of pass 0 ended.
    const maxEnd0 = out.slice(0, n).reduce((m, s) => (s.endNs > m ? s.endNs : m), 0n);
    const minStart1 = out.slice(n, 2 * n).reduce((m, s) => (s.startNs < m ? s.startNs : m), out[n].startNs);
    expect(minStart1 > maxEnd0).toBe(true);
    // No id written twice across passes; parents and links point at the same pass's spans.
    expect(new Set(out.map((s) => s.spanId)).size).toBe(out.length);
    const pass1 = new Map(out.slice(n, 2 * n).map((s) => [s.spanId, s]));
    for (const s of pass1.values()) {
      if (s.parentSpanId !== undefined && window.some((w) => w.spanId === xorIdTail(s.parentSpanId!, 1))) expect(pass1.get(s.parentSpanId)?.traceId).toBe(s.traceId);
      for (const l of s.links) if (pass1.has(l.spanId)) expect(pass1.get(l.spanId)!.traceId).toBe(l.traceId);
    }
    // Events keep their offsets within the span.
    for (let i = 0; i < n; i++) {
      const o = out[n + i];
      expect(o.events.map((e) => e.timeNs - o.startNs)).toEqual(window[i].events.map((e) => e.timeNs - window[i].startNs));
    }
    expect(out.slice(n).some((s) => s.links.length > 0) && out.slice(n).some((s) => s.events.length > 0)).toBe(true);
    expect(replay.count).toBe(2 * n + 13);
    expect(replay.simulatedSeconds()).toBeGreaterThan(Number(window.at(-1)!.startNs - window[0].startNs) / 1e9);
  });

  it('the oracle keeps the newest matches in result order, and each trace shape', () => {
    const errors = new NewestSpans(serviceStatus('frontend', 'error'), 5);
    const shapes = new TraceShapes();
    for (const s of window) {
      errors.observe(s);
      shapes.observe(s);
    }
    const all = window.filter((s) => s.resource.attributes['service.name'] === 'frontend' && s.status.code === 'error').sort(resultOrder);
    expect(errors.total).toBe(all.length);
    expect(errors.newestFirst().map((k) => k.spanId)).toEqual(all.slice(0, 5).map((s) => s.spanId));
    expect(shapes.size).toBe(new Set(window.map((s) => s.traceId)).size);
    const t = window[0].traceId;
    expect(shapes.get(t)).toEqual({ spans: window.filter((s) => s.traceId === t).length, roots: window.filter((s) => s.traceId === t && !s.parentSpanId).length });
  });
});

describe('npm run bench -- traces --quick (built CLI)', () => {
  const cli = useBuiltBenchCli({ tmpPrefix: 'timeless-bench-traces-', timeoutMs: 280_000 });

  it('reports every issue #5 key with a sane value, with no correctness failure', { timeout: 300_000 }, () => {
    const r = cli.run('traces', '--quick', '--json');
    expect(r.stderr).not.toMatch(/FAILED|^error:/m);
    expect(r.status).toBe(0);
    const report = lastJson(r.stdout);
    expect(report.failures).toEqual([]);
    const t = report.traces;
    for (const [part, keys] of Object.entries({
      synthetic: ['ratio', 'bytesPerSpan', 'spans', 'traces', 'rawBytes', 'diskBytes', 'closedRatio', 'brotliRatio', 'gzipRatio', 'dataBytes', 'blocks'],
      ingest: ['spansPerSec', 'eventLoopP99Ms', 'flushes', 'flushP99Ms', 'backpressureRetries', 'spans', 'compactNowSeconds'],
      query: ['traceByIdMs', 'traceByIdP95Ms', 'serviceErrorsLastHourMs', 'newestPageMs', 'slowSpansMs', 'serviceErrorsLastHourMatches', 'slowSpansMatches'],
    })) {
      for (const k of keys) {
        expect(typeof t[part]?.[k], `traces.${part}.${k}`).toBe('number');
        expect(t[part][k] >= 0, `traces.${part}.${k} = ${t[part][k]}`).toBe(true);
      }
    }
    const s = t.synthetic;
    expect(s.spans).toBeGreaterThanOrEqual(50_000);
    expect(s.ratio).toBeCloseTo(s.rawBytes / s.diskBytes, 1);
    expect(s.bytesPerSpan).toBeCloseTo(s.diskBytes / s.spans, 1);
    // OTLP/JSON of these spans is ~800 bytes each; a figure far off means the raw side is wrong.
    expect(s.rawBytesPerSpan).toBeGreaterThan(500);
    expect(s.rawBytesPerSpan).toBeLessThan(1500);
    expect(Object.values(s.diskBreakdown as Record<string, number>).reduce((n, v) => n + v, 0)).toBe(s.diskBytes);
    expect(s.diskBreakdown['index.db']).toBeGreaterThan(0);
    expect(s.zstdRatio !== undefined || typeof s.zstdNote === 'string').toBe(true);
    expect(s.stats.spans).toBe(s.spans);
    expect(t.ingest.spans).toBeGreaterThan(0);
    const q = t.query;
    expect(q.spans).toBe(s.spans);
    expect(q.serviceErrorsLastHourMatches).toBeGreaterThan(0);
    expect(q.slowSpansMatches).toBeGreaterThan(0);
    expect(q.newestPageMatches).toBe(s.spans);
    expect(q.traceByIdRuns).toBeGreaterThanOrEqual(10);
    expect(r.stdout).toMatch(/traces: OTLP\/JSON bytes \/ disk bytes/);
    expect(r.stdout).toMatch(/traces query: trace\(id\)/);
  });
});
