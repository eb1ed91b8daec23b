// The raw-tier half of a query read (inside a pool worker for big reads, on the main thread for
// small ones): one series' blocks and head → its points in [clipFromMs, toMs], or its step outputs.
// The common case — blocks whose time spans are disjoint (compacted cells, then newer heads) — is
// streamed: each block decodes into the codec's scratch and its clipped range goes straight to the
// step aggregation (or, for raw answers, into one preallocated output), with no copies out of wasm,
// no per-block slices and no merged array. Anything else (overlapping rewrites, a head inside a
// block's span) takes the general merge, where later writes win.
import { decodeSeries, decodeSeriesView } from '../codec/series.js';
import { parseBlock } from '../storage/block.js';
import type { BlockFetcher } from '../storage/block-fetch.js';
import { GroupBlockCache, KIND_RAW_GROUP } from './group-block.js';
import { CodecError } from '../codec/errors.js';
import type { BlockRef, ReadInput, ReadSeriesSpec, SkippedRef } from './block-tasks.js';
import { clipRun, mergeRuns, type PointRun } from './points.js';
import { aggregateSteps, StepAggregator } from './query/steps.js';
import { lowerBound } from './query/sorted.js';

const EMPTY = new Uint8Array(0);

export function readRawSeries(
  blocks: BlockFetcher,
  spec: ReadSeriesSpec,
  input: ReadInput,
  skipped: SkippedRef[],
  groups: GroupBlockCache = new GroupBlockCache(),
): PointRun {
  const loaded: LoadedBlock[] = [];
  for (const ref of spec.blocks) {
    try {
      if (ref.col !== undefined && ref.col >= 0) {
        // A group member is prefix-summed here (columns 0..col), so both paths below get its points.
        const { header, run } = groups.member(ref.file, ref.offset, ref.col, () => blocks.get(ref));
        loaded.push({ ref, tMinMs: header.tMinMs, tMaxMs: header.tMaxMs, count: header.count, payload: EMPTY, run });
        continue;
      }
      const { header, payload } = parseBlock(blocks.get(ref));
      if (header.kind === KIND_RAW_GROUP) throw new CodecError('CORRUPT', 'a group block indexed as an ordinary raw block');
      loaded.push({ ref, tMinMs: header.tMinMs, tMaxMs: header.tMaxMs, count: header.count, payload });
    } catch (err) {
      skipped.push(skipOf(spec, ref, err));
    }
  }
  const head = spec.headTsMs && spec.headValues && spec.headTsMs.length > 0 ? { tsMs: spec.headTsMs, values: spec.headValues } : undefined;
  const order = timeOrder(loaded, head);
  const streamed = order && streamRaw(order, head, input, spec, skipped);
  return streamed || mergeRaw(loaded, head, input, spec, skipped);
}

interface LoadedBlock {
  ref: BlockRef;
  /** From the (crc-checked) block header. */
  tMinMs: number;
  tMaxMs: number;
  count: number;
  payload: Uint8Array;
  /** A histogram group member's points, decoded up front (payload is then empty; see group-block.ts). */
  run?: PointRun;
}

/** A block, or the head (undefined), with its time span. */
type Piece = { block: LoadedBlock | undefined; tMinMs: number; tMaxMs: number };

/**
 * The blocks and the head in time order when their spans are pairwise disjoint (the common case:
 * compacted cells, then newer heads), else undefined. Disjoint runs never share a timestamp, so
 * reading them in time order gives what the write-order merge gives, without building it.
 */
function timeOrder(blocks: LoadedBlock[], head: PointRun | undefined): Piece[] | undefined {
  const pieces: Piece[] = blocks.map((b) => ({ block: b, tMinMs: b.tMinMs, tMaxMs: b.tMaxMs }));
  if (head) pieces.push({ block: undefined, tMinMs: head.tsMs[0], tMaxMs: head.tsMs[head.tsMs.length - 1] });
  pieces.sort((a, b) => a.tMinMs - b.tMinMs);
  for (let i = 1; i < pieces.length; i++) if (!(pieces[i].tMinMs > pieces[i - 1].tMaxMs)) return undefined;
  return pieces;
}

