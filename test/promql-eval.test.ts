// PromQL evaluator on hand-computed cases: lookback and staleness, counter resets and extrapolation,
// histogram_quantile, aggregations, vector matching and its errors, label functions, range-query
// assembly, one fetch per selector, limits. Storage is an in-memory PromStorage.
import { describe, expect, it } from 'vitest';
import { instantQuery, rangeQuery, type EvalOptions, type QueryResult } from '../src/server/promql/eval.js';
import { parseExpr } from '../src/server/promql/parser.js';
import { matcherAccepts, type PromStorage, type SeriesData } from '../src/server/promql/storage.js';
import { EvalError, TimeoutError } from '../src/server/promql/errors.js';
import { formatFloatF, formatSampleValue } from '../src/server/promql/format.js';
import { compareLabels } from '../src/server/promql/values.js';
import type { LabelMatcher } from '../src/metrics/types.js';

interface MemSeries {
  labels: Record<string, string>;
  points: Array<[number, number]>;
}

/** An in-memory store counting select() calls. */
function mem(series: MemSeries[]): PromStorage & { calls: number } {
  const store = {
    calls: 0,
    async select(matchers: readonly LabelMatcher[], fromMs: number, toMs: number): Promise<SeriesData[]> {
      store.calls++;
      const out: SeriesData[] = [];
      for (const s of series) {
        if (!matchers.every((m) => matcherAccepts(m, s.labels[m.label] ?? ''))) continue;
        const pts = s.points.filter(([t]) => t >= fromMs && t <= toMs);
        // Values go through a DataView so NaN payloads (staleness markers) survive, as in a store.
        const values = new Float64Array(pts.length);
        const dv = new DataView(values.buffer);
        pts.forEach((p, i) => dv.setFloat64(i * 8, p[1], true));
        out.push({ labels: s.labels, tsMs: pts.map((p) => p[0]), values });
      }
      return out.sort((a, b) => compareLabels(a.labels, b.labels));
    },
  };
  return store;
}

const S = 1000;
const MIN = 60 * S;

/** Instant query → { labelsJSON: value }. */
async function instant(store: PromStorage, q: string, tMs: number, opts?: EvalOptions): Promise<Record<string, number> | number | string> {
  const r = await instantQuery(store, parseExpr(q), tMs, opts);
  if (r.resultType === 'scalar' || r.resultType === 'string') return r.value;
  if (r.resultType !== 'vector') throw new Error(`unexpected ${r.resultType}`);
  const out: Record<string, number> = {};
  for (const s of r.samples) out[JSON.stringify(s.labels, Object.keys(s.labels).sort())] = s.value;
  return out;
}

const L = (l: Record<string, string>) => JSON.stringify(l, Object.keys(l).sort());

function matrix(r: QueryResult): Record<string, Array<[number, number]>> {
  if (r.resultType !== 'matrix') throw new Error(`unexpected ${r.resultType}`);
  const out: Record<string, Array<[number, number]>> = {};
  for (const s of r.series) out[L(s.labels)] = s.tsMs.map((t, i) => [t, s.values[i]]);
  return out;
}

const STALE = (() => {
  const b = new DataView(new ArrayBuffer(8));
  b.setUint32(0, 0x7ff00000);
  b.setUint32(4, 2);
  return b.getFloat64(0);
})();

