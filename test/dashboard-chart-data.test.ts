// The pure data shaping behind the dashboard's charts and trace pages (no browser): aligning metric
// series on one x axis with gaps as nulls, units from metadata or name suffixes, the step choice,
// grouping trace search results and flattening a span tree.
import { describe, expect, it } from 'vitest';
import { alignSeries, finiteOrNull, seriesLabel, type MetricSeries } from '../web/src/chart.js';
import { formatUnit, unitOf } from '../web/src/units.js';
import { chooseStepMs } from '../web/src/pages/metrics.js';
import { groupByTrace } from '../web/src/pages/traces.js';
import { flattenTree, traceBounds } from '../web/src/waterfall.js';
import { nsDiffMs, type SpanJson, type SpanNodeJson } from '../web/src/spans.js';

const s = (labels: Record<string, string>, tsMs: number[], values: (number | string)[]): MetricSeries => ({ name: 'm', labels, tsMs, values });

describe('alignSeries', () => {
  it('puts every series on the union of timestamps, null where one has no value', () => {
    const d = alignSeries([s({ pod: 'a' }, [0, 10, 20], [1, 2, 3]), s({ pod: 'b' }, [10, 20, 30], [4, 5, 6])], 10);
    expect(d.x).toEqual([0, 10, 20, 30]);
    expect(d.series.map((x) => x.values)).toEqual([
      [1, 2, 3, null],
      [null, 4, 5, 6],
    ]);
    expect(d.series.map((x) => x.label)).toEqual(['pod=a', 'pod=b']);
  });

  it('breaks the line where steps are missing and turns NaN/Infinity into gaps', () => {
    const d = alignSeries([s({}, [0, 10, 20, 60, 70], [1, 'NaN', 3, 'Infinity', 5])], 10);
    expect(d.x).toEqual([0, 10, 20, 30, 60, 70]);
    expect(d.series[0].values).toEqual([1, null, 3, null, null, 5]);
  });

  it('does not break a series whose own interval is longer than the step, only its real gaps', () => {
    // Scraped every 60 s, drawn at 15 s steps: consecutive points are not gaps; the 5-minute hole is.
    const ts = [0, 60, 120, 180, 480, 540].map((t) => t * 1000);
    const d = alignSeries([s({}, ts, [1, 2, 3, 4, 5, 6])], 15_000);
    expect(d.x).toEqual([0, 60, 120, 180, 240, 480, 540].map((t) => t * 1000));
    expect(d.series[0].values).toEqual([1, 2, 3, 4, null, 5, 6]);
  });

  it('names a lone series by its labels and a label-less one by its metric', () => {
    expect(seriesLabel(s({ job: 'api' }, [], []), [s({ job: 'api' }, [], [])])).toBe('job=api');
    expect(seriesLabel(s({}, [], []), [s({}, [], [])])).toBe('m');
    expect(finiteOrNull('12.5')).toBe(12.5);
    expect(finiteOrNull('-Infinity')).toBe(null);
  });
});

describe('units', () => {
  it('takes the declared unit first, then the name suffix', () => {
    expect(unitOf('process_resident_memory_bytes')).toBe('bytes');
    expect(unitOf('http_request_duration_seconds_sum')).toBe('seconds');
    expect(unitOf('cpu_usage_ratio')).toBe('ratio');
    expect(unitOf('queue_depth')).toBe('plain');
    expect(unitOf('queue_depth', 'By')).toBe('bytes');
    expect(unitOf('latency', 'ms')).toBe('ms');
  });

  it('formats values in their unit', () => {
    expect(formatUnit(1536, 'bytes')).toBe('1.50 KiB');
    expect(formatUnit(0.25, 'seconds')).toBe('250 ms');
    expect(formatUnit(0.125, 'ratio')).toBe('12.5%');
    expect(formatUnit(12_300, 'plain')).toMatch(/^12\.30? k$/); // format.ts's compact form
    expect(formatUnit(0, 'ms')).toBe('0');
  });
});

describe('chooseStepMs', () => {
  it('keeps every preset between 250 and 600 points on round steps', () => {
    for (const h of [0.25, 1, 6, 24, 7 * 24, 30 * 24]) {
      const range = h * 3_600_000;
      const step = chooseStepMs(range);
      expect(range / step).toBeLessThanOrEqual(600);
      expect(range / step).toBeGreaterThanOrEqual(250);
    }
    expect(chooseStepMs(3_600_000)).toBe(10_000);
  });
});

function span(traceId: string, spanId: string, parent: string | undefined, startNs: string, endNs: string, code: 'ok' | 'error' | 'unset' = 'unset'): SpanJson {
  return {
    traceId, spanId, parentSpanId: parent, name: `op-${spanId}`, kind: 'internal', startNs, endNs, status: { code },
    attributes: {}, events: [], links: [], resource: { attributes: { 'service.name': 'svc' }, droppedAttributesCount: 0 },
    scope: { name: '', attributes: {}, droppedAttributesCount: 0 }, flags: 1, droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
  };
}

describe('trace helpers', () => {
  const T = '1800000000000000000';
  const plus = (ns: bigint) => (BigInt(T) + ns).toString();

  it('differences of epoch-ns strings keep sub-ms precision', () => {
    expect(nsDiffMs(T, plus(1_500n))).toBe(0.0015);
    expect(nsDiffMs(T, plus(2_000_000_123n))).toBeCloseTo(2000.000123, 9);
  });

  it('groups result spans by trace, newest first, root naming the row, errors flagged', () => {
    const rows = groupByTrace([
      span('t2', 'c', 'r2', plus(5_000_000n), plus(6_000_000n), 'error'),
      span('t1', 'a', undefined, plus(0n), plus(10_000_000n)),
      span('t1', 'b', 'a', plus(1_000_000n), plus(2_000_000n)),
    ]);
    expect(rows.map((r) => r.traceId)).toEqual(['t2', 't1']);
    expect(rows[1].root.spanId).toBe('a');
    expect(rows[1].spans.length).toBe(2);
    expect(rows[1].durationMs).toBe(10);
    // No root among the results: the earliest span names the row; the duration spans what was found.
    expect(rows[0].root.spanId).toBe('c');
    expect(rows[0].durationMs).toBe(1);
    expect(rows[0].error).toBe(true);
  });

  it('flattens the span tree depth-first with depths', () => {
    const n = (sp: SpanJson, children: SpanNodeJson[] = []): SpanNodeJson => ({ span: sp, children });
    const a = span('t', 'a', undefined, plus(0n), plus(9n));
    const b = span('t', 'b', 'a', plus(1n), plus(3n));
    const c = span('t', 'c', 'b', plus(2n), plus(3n));
    const d = span('t', 'd', 'a', plus(4n), plus(12n));
    const orphan = span('t', 'e', 'zz', plus(5n), plus(6n));
    const rows = flattenTree([n(a, [n(b, [n(c)]), n(d)]), n(orphan)]);
    expect(rows.map((r) => `${r.span.spanId}${r.depth}`)).toEqual(['a0', 'b1', 'c2', 'd1', 'e0']);
    expect(traceBounds([a, b, c, d, orphan])).toEqual({ startNs: plus(0n), endNs: plus(12n) });
  });
});
