// The runtime collector against a fake sink: the contract's names with their metadata, counters that
// never go down, GC counted by kind, sane event-loop figures, and nothing left running after stop().
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricMeta, WritePoint } from '../metrics/types.js';
import { collectGarbage } from '../pool/gc.js';
import { EVENT_LOOP_RESOLUTION_MS, RuntimeCollector, resolveRuntimeInterval, type RuntimeSink } from './runtime.js';

// Written from /tmp/runtime-names.md (the contract), not from RUNTIME_METRICS: a renamed or retyped
// metric must fail here.
const CONTRACT: Record<string, { type: 'counter' | 'gauge'; unit?: string }> = {
  process_cpu_user_seconds_total: { type: 'counter', unit: 'seconds' },
  process_cpu_system_seconds_total: { type: 'counter', unit: 'seconds' },
  process_resident_memory_bytes: { type: 'gauge', unit: 'bytes' },
  nodejs_heap_size_used_bytes: { type: 'gauge', unit: 'bytes' },
  nodejs_heap_size_total_bytes: { type: 'gauge', unit: 'bytes' },
  nodejs_external_memory_bytes: { type: 'gauge', unit: 'bytes' },
  nodejs_array_buffers_bytes: { type: 'gauge', unit: 'bytes' },
  nodejs_eventloop_lag_p50_seconds: { type: 'gauge', unit: 'seconds' },
  nodejs_eventloop_lag_p99_seconds: { type: 'gauge', unit: 'seconds' },
  nodejs_eventloop_lag_max_seconds: { type: 'gauge', unit: 'seconds' },
  nodejs_eventloop_lag_mean_seconds: { type: 'gauge', unit: 'seconds' },
  nodejs_eventloop_utilization_ratio: { type: 'gauge', unit: 'ratio' },
  nodejs_gc_runs_total: { type: 'counter' },
  nodejs_gc_duration_seconds_total: { type: 'counter', unit: 'seconds' },
  nodejs_active_handles: { type: 'gauge' },
};
const KINDS = ['minor', 'major', 'incremental', 'weakcb'];
const HOUR = 3_600_000;

class FakeSink implements RuntimeSink {
  readonly meta = new Map<string, MetricMeta>();
  readonly batches: WritePoint[][] = [];
  failWith: Error | undefined;
  defineMetric(name: string, meta: MetricMeta): void {
    this.meta.set(name, meta);
  }
  writeBatch(points: WritePoint[]): void {
    if (this.failWith) throw this.failWith;
    this.batches.push(points.map((p) => ({ ...p, labels: { ...p.labels } })));
  }
  last(): WritePoint[] {
    return this.batches[this.batches.length - 1];
  }
}

/** `name` or `name{kind}` → value, for one batch. */
function byKey(batch: WritePoint[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of batch) m.set(p.labels.kind ? `${p.name}{${p.labels.kind}}` : p.name, p.value);
  return m;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) { /* blocks the event loop on purpose */ }
}

const collectors: RuntimeCollector[] = [];
function started(sink: RuntimeSink, intervalMs = HOUR, onError?: (err: unknown) => void): RuntimeCollector {
  const c = new RuntimeCollector(sink, { onError });
  c.start(intervalMs);
  collectors.push(c);
  return c;
}
afterEach(() => {
  for (const c of collectors.splice(0)) c.stop();
});