describe('selectors: lookback, staleness, offset, @', () => {
  const store = mem([{ labels: { __name__: 'g', a: '1' }, points: [[0, 1], [60 * S, 2], [120 * S, STALE], [180 * S, 3]] }]);

  it('an instant selector takes the newest sample in [t − 5m, t]', async () => {
    expect(await instant(store, 'g', 60 * S)).toEqual({ [L({ __name__: 'g', a: '1' })]: 2 });
    expect(await instant(store, 'g', 119 * S)).toEqual({ [L({ __name__: 'g', a: '1' })]: 2 });
    // A staleness marker ends the series until the next sample.
    expect(await instant(store, 'g', 150 * S)).toEqual({});
    expect(await instant(store, 'g', 180 * S + 300 * S)).toEqual({ [L({ __name__: 'g', a: '1' })]: 3 });
    expect(await instant(store, 'g', 180 * S + 300 * S + 1)).toEqual({});
    expect(await instant(store, 'g', 59 * S, { lookbackMs: 30 * S })).toEqual({});
  });

  it('offset and @ move the reference time', async () => {
    expect(await instant(store, 'g offset 1m', 61 * S)).toEqual({ [L({ __name__: 'g', a: '1' })]: 1 });
    expect(await instant(store, 'g @ 60', 10_000 * S)).toEqual({ [L({ __name__: 'g', a: '1' })]: 2 });
    expect(await instant(store, 'g @ 60 offset -2m', 0)).toEqual({ [L({ __name__: 'g', a: '1' })]: 3 });
  });

  it('range windows are [t − range, t] without staleness markers', async () => {
    expect(await instant(store, 'count_over_time(g[1m])', 60 * S)).toEqual({ [L({ a: '1' })]: 2 });
    expect(await instant(store, 'count_over_time(g[1m])', 180 * S)).toEqual({ [L({ a: '1' })]: 1 });
    const r = await instantQuery(store, parseExpr('g[2m]'), 180 * S);
    expect(r).toEqual({ resultType: 'matrix', series: [{ labels: { __name__: 'g', a: '1' }, tsMs: [60 * S, 180 * S], values: [2, 3] }] });
  });
});

describe('counter functions', () => {
  const c = (points: Array<[number, number]>) => mem([{ labels: { __name__: 'c_total' }, points }]);

  it('rate/increase add counter resets back and need no extrapolation at the edges', async () => {
    const store = c([[0, 0], [10 * S, 10], [20 * S, 20], [30 * S, 5], [40 * S, 15], [50 * S, 25], [60 * S, 35]]);
    // 35 − 0 + 20 (the reset from 20 to 5), over exactly the window.
    expect(await instant(store, 'increase(c_total[1m])', 60 * S)).toEqual({ '{}': 55 });
    expect(await instant(store, 'rate(c_total[1m])', 60 * S)).toEqual({ '{}': 55 / 60 });
    expect(await instant(store, 'resets(c_total[1m])', 60 * S)).toEqual({ '{}': 1 });
    // delta does not treat the drop as a reset.
    expect(await instant(store, 'delta(c_total[1m])', 60 * S)).toEqual({ '{}': 35 });
    expect(await instant(store, 'irate(c_total[1m])', 60 * S)).toEqual({ '{}': 1 });
    expect(await instant(store, 'irate(c_total[1m])', 30 * S)).toEqual({ '{}': 0.5 });
    expect(await instant(store, 'idelta(c_total[1m])', 30 * S)).toEqual({ '{}': -15 });
  });

  it('extrapolates by half an interval past a far edge and fully to a near one', async () => {
    const store = c([[30 * S, 100], [40 * S, 110], [50 * S, 120]]);
    // Δ 20 over 20 s; start gap 30 s ≥ 1.1 × 10 s → +5 s; end gap 10 s < 11 s → +10 s: 20 × 35/20.
    expect(await instant(store, 'increase(c_total[1m])', 60 * S)).toEqual({ '{}': 35 });
    expect(await instant(store, 'rate(c_total[1m])', 60 * S)).toEqual({ '{}': 35 / 60 });
  });

  it('never extrapolates a counter below zero', async () => {
    const store = c([[30 * S, 1], [40 * S, 11], [50 * S, 21]]);
    // The zero point is 1 s before the first sample: 20 × (20 + 1 + 10) / 20.
    expect(await instant(store, 'increase(c_total[1m])', 60 * S)).toEqual({ '{}': 31 });
  });

  it('fewer than two samples give no rate', async () => {
    const store = c([[30 * S, 1]]);
    expect(await instant(store, 'rate(c_total[1m])', 60 * S)).toEqual({});
    expect(await instant(store, 'count_over_time(c_total[1m])', 60 * S)).toEqual({ '{}': 1 });
  });
});

