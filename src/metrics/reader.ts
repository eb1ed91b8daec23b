// Queries: series selection through the label postings, then heads (main thread, small) + block rows
// overlapping the range. Small reads decode on the main thread; bigger ones go to the pool, where
// step aggregation also runs so only step outputs cross back. Steps that are whole hours / days on
// aligned ranges read the rollup tiers instead of raw blocks.
import path from 'node:path';
import { decodeRawRow } from './group-block.js';
import { readAt } from '../storage/segments.js';
import { combineSeries } from './query/combine.js';
import { QueryError } from './query/errors.js';
import { METRIC_NAME_LABEL } from './query/label-index.js';
import type { Matcher, StepAgg } from './query/types.js';
import { readSeries, type BlockRef, type ReadInput, type ReadOutput, type ReadSeriesSpec } from './block-tasks.js';
import type { MetricsEngine } from './engine.js';
import { MetricsError } from './errors.js';
import { compareLabels } from './labels.js';
import { clipRun, mergeRuns, type PointRun } from './points.js';
import { sortDedupe } from './heads.js';
import { DAY_MS, HOUR_MS, TIER_DAILY, TIER_HOURLY, TIER_RAW, TIER_BUCKET_MS } from './schema.js';
import type { Agg, LatestPoint, Labels, Matchers, QueryOptions, QueryResult, SeriesResult, SkippedBlock } from './types.js';

const AGGS: readonly Agg[] = ['avg', 'min', 'max', 'sum', 'count', 'last', 'rate', 'increase'];

function invalid(message: string): MetricsError {
  return new MetricsError('INVALID_QUERY', message);
}

export function toMatchers(m: Matchers | undefined): Matcher[] {
  if (m === undefined || m === null) return [];
  if (Array.isArray(m)) return m as Matcher[];
  if (typeof m !== 'object') throw invalid('matchers must be { label: value } or an array of { label, op, value }');
  return Object.entries(m).map(([label, value]) => ({ label, op: '=' as const, value }));
}

/** Series ids (ascending) of `name` (any metric when undefined; `__name__` matchers pick metrics) matching `matchers`. */
export function selectSeries(e: MetricsEngine, name: string | undefined, matchers: Matchers | undefined): number[] {
  if (name !== undefined && typeof name !== 'string') throw invalid('name must be a string');
  try {
    return e.catalog.index.select(name, toMatchers(matchers));
  } catch (err) {
    if (err instanceof QueryError) throw new MetricsError('INVALID_QUERY', err.message, err);
    throw err;
  }
}

/** Uncommitted points of a series (pending cuts, then the head), sorted, last write winning. */
export function unsealedRun(e: MetricsEngine, id: number): PointRun | undefined {
  const runs: PointRun[] = [];
  for (const c of e.sealer.pendingFor(id) ?? []) runs.push(sortDedupe(c.pairs, c.n));
  const h = e.heads[id];
  if (h !== undefined && h.n > 0) runs.push(h.sortedCopy());
  return runs.length === 0 ? undefined : mergeRuns(runs);
}

/** A metric name, or at least one `__name__` matcher (see QueryOptions). */
function checkNameSelection(name: unknown, matchers: Matchers | undefined, what: string): void {
  if (name !== undefined) {
    if (typeof name !== 'string' || name === '') throw invalid(`${what}: name must be a non-empty string`);
    return;
  }
  if (!toMatchers(matchers).some((m) => m !== null && typeof m === 'object' && m.label === METRIC_NAME_LABEL)) {
    throw invalid(`${what} needs a metric name, or a ${METRIC_NAME_LABEL} matcher such as { label: '${METRIC_NAME_LABEL}', op: '=~', value: '.+' }`);
  }
}

function chooseTier(stepMs: number | undefined, fromMs: number): number {
  if (stepMs === undefined) return TIER_RAW;
  if (stepMs % DAY_MS === 0 && fromMs % DAY_MS === 0) return TIER_DAILY;
  if (stepMs % HOUR_MS === 0 && fromMs % HOUR_MS === 0) return TIER_HOURLY;
  return TIER_RAW;
}