/** Where the clipped points of one series go, piece by piece in time order. */
interface PointSink {
  add(tsMs: Float64Array, values: Float64Array, lo: number, hi: number): void;
  finish(): PointRun;
}

/** Raw answers: one exact-size output, each piece's clipped range copied in once. */
class CopySink implements PointSink {
  private readonly tsMs: Float64Array;
  private readonly values: Float64Array;
  private n = 0;

  constructor(capacity: number) {
    this.tsMs = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  add(tsMs: Float64Array, values: Float64Array, lo: number, hi: number): void {
    this.tsMs.set(tsMs.subarray(lo, hi), this.n);
    this.values.set(values.subarray(lo, hi), this.n);
    this.n += hi - lo;
  }

  finish(): PointRun {
    // Capacity counts whole blocks; the clipped ends are usually a small part of it. A view keeps
    // the transfer to one buffer per column; a mostly empty buffer is copied to its size instead.
    const { n } = this;
    if (n === this.tsMs.length) return { tsMs: this.tsMs, values: this.values };
    if (this.tsMs.length - n > n >> 3) return { tsMs: this.tsMs.slice(0, n), values: this.values.slice(0, n) };
    return { tsMs: this.tsMs.subarray(0, n), values: this.values.subarray(0, n) };
  }
}

/**
 * The fast path: each block decoded into the codec's scratch (no copy out) and fed, clipped, straight
 * to the step aggregation or the output copy. Undefined when a decoded block contradicts its header
 * span (then the caller merges the general way, which reports the skips itself).
 */
function streamRaw(order: Piece[], head: PointRun | undefined, input: ReadInput, spec: ReadSeriesSpec, skipped: SkippedRef[]): PointRun | undefined {
  let points = 0;
  for (const p of order) points += p.block ? p.block.count : (head as PointRun).tsMs.length;
  const sink: PointSink = input.step ? new StepAggregator(input.step, points) : new CopySink(points);
  const mine: SkippedRef[] = [];
  for (const p of order) {
    let run: PointRun;
    if (p.block) {
      try {
        run = p.block.run ?? decodeSeriesView(p.block.payload);
      } catch (err) {
        mine.push(skipOf(spec, p.block.ref, err));
        continue;
      }
      const n = run.tsMs.length;
      if (n !== p.block.count || (n > 0 && (run.tsMs[0] < p.tMinMs || run.tsMs[n - 1] > p.tMaxMs))) return undefined;
    } else {
      run = head as PointRun;
    }
    // Same bounds as clipRun: [clipFromMs, toMs + 1).
    const n = run.tsMs.length;
    const lo = lowerBound(run.tsMs, 0, n, input.clipFromMs);
    const hi = lowerBound(run.tsMs, lo, n, input.toMs + 1);
    if (hi > lo) sink.add(run.tsMs, run.values, lo, hi);
  }
  skipped.push(...mine);
  return sink.finish();
}

/** The general path (overlapping blocks, rewritten points): decode copies, merge in write order. */
function mergeRaw(loaded: LoadedBlock[], head: PointRun | undefined, input: ReadInput, spec: ReadSeriesSpec, skipped: SkippedRef[]): PointRun {
  const runs: PointRun[] = [];
  for (const b of loaded) {
    try {
      // Clip before merging: a block usually covers more than the range.
      runs.push(clipRun(b.run ?? decodeSeries(b.payload), input.clipFromMs, input.toMs));
    } catch (err) {
      skipped.push(skipOf(spec, b.ref, err));
    }
  }
  if (head) runs.push(head);
  const merged = clipRun(mergeRuns(runs), input.clipFromMs, input.toMs);
  // Step outputs are all that leave a worker for an aggregated query; raw answers copy the views
  // so they own their buffers (transferable, and the decoded block is not kept alive).
  return input.step ? aggregateSteps(merged.tsMs, merged.values, input.step) : { tsMs: merged.tsMs.slice(), values: merged.values.slice() };
}

export function skipOf(spec: ReadSeriesSpec, ref: BlockRef, err: unknown): SkippedRef {
  return { blockId: ref.id, seriesId: spec.seriesId, file: ref.file, offset: ref.offset, reason: reasonOf(err) };
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