describe('histogram_quantile', () => {
  const buckets = (counts: Record<string, number>, extra: Record<string, string> = {}) =>
    Object.entries(counts).map(([le, v]) => ({ labels: { __name__: 'h_bucket', le, ...extra }, points: [[0, v]] as Array<[number, number]> }));

  it('interpolates inside the bucket holding the rank', async () => {
    const store = mem(buckets({ '1': 10, '2': 20, '+Inf': 20 }));
    expect(await instant(store, 'histogram_quantile(0.5, h_bucket)', 0)).toEqual({ '{}': 1 });
    expect(await instant(store, 'histogram_quantile(0.75, h_bucket)', 0)).toEqual({ '{}': 1.5 });
    expect(await instant(store, 'histogram_quantile(0.25, h_bucket)', 0)).toEqual({ '{}': 0.5 });
    expect(await instant(store, 'histogram_quantile(1, h_bucket)', 0)).toEqual({ '{}': 2 });
  });

  it('edge cases: +Inf bucket, missing +Inf, φ outside [0, 1], no observations, merged bounds', async () => {
    expect(await instant(mem(buckets({ '1': 10, '2': 20, '+Inf': 25 })), 'histogram_quantile(0.99, h_bucket)', 0)).toEqual({ '{}': 2 });
    expect(await instant(mem(buckets({ '1': 10, '2': 20 })), 'histogram_quantile(0.5, h_bucket)', 0)).toEqual({ '{}': NaN });
    expect(await instant(mem(buckets({ '1': 10, '+Inf': 20 })), 'histogram_quantile(1.1, h_bucket)', 0)).toEqual({ '{}': Infinity });
    expect(await instant(mem(buckets({ '1': 10, '+Inf': 20 })), 'histogram_quantile(-1, h_bucket)', 0)).toEqual({ '{}': -Infinity });
    expect(await instant(mem(buckets({ '1': 0, '+Inf': 0 })), 'histogram_quantile(0.5, h_bucket)', 0)).toEqual({ '{}': NaN });
    // "1" and "1.0" are one bound; a non-monotonic count is raised to the running maximum.
    expect(await instant(mem(buckets({ '1': 4, '1.0': 6, '2': 8, '+Inf': 20 })), 'histogram_quantile(0.5, h_bucket)', 0)).toEqual({ '{}': 1 });
    // A bucket bound ≤ 0 as the lowest bucket answers that bound.
    expect(await instant(mem(buckets({ '-1': 10, '+Inf': 20 })), 'histogram_quantile(0.1, h_bucket)', 0)).toEqual({ '{}': -1 });
    // Series without a parsable le are ignored.
    expect(await instant(mem([...buckets({ '1': 10, '+Inf': 10 }), ...buckets({ x: 5 })]), 'histogram_quantile(0.5, h_bucket)', 0)).toEqual({ '{}': 0.5 });
  });

  it('groups by every label but le and drops the metric name', async () => {
    const store = mem([...buckets({ '1': 10, '+Inf': 10 }, { job: 'a' }), ...buckets({ '1': 0, '+Inf': 10 }, { job: 'b' })]);
    expect(await instant(store, 'histogram_quantile(0.5, h_bucket)', 0)).toEqual({ [L({ job: 'a' })]: 0.5, [L({ job: 'b' })]: 1 });
  });
});