function checkQuery(q: QueryOptions): { stepMs?: number; agg?: StepAgg; groupBy?: string[] } {
  if (q === null || typeof q !== 'object') throw invalid('query expects { name?, matchers?, fromMs, toMs, stepMs?, agg?, groupBy? }');
  checkNameSelection(q.name, q.matchers, 'query');
  for (const k of ['fromMs', 'toMs'] as const) {
    if (typeof q[k] !== 'number' || !Number.isFinite(q[k])) throw invalid(`${k} must be a finite millisecond timestamp, got ${String(q[k])}`);
  }
  if (q.fromMs > q.toMs) throw invalid(`fromMs (${q.fromMs}) is after toMs (${q.toMs}); swap them`);
  if (q.stepMs !== undefined && (typeof q.stepMs !== 'number' || !(q.stepMs > 0) || !Number.isFinite(q.stepMs))) {
    throw invalid(`stepMs must be a positive number of milliseconds, got ${String(q.stepMs)}`);
  }
  if (q.agg !== undefined && !AGGS.includes(q.agg)) throw invalid(`unknown agg ${JSON.stringify(q.agg)}; use one of ${AGGS.join('|')}`);
  if (q.agg !== undefined && q.stepMs === undefined) throw invalid(`agg "${q.agg}" needs stepMs (the bucket width)`);
  if (q.groupBy !== undefined) {
    if (!Array.isArray(q.groupBy) || q.groupBy.some((g) => typeof g !== 'string')) throw invalid('groupBy must be an array of label names');
    if (q.stepMs === undefined) throw invalid('groupBy needs stepMs (series are combined step by step)');
  }
  if (q.stepMs !== undefined && (q.toMs - q.fromMs) / q.stepMs > 1_000_000) {
    throw invalid(`${Math.ceil((q.toMs - q.fromMs) / q.stepMs)} steps is too many; use a larger stepMs`);
  }
  return { stepMs: q.stepMs, agg: q.stepMs !== undefined ? (q.agg ?? 'avg') : undefined, groupBy: q.groupBy };
}

export async function runQuery(e: MetricsEngine, q: QueryOptions): Promise<QueryResult> {
  const { stepMs, agg, groupBy } = checkQuery(q);
  const ids = selectSeries(e, q.name, q.matchers);
  const tier = chooseTier(stepMs, q.fromMs);
  const counter = agg === 'rate' || agg === 'increase';
  const lookbackMs = counter ? (tier === TIER_RAW ? (stepMs as number) : TIER_BUCKET_MS[tier]) : 0;
  const clipFromMs = q.fromMs - lookbackMs;
  // A rollup query whose end falls inside a bucket reads that last bucket from raw points, so the
  // answer covers exactly [fromMs, toMs] whether the points are sealed yet or not.
  const bucketMs = TIER_BUCKET_MS[tier];
  const tailFromMs = tier === TIER_RAW || (q.toMs + 1) % bucketMs === 0 ? undefined : Math.floor((q.toMs + 1) / bucketMs) * bucketMs;
  const specs: ReadSeriesSpec[] = [];
  let blockBytes = 0;
  for (const id of ids) {
    const blocks = e.index.range(id, tier, clipFromMs, tailFromMs === undefined ? q.toMs : tailFromMs - 1).map(refOf);
    for (const b of blocks) blockBytes += b.length;
    const spec: ReadSeriesSpec = { seriesId: id, blocks };
    if (tailFromMs !== undefined) {
      spec.tailBlocks = e.index.range(id, TIER_RAW, tailFromMs, q.toMs).map(refOf);
      for (const b of spec.tailBlocks) blockBytes += b.length;
    }
    const unsealed = unsealedRun(e, id);
    if (unsealed) {
      const clipped = clipRun(unsealed, clipFromMs, q.toMs);
      if (clipped.tsMs.length > 0) {
        spec.headTsMs = clipped.tsMs.slice();
        spec.headValues = clipped.values.slice();
      }
    }
    if (spec.blocks.length > 0 || spec.tailBlocks?.length || spec.headTsMs) specs.push(spec);
  }
  const input: Omit<ReadInput, 'series'> = {
    root: e.root,
    tier,
    clipFromMs,
    toMs: q.toMs,
    tailFromMs,
    step: stepMs !== undefined ? { fromMs: q.fromMs, toMs: q.toMs, stepMs, agg: agg as StepAgg } : undefined,
  };
  const out = await read(e, input, specs, blockBytes);
  const skipped: SkippedBlock[] = [];
  for (const s of out.skipped) {
    e.reportCorrupt(s);
    skipped.push({ seriesId: s.seriesId, file: s.file, offset: s.offset, reason: s.reason });
  }
  let results: SeriesResult[] = out.series
    .filter((s) => s.tsMs.length > 0)
    .map((s) => ({ name: e.catalog.nameOf(s.seriesId), labels: e.catalog.labelsOf(s.seriesId), tsMs: s.tsMs, values: s.values }));
  if (groupBy) results = group(results, groupBy, agg as StepAgg);
  results.sort(compareResults);
  return Object.assign(results, { skipped });
}

