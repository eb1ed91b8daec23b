// Segment allocators by tier and generation, so retention and compaction can drop whole files:
// blocks sealed from the write path live in <root>/<tier>segments/<day>/, compaction output in a
// `compacted/` twin (<root>/<tier>compacted/segments/<day>/). Once a day's small blocks are merged,
// the files that held them have no live block left and are deleted whole instead of keeping dead
// bytes. Tiers are optional subdirectories (metrics: '' raw, 'hourly/', 'daily/' rollups; logs: just
// ''). Paths handed out (and stored in an index) are relative to <root>, prefixes included.
// Signal-agnostic: metrics, logs and spans share it.
import path from 'node:path';
import { SegmentAllocator } from './segments.js';

export interface SegmentSetFile {
  /** Relative to the engine root, '/' separated. */
  file: string;
  /** Index into the tiers the set was opened with (0 when it has one). */
  tier: number;
  /** Allocated bytes. */
  bytes: number;
  /** Not its day's active file. */
  sealed: boolean;
}

export class SegmentSet {
  /** Longest prefix first ('hourly/compacted/' before 'hourly/'), '' (the root) last. */
  private readonly byPrefixLength: ReadonlyArray<readonly [string, number]>;

  /** allocators[k] and prefixes[k]: k = tier * 2 + generation (0 = write path, 1 = compaction output). */
  private constructor(
    private readonly prefixes: readonly string[],
    private readonly allocators: SegmentAllocator[],
  ) {
    this.byPrefixLength = prefixes.map((p, k) => [p, k] as const).sort((x, y) => y[0].length - x[0].length);
  }

  /** `tiers`: directory prefix of each tier relative to `root` ('' or ending in '/'). */
  static async open(root: string, maxSegmentBytes: number, tiers: readonly string[] = ['']): Promise<SegmentSet> {
    const prefixes = tiers.flatMap((t) => [t, `${t}compacted/`]);
    const allocators = await Promise.all(prefixes.map((p) => SegmentAllocator.open(p === '' ? root : path.join(root, p), { maxSegmentBytes })));
    return new SegmentSet(prefixes, allocators);
  }

  allocate(dayKey: string, bytes: number, compacted = false, tier = 0): { file: string; offset: number } {
    const k = tier * 2 + (compacted ? 1 : 0);
    const { file, offset } = this.allocators[k].allocate(dayKey, bytes);
    return { file: this.prefixes[k] + file, offset };
  }

  files(): SegmentSetFile[] {
    return this.allocators.flatMap((a, k) =>
      a.files().map((f) => ({ file: this.prefixes[k] + f.file, tier: k >> 1, bytes: f.bytes, sealed: f.sealed })),
    );
  }

  private locate(file: string): { a: SegmentAllocator; local: string } {
    for (const [p, k] of this.byPrefixLength) {
      if (p !== '' && file.startsWith(p)) return { a: this.allocators[k], local: file.slice(p.length) };
    }
    return { a: this.allocators[0], local: file };
  }

  /** Forgets the file synchronously (before the returned promise settles), then unlinks it. */
  deleteFile(file: string): Promise<void> {
    const { a, local } = this.locate(file);
    return a.deleteFile(local);
  }

  truncate(file: string, bytes: number): Promise<void> {
    const { a, local } = this.locate(file);
    return a.truncate(local, bytes);
  }
}

/** On open: cut segment tails past the last indexed block, and delete files no block references. */
export async function trimSegmentSet(set: SegmentSet, ends: Map<string, number>): Promise<void> {
  for (const f of set.files()) {
    const end = ends.get(f.file) ?? 0;
    if (end === 0) await set.deleteFile(f.file);
    else if (f.bytes > end) await set.truncate(f.file, end);
  }
}