describe('aggregations', () => {
  const store = mem([
    { labels: { __name__: 'x', job: 'a', i: '1' }, points: [[0, 1]] },
    { labels: { __name__: 'x', job: 'a', i: '2' }, points: [[0, 3]] },
    { labels: { __name__: 'x', job: 'b', i: '3' }, points: [[0, 8]] },
    { labels: { __name__: 'x', job: 'b', i: '4' }, points: [[0, 8]] },
  ]);

  it('sum/avg/min/max/count/group by and without', async () => {
    expect(await instant(store, 'sum(x)', 0)).toEqual({ '{}': 20 });
    expect(await instant(store, 'sum by (job) (x)', 0)).toEqual({ [L({ job: 'a' })]: 4, [L({ job: 'b' })]: 16 });
    expect(await instant(store, 'avg(x) without (i)', 0)).toEqual({ [L({ job: 'a' })]: 2, [L({ job: 'b' })]: 8 });
    expect(await instant(store, 'min by (job) (x)', 0)).toEqual({ [L({ job: 'a' })]: 1, [L({ job: 'b' })]: 8 });
    expect(await instant(store, 'max(x)', 0)).toEqual({ '{}': 8 });
    expect(await instant(store, 'count by (nope) (x)', 0)).toEqual({ '{}': 4 });
    expect(await instant(store, 'group by (job) (x)', 0)).toEqual({ [L({ job: 'a' })]: 1, [L({ job: 'b' })]: 1 });
    expect(await instant(store, 'sum by (__name__) (x)', 0)).toEqual({ [L({ __name__: 'x' })]: 20 });
  });

  it('stddev/stdvar/quantile', async () => {
    // Values 1 3 8 8: mean 5, squared deviations 16 4 9 9 → variance 38/4.
    expect(await instant(store, 'stdvar(x)', 0)).toEqual({ '{}': 9.5 });
    expect(await instant(store, 'stddev(x)', 0)).toEqual({ '{}': Math.sqrt(9.5) });
    // rank 0.5 × 3 = 1.5 between 3 and 8.
    expect(await instant(store, 'quantile(0.5, x)', 0)).toEqual({ '{}': 5.5 });
    expect(await instant(store, 'quantile(2, x)', 0)).toEqual({ '{}': Infinity });
  });

  it('topk/bottomk keep the series labels; k < 1 is empty', async () => {
    expect(await instant(store, 'topk(1, x)', 0)).toEqual({ [L({ __name__: 'x', job: 'b', i: '3' })]: 8 });
    expect(await instant(store, 'bottomk by (job) (1, x)', 0)).toEqual({ [L({ __name__: 'x', job: 'a', i: '1' })]: 1, [L({ __name__: 'x', job: 'b', i: '3' })]: 8 });
    expect(await instant(store, 'topk(0, x)', 0)).toEqual({});
    const r = await instantQuery(store, parseExpr('topk(3, x)'), 0);
    expect(r.resultType === 'vector' && r.samples.map((s) => s.value)).toEqual([8, 8, 3]);
  });

  it('count_values labels each value with its Go %f spelling', async () => {
    expect(await instant(store, 'count_values("v", x)', 0)).toEqual({ [L({ v: '1' })]: 1, [L({ v: '3' })]: 1, [L({ v: '8' })]: 2 });
    expect(await instant(store, 'count_values by (job) ("v", x / 4)', 0)).toEqual({
      [L({ job: 'a', v: '0.25' })]: 1,
      [L({ job: 'a', v: '0.75' })]: 1,
      [L({ job: 'b', v: '2' })]: 2,
    });
    await expect(instantQuery(store, parseExpr('count_values("bad-label", x)'), 0)).rejects.toThrow(EvalError);
  });
});

