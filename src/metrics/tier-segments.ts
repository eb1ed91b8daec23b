// One segment allocator per tier and generation, so retention and compaction can drop whole files:
// raw blocks live in metrics/segments/<day>/, hourly rollups in metrics/hourly/segments/<day>/, daily
// rollups in metrics/daily/segments/<day>/; compaction output goes to a `compacted/` twin of each
// (metrics/compacted/segments/<day>/...), so once a day is compacted the files holding its small
// blocks have no live block left and are deleted whole instead of keeping dead bytes.
// Index rows store the path relative to metrics/ (prefix included).
import path from 'node:path';
import { SegmentAllocator } from '../storage/segments.js';

/** Index = tier * 2 + generation (0 = sealed from heads, 1 = compaction output). */
const PREFIXES = ['', 'compacted/', 'hourly/', 'hourly/compacted/', 'daily/', 'daily/compacted/'] as const;

export interface TierSegmentFile {
  /** Relative to the metrics root, '/' separated. */
  file: string;
  tier: number;
  bytes: number;
}

export class TierSegments {
  private constructor(private readonly allocators: SegmentAllocator[]) {}

  static async open(root: string, maxSegmentBytes: number): Promise<TierSegments> {
    const allocators = await Promise.all(
      PREFIXES.map((p) => SegmentAllocator.open(p === '' ? root : path.join(root, p), { maxSegmentBytes })),
    );
    return new TierSegments(allocators);
  }

  allocate(tier: number, dayKey: string, bytes: number, compacted = false): { file: string; offset: number } {
    const k = tier * 2 + (compacted ? 1 : 0);
    const { file, offset } = this.allocators[k].allocate(dayKey, bytes);
    return { file: PREFIXES[k] + file, offset };
  }

  files(): TierSegmentFile[] {
    return this.allocators.flatMap((a, k) => a.files().map((f) => ({ file: PREFIXES[k] + f.file, tier: k >> 1, bytes: f.bytes })));
  }

  private locate(file: string): { a: SegmentAllocator; local: string } {
    // Longest prefix first ('hourly/compacted/' before 'hourly/').
    const order = PREFIXES.map((p, k) => [p, k] as const).sort((x, y) => y[0].length - x[0].length);
    for (const [p, k] of order) {
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