describe('RuntimeCollector', () => {
  it('defines every contract metric once with its type and unit, and writes each series with one timestamp', async () => {
    const sink = new FakeSink();
    const c = started(sink);
    expect([...sink.meta.keys()].sort()).toEqual(Object.keys(CONTRACT).sort());
    for (const [name, want] of Object.entries(CONTRACT)) {
      expect(sink.meta.get(name)?.type, name).toBe(want.type);
      expect(sink.meta.get(name)?.unit, name).toBe(want.unit);
      expect(sink.meta.get(name)?.help, name).toMatch(/\S/);
    }
    await sleep(5 * EVENT_LOOP_RESOLUTION_MS); // a few event-loop samples, so the lag gauges have data
    const n = c.collectNow();
    const batch = sink.last();
    expect(batch.length).toBe(n);
    expect(n).toBeLessThanOrEqual(30); // cheap: a few dozen points per collection
    const keys = [...byKey(batch).keys()].sort();
    const want = Object.keys(CONTRACT).flatMap((name) => (name.startsWith('nodejs_gc_') ? KINDS.map((k) => `${name}{${k}}`) : [name]));
    expect(keys).toEqual(want.sort());
    expect(new Set(batch.map((p) => p.tsMs)).size).toBe(1);
    for (const p of batch) {
      expect(Object.keys(p.labels), p.name).toEqual(p.name.startsWith('nodejs_gc_') ? ['kind'] : []);
      expect(Number.isFinite(p.value) && p.value >= 0, `${p.name} = ${p.value}`).toBe(true);
    }
    const v = byKey(batch);
    expect(v.get('nodejs_heap_size_used_bytes')!).toBeLessThanOrEqual(v.get('nodejs_heap_size_total_bytes')!);
    expect(v.get('nodejs_array_buffers_bytes')!).toBeLessThanOrEqual(v.get('nodejs_external_memory_bytes')!);
    expect(v.get('process_resident_memory_bytes')!).toBeGreaterThan(0);
  });

  it('keeps counters monotonic and timestamps strictly increasing across collections', async () => {
    const sink = new FakeSink();
    const c = started(sink);
    for (let i = 0; i < 4; i++) {
      busy(5); // some CPU time between collections
      let junk: number[][] = [];
      for (let j = 0; j < 100_000; j++) junk.push([j]);
      junk = [];
      if (i % 2 === 0) await sleep(10);
      c.collectNow(); // back to back on odd rounds: same millisecond possible
    }
    const counters = Object.keys(CONTRACT).filter((n) => CONTRACT[n].type === 'counter');
    for (let b = 1; b < sink.batches.length; b++) {
      const prev = byKey(sink.batches[b - 1]);
      const cur = byKey(sink.batches[b]);
      expect(sink.batches[b][0].tsMs!).toBeGreaterThan(sink.batches[b - 1][0].tsMs!);
      for (const [key, value] of cur) {
        if (!counters.some((n) => key === n || key.startsWith(`${n}{`))) continue;
        expect(value, key).toBeGreaterThanOrEqual(prev.get(key)!);
      }
    }
    const first = byKey(sink.batches[0]);
    const last = byKey(sink.last());
    expect(last.get('process_cpu_user_seconds_total')! + last.get('process_cpu_system_seconds_total')!)
      .toBeGreaterThan(first.get('process_cpu_user_seconds_total')! + first.get('process_cpu_system_seconds_total')!);
  });

  it('counts GC runs and time by kind: minor under allocation pressure, major after gc()', async () => {
    const sink = new FakeSink();
    const c = started(sink);
    c.collectNow();
    const before = byKey(sink.last());
    // Short-lived garbage far beyond the young generation: scavenges must run.
    let keep = 0;
    for (let i = 0; i < 300_000; i++) keep += [i, i + 1, { i }].length;
    expect(keep).toBeGreaterThan(0);
    // The real gc() (vitest does not pass --expose-gc; pool/gc.ts fetches it at runtime).
    const gc = collectGarbage('major');
    // GC entries reach the observer asynchronously: wait for them (bounded), never for a duration.
    let after = before;
    for (let round = 0; round < 200; round++) {
      await sleep(10);
      c.collectNow();
      after = byKey(sink.last());
      const minorDone = after.get('nodejs_gc_runs_total{minor}')! > before.get('nodejs_gc_runs_total{minor}')!;
      const majorDone = !gc || after.get('nodejs_gc_runs_total{major}')! > before.get('nodejs_gc_runs_total{major}')!;
      if (minorDone && majorDone) break;
    }
    expect(after.get('nodejs_gc_runs_total{minor}')!).toBeGreaterThan(before.get('nodejs_gc_runs_total{minor}')!);
    expect(after.get('nodejs_gc_duration_seconds_total{minor}')!).toBeGreaterThan(before.get('nodejs_gc_duration_seconds_total{minor}')!);
    // gc() is a full mark-compact. If the runtime refused to expose it, only the minor part is checked.
    if (gc) {
      expect(after.get('nodejs_gc_runs_total{major}')!).toBeGreaterThan(before.get('nodejs_gc_runs_total{major}')!);
      expect(after.get('nodejs_gc_duration_seconds_total{major}')!).toBeGreaterThan(before.get('nodejs_gc_duration_seconds_total{major}')!);
    } else {
      console.warn('runtime.test: gc() could not be exposed; the major-GC assertion was skipped');
    }
  });

  it('reports event-loop delay percentiles in order and a blocked loop as delay and utilization', async () => {
    const sink = new FakeSink();
    const c = started(sink);
    await sleep(5 * EVENT_LOOP_RESOLUTION_MS);
    c.collectNow();
    await sleep(3 * EVENT_LOOP_RESOLUTION_MS);
    busy(60 + EVENT_LOOP_RESOLUTION_MS);
    await sleep(3 * EVENT_LOOP_RESOLUTION_MS); // lets the delayed sample land in the histogram
    c.collectNow();
    for (const batch of sink.batches) {
      const v = byKey(batch);
      const p50 = v.get('nodejs_eventloop_lag_p50_seconds')!;
      const p99 = v.get('nodejs_eventloop_lag_p99_seconds')!;
      expect(p50).toBeGreaterThanOrEqual(0);
      expect(p99).toBeGreaterThanOrEqual(p50);
      expect(v.get('nodejs_eventloop_lag_max_seconds')!).toBeGreaterThanOrEqual(p99);
      expect(v.get('nodejs_eventloop_lag_mean_seconds')!).toBeGreaterThanOrEqual(0);
      const u = v.get('nodejs_eventloop_utilization_ratio')!;
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThanOrEqual(1);
    }
    // The loop could not run for 60 ms + the resolution: one sample came at least 50 ms late after
    // the resolution is subtracted (10 ms left for clock granularity), whatever the machine's speed.
    const blocked = byKey(sink.last());
    expect(blocked.get('nodejs_eventloop_lag_max_seconds')!).toBeGreaterThanOrEqual(0.05);
    expect(blocked.get('nodejs_eventloop_utilization_ratio')!).toBeGreaterThan(0);
  });

  it('collects on its timer, stops writing after stop(), and refuses collectNow() when stopped', async () => {
    const sink = new FakeSink();
    const errors: unknown[] = [];
    const c = started(sink, 10, (err) => errors.push(err));
    for (let i = 0; i < 500 && sink.batches.length < 3; i++) await sleep(10);
    expect(sink.batches.length).toBeGreaterThanOrEqual(3);
    c.stop();
    c.stop(); // idempotent
    const n = sink.batches.length;
    await sleep(80);
    expect(sink.batches.length).toBe(n);
    expect(errors).toEqual([]); // no timer left firing into a stopped collector
    expect(c.isRunning).toBe(false);
    expect(() => c.collectNow()).toThrow(/not running/);
    expect(() => started(sink, 10).start(10)).toThrow(/already running/);
  });

  it('hands a failed timed collection to onError instead of throwing from the timer', async () => {
    const sink = new FakeSink();
    sink.failWith = new Error('store is full');
    const errors: unknown[] = [];
    started(sink, 10, (err) => errors.push(err));
    for (let i = 0; i < 500 && errors.length < 2; i++) await sleep(10);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect((errors[0] as Error).message).toBe('store is full');
  });

  it('does not keep the process alive, running or stopped', () => {
    const built = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/src/integrations/runtime.js');
    expect(fs.existsSync(built), `${built} missing: run npm run build:ts`).toBe(true);
    for (const stop of [false, true]) {
      const script = `
        import { RuntimeCollector } from ${JSON.stringify(pathToFileURL(built).href)};
        let n = 0;
        const c = new RuntimeCollector({ defineMetric() {}, writeBatch() { n++; } });
        c.start(20);
        await new Promise((r) => { const t = setInterval(() => { if (n >= 2) { clearInterval(t); r(); } }, 5); });
        ${stop ? 'c.stop();' : ''}
        console.log('collected', n);`;
      // Exits by itself once the script ends; a referenced timer or handle would hit the timeout.
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
      expect(r.signal, `stop=${stop}: ${r.stderr}`).toBeNull();
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^collected [2-9]/);
    }
  });
});

describe('resolveRuntimeInterval', () => {
  it('defaults to 10 s, turns off with false, and rejects bad values', () => {
    expect(resolveRuntimeInterval(undefined)).toBe(10_000);
    expect(resolveRuntimeInterval(true)).toBe(10_000);
    expect(resolveRuntimeInterval({})).toBe(10_000);
    expect(resolveRuntimeInterval(false)).toBe(0);
    expect(resolveRuntimeInterval({ intervalMs: 50 })).toBe(50);
    for (const bad of ['yes', 1, null]) expect(() => resolveRuntimeInterval(bad as never)).toThrow(TypeError);
    expect(() => resolveRuntimeInterval({ intervalMs: '50' as never })).toThrow(TypeError);
    for (const bad of [0, -1, 5, Number.NaN, Infinity, 2 ** 31]) {
      expect(() => resolveRuntimeInterval({ intervalMs: bad })).toThrow(RangeError);
    }
  });
});
