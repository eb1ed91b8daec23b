// Segment files under `timeless check`: walks each file's blocks from offset 0 with the storage
// block parser, then verifies every index row against what the walk found.
//
// Classification (why): the store, on open, cuts every segment back to the end of its last indexed
// block and deletes files no block references (trimSegmentSet), so bytes past the last indexed block
// are a crash tail, not data: a walk that fails there is a 'torn-tail' warning. A walk that fails
// before it is a 'bad-block' error (the bytes sit between blocks the index relies on). Every index row
// must find a whole valid block at (offset, length); unreferenced valid blocks are 'orphan-blocks'.
// So a changed byte inside any indexed block is always an error at that block's offset; a byte
// "outside any block" (past the last indexed block: a crash tail) is at most a warning.
//
// Memory: one block at a time (header first, then that block's length, which is checked against the
// file size before reading), never a whole segment.
import fs from 'node:fs';
import path from 'node:path';
import { BLOCK_HEADER_BYTES, parseBlock, parseBlockHeader } from '../storage/block.js';
import { readFullySync } from '../storage/fsutil.js';
import { SEGMENTS_DIR } from '../storage/segments.js';
import type { CheckProblem, EngineName } from './check-report.js';

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const FILE_RE = /^(\d{4}-\d{2}-\d{2})-(\d{6,})\.seg$/;

/** A distinct place the index points at. */
export interface IndexedBlock {
  offset: number;
  length: number;
}

export interface SegmentCheck {
  blocks: number;
  bytes: number;
  indexRows: number;
  indexRowsValid: number;
  orphanBlocks: number;
  problems: CheckProblem[];
}

/**
 * Segment files of an engine root, relative with '/': every `<...>/segments/<day>/<day>-<seq>.seg`
 * (metrics tiers and compacted/ and logs staging/ all nest the same layout). The WAL is skipped.
 */
export function listSegmentFiles(root: string): string[] {
  const out: string[] = [];
  const visit = (rel: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const d of entries) {
      const childRel = rel === '' ? d.name : `${rel}/${d.name}`;
      if (d.isDirectory()) {
        if (rel === '' && d.name === 'wal') continue;
        visit(childRel);
      } else if (d.isFile()) {
        const m = FILE_RE.exec(d.name);
        const parts = rel.split('/');
        const day = parts[parts.length - 1];
        if (m && m[1] === day && DAY_RE.test(day) && parts[parts.length - 2] === SEGMENTS_DIR) out.push(childRel);
      }
    }
  };
  visit('');
  return out.sort();
}

/**
 * Walks one segment file and checks the index rows that point into it (`indexed`: sorted by offset,
 * distinct). `indexKnown` false (index unreadable): rows are not checked and nothing is an orphan.
 */