/** Just what a read task needs of a block row: the rest would only be cloned to the worker. */
function refOf(b: BlockRef): BlockRef {
  return b.col !== undefined && b.col >= 0
    ? { id: b.id, file: b.file, offset: b.offset, length: b.length, col: b.col }
    : { id: b.id, file: b.file, offset: b.offset, length: b.length };
}

/** By labels (DESIGN §6); series of several metrics with equal labels then by name. */
function compareResults(a: { name: string; labels: Labels }, b: { name: string; labels: Labels }): number {
  return compareLabels(a.labels, b.labels) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

function group(list: SeriesResult[], by: string[], agg: StepAgg): SeriesResult[] {
  const groups = new Map<string, { labels: Labels; members: SeriesResult[] }>();
  for (const s of list) {
    const labels: Labels = {};
    for (const l of by) if (s.labels[l] !== undefined) labels[l] = s.labels[l];
    const key = JSON.stringify(by.map((l) => labels[l] ?? null));
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels, members: [] }));
    g.members.push(s);
  }
  return [...groups.values()].map((g) => {
    g.members.sort(compareResults);
    const c = combineSeries(g.members, agg);
    const name = g.members.every((m) => m.name === g.members[0].name) ? g.members[0].name : '';
    return { name, labels: g.labels, tsMs: c.tsMs, values: c.values };
  });
}

async function read(e: MetricsEngine, base: Omit<ReadInput, 'series'>, specs: ReadSeriesSpec[], blockBytes: number): Promise<ReadOutput> {
  if (specs.length === 0) return { series: [], skipped: [] };
  if (blockBytes <= e.opts.poolDecodeBytes) return readSeries({ ...base, series: specs });
  // With several threads: one task per slice of series with roughly equal block bytes, a couple per
  // worker so a slow slice does not hold the answer. With one thread, slices would only queue behind
  // each other: one task, one round trip.
  const parts = e.pool.threads > 1 ? Math.min(specs.length, e.pool.threads * 2) : 1;
  const target = blockBytes / parts;
  const slices: ReadSeriesSpec[][] = [];
  let cur: ReadSeriesSpec[] = [];
  let bytes = 0;
  for (const s of specs) {
    cur.push(s);
    for (const b of s.blocks) bytes += b.length;
    for (const b of s.tailBlocks ?? []) bytes += b.length;
    if (bytes >= target && slices.length < parts - 1) {
      slices.push(cur);
      cur = [];
      bytes = 0;
    }
  }
  if (cur.length > 0) slices.push(cur);
  e.readsInFlight++;
  try {
    const outs = await Promise.all(slices.map((series) => e.pool.readSeries({ ...base, series })));
    return { series: outs.flatMap((o) => o.series), skipped: outs.flatMap((o) => o.skipped) };
  } finally {
    e.readsInFlight--;
  }
}

export async function runLatest(e: MetricsEngine, name: string | undefined, matchers?: Matchers): Promise<LatestPoint[]> {
  checkNameSelection(name, matchers, 'latest');
  const out: LatestPoint[] = [];
  for (const id of selectSeries(e, name, matchers)) {
    let bestTs = -Infinity;
    let bestValue = NaN;
    const unsealed = unsealedRun(e, id);
    if (unsealed && unsealed.tsMs.length > 0) {
      bestTs = unsealed.tsMs[unsealed.tsMs.length - 1];
      bestValue = unsealed.values[unsealed.values.length - 1];
    }
    for (const b of e.index.lastRaw(id)) {
      if (b.tMax <= bestTs) break;
      try {
        const d = decodeRawRow(readAt(path.join(e.root, b.file), b.offset, b.length), b.col);
        bestTs = d.tsMs[d.tsMs.length - 1];
        bestValue = d.values[d.values.length - 1];
        break;
      } catch (err) {
        e.reportCorrupt({ blockId: b.id, seriesId: id, file: b.file, offset: b.offset, reason: err instanceof Error ? err.message : String(err) });
      }
    }
    if (bestTs > -Infinity) out.push({ name: e.catalog.nameOf(id), labels: e.catalog.labelsOf(id), tsMs: bestTs, value: bestValue });
  }
  out.sort(compareResults);
  return out;
}
