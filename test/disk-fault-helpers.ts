// Helpers of the disk-fault tests: a small tmpfs as the data directory (so ENOSPC is real, from the
// kernel, on whichever write comes next), a filler file that takes its free space and gives it back,
// and one writer/reader per engine so each test runs unchanged against metrics, logs and spans.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Timeless } from '../src/store.js';

export type Engine = 'metrics' | 'logs' | 'traces';
export const ENGINES: Engine[] = ['metrics', 'logs', 'traces'];

/** Why a tmpfs cannot be mounted here (not root, no CAP_SYS_ADMIN, no mount binary), or undefined. */
export function tmpfsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `tmpfs mounts need Linux (platform ${process.platform})`;
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'timeless-tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `cannot mount a tmpfs (${(err as Error).message.split('\n')[0]}); the disk-full tests need root or CAP_SYS_ADMIN`;
  } finally {
    fs.rmdirSync(probe);
  }
}

export interface SmallDisk {
  /** The mount point. */
  dir: string;
  /** Takes every free byte (a filler file written until ENOSPC). */
  fill(): void;
  /** Deletes the filler: the space is back. */
  free(): void;
  unmount(): void;
}

export function mountSmallDisk(sizeBytes: number): SmallDisk {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'timeless-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir], { stdio: 'pipe' });
  const filler = path.join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = fs.openSync(filler, 'a');
      try {
        // Big pieces first, then pages, so not even a page is left.
        for (const piece of [Buffer.alloc(1024 * 1024), Buffer.alloc(4096)]) {
          for (;;) {
            try {
              fs.writeSync(fd, piece);
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw err;
            }
          }
        }
      } finally {
        fs.closeSync(fd);
      }
    },
    free() {
      fs.rmSync(filler, { force: true });
    },
    unmount() {
      execFileSync('umount', [dir], { stdio: 'pipe' });
      fs.rmdirSync(dir);
    },
  };
}

export const T0_MS = Date.UTC(2024, 0, 1);
const T0_NS = BigInt(T0_MS) * 1_000_000n;

/**
 * Writes `n` items tagged `tag` (item i at T0 + base + i ms) to one engine. Items are a few hundred
 * bytes each in the WAL, so a batch of a few thousand needs fresh pages of the disk (a write that
 * fits in the last, partly used page of a file would not see ENOSPC).
 */
export function writeItems(tl: Timeless, engine: Engine, tag: string, n: number, base: number): void {
  if (engine === 'metrics') {
    tl.metrics.writeBatch(Array.from({ length: n }, (_, i) => ({ name: `m_${tag}`, labels: { i: String(i % 50) }, value: base + i, tsMs: T0_MS + base + i })));
  } else if (engine === 'logs') {
    tl.logs.writeBatch(Array.from({ length: n }, (_, i) => ({ tsMs: T0_MS + base + i, message: `${tag} item ${base + i}`, attributes: { tag, n: base + i } })));
  } else {
    const tagHex = Buffer.from(tag.padEnd(4, '_').slice(0, 4)).toString('hex');
    tl.traces.write(
      Array.from({ length: n }, (_, i) => {
        const startNs = T0_NS + BigInt(base + i) * 1_000_000n;
        return { traceId: tagHex + (base + i).toString(16).padStart(24, '0'), spanId: (base + i + 1).toString(16).padStart(16, '0'), name: `op_${tag}`, startNs, endNs: startNs + 1000n, attributes: { n: base + i } };
      }),
    );
  }
}

/** The items of `tag` the engine answers with, as sorted "time=value" strings (exact comparison). */
export async function readItems(tl: Timeless, engine: Engine, tag: string): Promise<string[]> {
  const out: string[] = [];
  if (engine === 'metrics') {
    for (const s of await tl.metrics.query({ name: `m_${tag}`, fromMs: T0_MS, toMs: T0_MS + 10_000_000 })) {
      for (let i = 0; i < s.values.length; i++) out.push(`${s.tsMs[i] - T0_MS}=${s.values[i]}`);
    }
  } else if (engine === 'logs') {
    const q = { tokens: [tag], fromMs: T0_MS, toMs: T0_MS + 10_000_000, limit: 10_000 };
    for await (const page of tl.logs.stream(q)) {
      for (const e of page.entries) out.push(`${Number(e.tsNs / 1_000_000n) - T0_MS}=${e.message}|${String(e.attributes.n)}`);
    }
  } else {
    let cursor: string | undefined;
    do {
      const r = await tl.traces.query({ name: `op_${tag}`, fromMs: T0_MS, toMs: T0_MS + 10_000_000, limit: 10_000, cursor });
      for (const s of r.spans) out.push(`${Number((s.startNs - T0_NS) / 1_000_000n)}=${s.spanId}|${s.endNs - s.startNs}|${String(s.attributes.n)}`);
      cursor = r.cursor;
    } while (cursor !== undefined);
  }
  return out.sort();
}

/** What readItems answers for items written by writeItems(tag, n, base). */
export function expectedItems(engine: Engine, tag: string, n: number, base: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const k = base + i;
    if (engine === 'metrics') return `${k}=${k}`;
    if (engine === 'logs') return `${k}=${tag} item ${k}|${k}`;
    return `${k}=${(k + 1).toString(16).padStart(16, '0')}|1000|${k}`;
  }).sort();
}

/** Seals what the engine holds in memory into segment blocks (committed in index.db). */
export function sealNow(tl: Timeless, engine: Engine): Promise<void> {
  return engine === 'metrics' ? tl.metrics.checkpoint() : tl[engine].sealNow();
}

/** Store options without background timers: every write to disk happens when the test asks. */
export function quietEngines(log: (message: string) => void) {
  return {
    runtimeMetrics: false,
    pool: { threads: 1 },
    metrics: { autoFlushMs: 0, compactIntervalMs: 0, log },
    logs: { sealIntervalMs: 0, compactIntervalMs: 0, compaction: false, log },
    traces: { sealIntervalMs: 0, compactIntervalMs: 0, compaction: false, log },
  } as const;
}

/** What a promise rejected with; fails when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}