export function checkSegmentFile(
  engine: EngineName,
  root: string,
  file: string,
  indexed: readonly IndexedBlock[],
  indexKnown: boolean,
): SegmentCheck {
  const res: SegmentCheck = { blocks: 0, bytes: 0, indexRows: indexed.length, indexRowsValid: 0, orphanBlocks: 0, problems: [] };
  const problem = (p: Omit<CheckProblem, 'engine' | 'file'>) => res.problems.push({ engine, file, ...p });
  const abs = path.join(root, file);
  let fd: number;
  try {
    fd = fs.openSync(abs, 'r');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    if (missing && indexed.length > 0) {
      problem({ severity: 'error', kind: 'index-bad-row', message: `${indexed.length} index rows point into this segment, but the file is missing` });
    } else if (!missing) {
      problem({ severity: 'error', kind: 'io', message: `cannot open: ${(err as Error).message}` });
    }
    return res;
  }
  try {
    const size = fs.fstatSync(fd).size;
    res.bytes = size;
    const indexedEnd = indexed.reduce((m, b) => Math.max(m, b.offset + b.length), 0);
    const indexedAt = new Map(indexed.map((b) => [b.offset, b.length]));
    /** Offsets the walk found a valid block at → its length. */
    const valid = new Map<number, number>();
    /** Offsets the walk reported a problem at (so a row there is not reported twice). */
    const flagged = new Set<number>();
    let next = 0; // index into `indexed`: first row with offset > pos (for resync)

    let pos = 0;
    while (pos < size) {
      const failure = tryBlockAt(fd, pos, size);
      if (typeof failure === 'number') {
        valid.set(pos, failure);
        res.blocks++;
        pos += failure;
        continue;
      }
      flagged.add(pos);
      const rowHere = indexedAt.has(pos);
      // Without a readable index only a file ending mid-block is plainly a crash tail.
      if (indexKnown ? pos >= indexedEnd && !rowHere : failure.endsPastFile) {
        problem({
          severity: 'warning',
          kind: 'torn-tail',
          offset: pos,
          message: `${size - pos} bytes after the last indexed block are not a valid block (${failure.reason}); ${indexKnown ? 'a crash tail, cut on the next open' : 'looks like a crash tail'}`,
        });
        break;
      }
      // Resync at the next block the index knows, past this one.
      while (next < indexed.length && indexed[next].offset <= pos) next++;
      const resume = next < indexed.length ? indexed[next].offset : size;
      const torn = failure.endsPastFile && resume >= size;
      problem({
        severity: 'error',
        kind: torn ? 'torn-tail' : 'bad-block',
        offset: pos,
        message:
          `${failure.reason}` +
          (torn ? '; the file ends inside an indexed block' : resume < size ? `; skipped ${resume - pos} bytes to the next indexed block at ${resume}` : '; rest of the file skipped'),
      });
      pos = resume;
    }

    if (!indexKnown) return res;
    for (const row of indexed) {
      const walked = valid.get(row.offset);
      if (walked === row.length) {
        res.indexRowsValid++;
        continue;
      }
      if (row.offset + row.length > size) {
        problem({
          severity: 'error',
          kind: 'index-past-eof',
          offset: row.offset,
          message: `index row (offset ${row.offset}, length ${row.length}) ends at ${row.offset + row.length}, past the end of the ${size}-byte file`,
        });
        continue;
      }
      if (walked !== undefined) {
        problem({ severity: 'error', kind: 'index-bad-row', offset: row.offset, message: `index row says length ${row.length}, the block there is ${walked} bytes` });
        continue;
      }
      // Not a block start the walk reached (e.g. inside a skipped region): check the bytes directly.
      try {
        parseBlock(readFullySync(fd, row.length, row.offset));
        res.indexRowsValid++;
      } catch (err) {
        if (flagged.has(row.offset)) continue; // the walk already reported this block
        problem({ severity: 'error', kind: 'index-bad-row', offset: row.offset, message: `index row (length ${row.length}) does not point at a valid block: ${errMessage(err)}` });
      }
    }

    let orphanBytes = 0;
    let firstOrphan: number | undefined;
    for (const [offset, length] of valid) {
      if (indexedAt.has(offset)) continue;
      res.orphanBlocks++;
      orphanBytes += length;
      firstOrphan ??= offset;
    }
    if (res.orphanBlocks > 0) {
      problem({
        severity: 'warning',
        kind: 'orphan-blocks',
        offset: firstOrphan,
        message: `${res.orphanBlocks} valid blocks (${orphanBytes} bytes) no index row references; left by compaction or a crash until GC`,
      });
    }
    return res;
  } catch (err) {
    problem({ severity: 'error', kind: 'io', message: `read failed: ${errMessage(err)}` });
    return res;
  } finally {
    fs.closeSync(fd);
  }
}

interface BlockFailure {
  reason: string;
  /** The header parsed but its length runs past the end of the file (what a torn write looks like). */
  endsPastFile: boolean;
}

/** The length of the valid block at `pos`, or why there is none. */
function tryBlockAt(fd: number, pos: number, size: number): number | BlockFailure {
  const rest = size - pos;
  if (rest < BLOCK_HEADER_BYTES) {
    return { reason: `file ends ${rest} bytes into a block header`, endsPastFile: true };
  }
  const head = readFullySync(fd, BLOCK_HEADER_BYTES, pos);
  let length: number;
  try {
    length = BLOCK_HEADER_BYTES + parseBlockHeader(head).payloadBytes;
  } catch (err) {
    return { reason: errMessage(err), endsPastFile: false };
  }
  if (length > rest) {
    return { reason: `block header says ${length} bytes, but the file ends ${rest} bytes after its start`, endsPastFile: true };
  }
  try {
    parseBlock(readFullySync(fd, length, pos));
  } catch (err) {
    return { reason: errMessage(err), endsPastFile: false };
  }
  return length;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message.replace(/^CORRUPT_BLOCK: /, '') : String(err);
}