describe('binary operators and vector matching', () => {
  const store = mem([
    { labels: { __name__: 'req', job: 'a', method: 'get' }, points: [[0, 10]] },
    { labels: { __name__: 'req', job: 'a', method: 'post' }, points: [[0, 30]] },
    { labels: { __name__: 'req', job: 'b', method: 'get' }, points: [[0, 5]] },
    { labels: { __name__: 'total', job: 'a' }, points: [[0, 40]] },
    { labels: { __name__: 'total', job: 'b' }, points: [[0, 5]] },
    { labels: { __name__: 'info', job: 'a', team: 'x' }, points: [[0, 1]] },
    { labels: { __name__: 'spent', job: 'a' }, points: [[0, 7]] },
  ]);

  it('scalar arithmetic, precedence and Go pow', async () => {
    expect(await instant(store, '2 ^ 3 ^ 2', 0)).toBe(512);
    expect(await instant(store, '-2 ^ 2', 0)).toBe(-4);
    expect(await instant(store, '7 % -3 + 1 / 0', 0)).toBe(Infinity);
    expect(await instant(store, '1 ^ NaN', 0)).toBe(1);
    expect(await instant(store, '(-1) ^ Inf', 0)).toBe(1);
    expect(await instant(store, '3 > bool 2', 0)).toBe(1);
  });

  it('vector/scalar: arithmetic drops the name, comparisons filter and keep it', async () => {
    expect(await instant(store, 'total * 2', 0)).toEqual({ [L({ job: 'a' })]: 80, [L({ job: 'b' })]: 10 });
    expect(await instant(store, 'total > 10', 0)).toEqual({ [L({ __name__: 'total', job: 'a' })]: 40 });
    expect(await instant(store, '10 < total', 0)).toEqual({ [L({ __name__: 'total', job: 'a' })]: 40 });
    expect(await instant(store, 'total > bool 10', 0)).toEqual({ [L({ job: 'a' })]: 1, [L({ job: 'b' })]: 0 });
  });

  it('one-to-one with on/ignoring, many-to-one with group_left copying labels', async () => {
    expect(await instant(store, 'req{method="get"} / ignoring(method) total', 0)).toEqual({ [L({ job: 'a' })]: 0.25, [L({ job: 'b' })]: 1 });
    expect(await instant(store, 'req{method="get"} / on(job) total', 0)).toEqual({ [L({ job: 'a' })]: 0.25, [L({ job: 'b' })]: 1 });
    expect(await instant(store, 'req / on(job) group_left total', 0)).toEqual({
      [L({ job: 'a', method: 'get' })]: 0.25,
      [L({ job: 'a', method: 'post' })]: 0.75,
      [L({ job: 'b', method: 'get' })]: 1,
    });
    expect(await instant(store, 'req * on(job) group_left(team) info', 0)).toEqual({
      [L({ job: 'a', method: 'get', team: 'x' })]: 10,
      [L({ job: 'a', method: 'post', team: 'x' })]: 30,
    });
    expect(await instant(store, 'info * on(job) group_right(team) req', 0)).toEqual({
      [L({ job: 'a', method: 'get', team: 'x' })]: 10,
      [L({ job: 'a', method: 'post', team: 'x' })]: 30,
    });
  });

  it('matching errors', async () => {
    await expect(instantQuery(store, parseExpr('req / on(job) total'), 0)).rejects.toThrow('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
    await expect(instantQuery(store, parseExpr('total / on(job) group_left req'), 0)).rejects.toThrow(/found duplicate series for the match group \{job="a"\} on the right hand-side/);
    await expect(instantQuery(store, parseExpr('req * 1 + ignoring(method, job) group_left total'), 0)).rejects.toThrow(/many-to-many matching not allowed/);
    await expect(instantQuery(store, parseExpr('{__name__=~"total|spent"} * 1'), 0)).rejects.toThrow('vector cannot contain metrics with the same labelset');
  });

  it('and / or / unless', async () => {
    expect(await instant(store, 'req and on(job) (total > 10)', 0)).toEqual({
      [L({ __name__: 'req', job: 'a', method: 'get' })]: 10,
      [L({ __name__: 'req', job: 'a', method: 'post' })]: 30,
    });
    expect(await instant(store, 'req unless on(job) info', 0)).toEqual({ [L({ __name__: 'req', job: 'b', method: 'get' })]: 5 });
    expect(await instant(store, 'total or on(job) info', 0)).toEqual({ [L({ __name__: 'total', job: 'a' })]: 40, [L({ __name__: 'total', job: 'b' })]: 5 });
    expect(await instant(store, 'info or total', 0)).toEqual({
      [L({ __name__: 'info', job: 'a', team: 'x' })]: 1,
      [L({ __name__: 'total', job: 'a' })]: 40,
      [L({ __name__: 'total', job: 'b' })]: 5,
    });
  });
});

describe('functions', () => {
  const store = mem([
    { labels: { __name__: 'up', instance: 'host-12:9100', job: 'node' }, points: [[0, 1]] },
    { labels: { __name__: 't', room: 'a' }, points: [[0, -2.5], [30 * S, 2.45]] },
  ]);

  it('label_replace expands templates as Go does ($1x is group "1x", i.e. empty)', async () => {
    const lr = (tpl: string) => instant(store, `label_replace(up, "host", "${tpl}", "instance", "(?P<name>[a-z]+)-(\\\\d+):.*")`, 0);
    expect(Object.keys(await lr('$1'))).toEqual([L({ __name__: 'up', host: 'host', instance: 'host-12:9100', job: 'node' })]);
    expect(Object.keys(await lr('${1}x$2'))).toEqual([L({ __name__: 'up', host: 'hostx12', instance: 'host-12:9100', job: 'node' })]);
    expect(Object.keys(await lr('$1x'))).toEqual([L({ __name__: 'up', instance: 'host-12:9100', job: 'node' })]);
    expect(Object.keys(await lr('$name/$$'))).toEqual([L({ __name__: 'up', host: 'host/$', instance: 'host-12:9100', job: 'node' })]);
    // No match: the series is unchanged.
    expect(Object.keys(await instant(store, 'label_replace(up, "host", "x", "instance", "nomatch")', 0))).toEqual([L({ __name__: 'up', instance: 'host-12:9100', job: 'node' })]);
    expect(Object.keys(await instant(store, 'label_join(up, "id", "/", "job", "instance", "missing")', 0))).toEqual([
      L({ __name__: 'up', id: 'node/host-12:9100/', instance: 'host-12:9100', job: 'node' }),
    ]);
    await expect(instantQuery(store, parseExpr('label_replace(up, "a-b", "x", "instance", ".*")'), 0)).rejects.toThrow('invalid destination label name in label_replace(): a-b');
  });

  it('math, rounding, clamping', async () => {
    expect(await instant(store, 'round(t)', 0)).toEqual({ [L({ room: 'a' })]: -2 });
    expect(await instant(store, 'round(t, 0.1)', 30 * S)).toEqual({ [L({ room: 'a' })]: 2.5 });
    expect(await instant(store, 'abs(t)', 0)).toEqual({ [L({ room: 'a' })]: 2.5 });
    expect(await instant(store, 'clamp(t, -1, 1)', 0)).toEqual({ [L({ room: 'a' })]: -1 });
    expect(await instant(store, 'clamp_max(t, -3)', 0)).toEqual({ [L({ room: 'a' })]: -3 });
    expect(await instant(store, 'sgn(t)', 0)).toEqual({ [L({ room: 'a' })]: -1 });
    expect(await instant(store, 'ceil(t) + floor(t)', 0)).toEqual({ [L({ room: 'a' })]: -5 });
  });

  it('scalar, vector, time, timestamp, absent', async () => {
    expect(await instant(store, 'scalar(t)', 30 * S)).toBe(2.45);
    expect(await instant(store, 'scalar({__name__=~"t|up"})', 0)).toBeNaN();
    expect(await instant(store, 'vector(2)', 0)).toEqual({ '{}': 2 });
    expect(await instant(store, 'time()', 90 * S)).toBe(90);
    expect(await instant(store, 'timestamp(t)', 45 * S)).toEqual({ [L({ room: 'a' })]: 30 });
    expect(await instant(store, 'timestamp(abs(t))', 45 * S)).toEqual({ [L({ room: 'a' })]: 45 });
    expect(await instant(store, 'absent(nope{job="x", env=~"p.*", a="1", a="2"})', 0)).toEqual({ [L({ job: 'x' })]: 1 });
    expect(await instant(store, 'absent(up)', 0)).toEqual({});
    expect(await instant(store, 'absent_over_time(nope{job="y"}[1m])', 0)).toEqual({ [L({ job: 'y' })]: 1 });
  });
});

describe('range queries', () => {
  it('evaluate every step from one fetch per selector', async () => {
    const series: MemSeries[] = [];
    for (let i = 0; i < 50; i++) {
      const points: Array<[number, number]> = [];
      for (let t = 0; t <= 60 * MIN; t += 15 * S) points.push([t, i + t / 1000]);
      series.push({ labels: { __name__: 'c_total', i: String(i) }, points });
    }
    const store = mem(series);
    const r = matrix(await rangeQuery(store, parseExpr('sum(rate(c_total[1m])) + sum(c_total offset 1m) * 0'), 10 * MIN, 60 * MIN, 15 * S));
    // Two selectors, two reads, whatever the number of steps.
    expect(store.calls).toBe(2);
    const pts = r['{}'];
    expect(pts).toHaveLength(201);
    for (const [, v] of pts) expect(v).toBeCloseTo(50, 9);
  });

  it('series are merged by labels across steps; same labels at one step fail', async () => {
    const store = mem([
      { labels: { __name__: 'a', k: 'v' }, points: [[0, 1]] },
      { labels: { __name__: 'b', k: 'v' }, points: [[10 * MIN, 2]] },
    ]);
    // abs() of a (until 5m) and b (from 10m): one output series with both stretches.
    const r = matrix(await rangeQuery(store, parseExpr('abs({__name__=~"a|b"})'), 0, 12 * MIN, 4 * MIN));
    expect(r).toEqual({ [L({ k: 'v' })]: [[0, 1], [4 * MIN, 1], [12 * MIN, 2]] });
    // Range-vector functions build one series per input: Prometheus 2.42 fails even without overlap.
    await expect(rangeQuery(store, parseExpr('max_over_time({__name__=~"a|b"}[3m])'), 0, 12 * MIN, 4 * MIN)).rejects.toThrow('vector cannot contain metrics with the same labelset');
    // Scalars become one series without labels.
    expect(matrix(await rangeQuery(store, parseExpr('time()'), 0, 2 * MIN, MIN))).toEqual({ '{}': [[0, 0], [MIN, 60], [2 * MIN, 120]] });
  });

  it('limits: samples and deadline', async () => {
    const store = mem([{ labels: { __name__: 'g' }, points: Array.from({ length: 100 }, (_, i) => [i * S, i] as [number, number]) }]);
    await expect(rangeQuery(store, parseExpr('g'), 0, 99 * S, S, { maxSamples: 50 })).rejects.toThrow(/too many samples/);
    await expect(rangeQuery(store, parseExpr('g'), 0, 99 * S, S, { deadlineMs: Date.now() - 1 })).rejects.toThrow(TimeoutError);
  });
});

describe('number formatting as Prometheus writes it', () => {
  it('sample values (%f within [1e-6, 1e21), else %e) and %f for scalars', () => {
    expect(formatSampleValue(1e-7)).toBe('1e-07');
    expect(formatSampleValue(1.5e21)).toBe('1.5e+21');
    expect(formatSampleValue(123.25)).toBe('123.25');
    expect(formatSampleValue(-Infinity)).toBe('-Inf');
    expect(formatSampleValue(-0)).toBe('-0');
    expect(formatFloatF(1e-7)).toBe('0.0000001');
    expect(formatFloatF(1e21)).toBe('1000000000000000000000');
    expect(formatFloatF(-1.25e-8)).toBe('-0.0000000125');
    expect(formatFloatF(Infinity)).toBe('+Inf');
  });
});
