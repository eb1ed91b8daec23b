// Segment allocators by generation, so retention and compaction can drop whole files: blocks sealed
// from the write path live in <root>/segments/<day>/, compaction output in <root>/compacted/segments/
// <day>/. Once a day's small blocks are merged, the files that held them have no live block left and
// are deleted whole instead of keeping dead bytes. Paths handed out (and stored in an index) are
// relative to <root>, generation prefix included. Signal-agnostic (logs today, spans next).
import path from 'node:path';
import { SegmentAllocator } from './segments.js';

const PREFIXES = ['', 'compacted/'] as const;

export interface SegmentSetFile {
  /** Relative to the engine root, '/' separated. */
  file: string;
  /** Allocated bytes. */
  bytes: number;
  /** Not its day's active file. */
  sealed: boolean;
}

export class SegmentSet {
  private constructor(private readonly allocators: SegmentAllocator[]) {}

  static async open(root: string, maxSegmentBytes: number): Promise<SegmentSet> {
    const allocators = await Promise.all(PREFIXES.map((p) => SegmentAllocator.open(p === '' ? root : path.join(root, p), { maxSegmentBytes })));
    return new SegmentSet(allocators);
  }

  allocate(dayKey: string, bytes: number, compacted = false): { file: string; offset: number } {
    const k = compacted ? 1 : 0;
    const { file, offset } = this.allocators[k].allocate(dayKey, bytes);
    return { file: PREFIXES[k] + file, offset };
  }

  files(): SegmentSetFile[] {
    return this.allocators.flatMap((a, k) => a.files().map((f) => ({ file: PREFIXES[k] + f.file, bytes: f.bytes, sealed: f.sealed })));
  }

  private locate(file: string): { a: SegmentAllocator; local: string } {
    if (file.startsWith(PREFIXES[1])) return { a: this.allocators[1], local: file.slice(PREFIXES[1].length) };
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
