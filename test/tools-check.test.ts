// `timeless check` (issue #9) against real data directories: a store writes metrics (raw + hourly +
// daily tiers, compacted), logs and spans and closes; each test checks a copy of that directory after
// one deliberate corruption and asserts the report names the engine, file, offset and kind.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Timeless } from '../src/store.js';
import { scanBlocks } from '../src/storage/block.js';
import { Wal } from '../src/storage/wal.js';
import { checkDataDir, runCheck, type CheckReport } from '../src/tools/check.js';
import type { EngineName } from '../src/tools/check-report.js';
import { listSegmentFiles } from '../src/tools/check-segments.js';
import { tempDir } from './metrics-helpers.js';

const ENGINES: EngineName[] = ['metrics', 'logs', 'spans'];
const DAY_MS = 86_400_000;
let template: { dir: string; remove: () => void };
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

beforeAll(async () => {
  template = tempDir('check-template');
  const tl = await Timeless.open({ dataDir: template.dir, pool: { threads: 1 }, runtimeMetrics: false, retention: { intervalSec: 0 } });
  const nowMs = Date.now();
  const baseMs = nowMs - 3 * DAY_MS;
  // 60 hours of points over 3 days: raw blocks, then hourly and daily rollups after compaction.
  for (let h = 0; h < 60; h++) {
    for (let i = 0; i < 20; i++) tl.metrics.write('req_total', { route: `/r${i % 3}` }, h * 100 + i, baseMs + h * 3_600_000 + i * 1000);
  }
  await tl.metrics.flush();
  await tl.metrics.compactNow();
  // Two sealed batches each: segments with more than one block.
  for (let batch = 0; batch < 2; batch++) {
    for (let i = 0; i < 300; i++) {
      tl.logs.write({ tsMs: nowMs - 10_000 + batch * 1000 + i, level: 'info', message: `hello ${batch} ${i}`, attributes: { k: String(i % 7) } });
      tl.traces.write({
        traceId: (batch * 1000 + (i % 50)).toString(16).padStart(32, '1'),
        spanId: (batch * 1000 + i + 1).toString(16).padStart(16, '2'),
        name: `op${i % 4}`,
        startMs: nowMs - 10_000 + batch * 1000 + i,
        endMs: nowMs - 10_000 + batch * 1000 + i + 5,
      });
    }
    await tl.logs.flush();
    await tl.traces.flush();
    await tl.logs.sealNow();
    await tl.traces.sealNow();
  }
  await tl.close();
});
afterAll(() => template?.remove());

/** A fresh copy of the template data directory, removed after the test. */
function copyDir(): string {
  const t = tempDir('check');
  fs.cpSync(template.dir, t.dir, { recursive: true });
  cleanups.push(t.remove);
  return t.dir;
}

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCheck(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

async function runJson(dir: string): Promise<{ code: number; report: CheckReport }> {
  const r = await run(['--data-dir', dir, '--json']);
  return { code: r.code, report: JSON.parse(r.out.join('\n')) as CheckReport };
}

/** Distinct (offset, length) the index points at in `file`, read straight from index.db. */
function indexedBlocks(dir: string, engine: EngineName, file: string): Array<{ offset: number; length: number }> {
  const db = new Database(path.join(dir, engine, 'index.db'), { readonly: true });
  try {
    return db
      .prepare('SELECT DISTINCT b."offset" AS offset, b.length AS length FROM blocks b JOIN segments s ON s.id = b.segment_id WHERE s.path = ? ORDER BY 1')
      .all(file) as Array<{ offset: number; length: number }>;
  } finally {
    db.close();
  }
}

function flipByte(abs: string, pos: number, mask = 0x5a): void {
  const fd = fs.openSync(abs, 'r+');
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, pos);
    b[0] ^= mask;
    fs.writeSync(fd, b, 0, 1, pos);
  } finally {
    fs.closeSync(fd);
  }
}

const problemsOf = (r: CheckReport, engine: EngineName) => r.engines.find((e) => e.engine === engine)!.problems;

/** Opens a WAL in `engine/wal` and writes `frames` frames of a few records each (as a crashed store leaves them). */
async function writeWalFrames(dir: string, engine: EngineName, frames: number): Promise<string> {
  const { wal } = await Wal.open({ dir: path.join(dir, engine, 'wal') });
  for (let f = 0; f < frames; f++) {
    for (let r = 0; r < 3; r++) wal.append(new TextEncoder().encode(`frame ${f} record ${r} ${'x'.repeat(20 * r)}`));
    await wal.sync();
  }
  const file = wal.files().at(-1)!.path;
  await wal.close();
  return file;
}

describe('timeless check: clean data', () => {
  it('exits 0 and counts files, blocks, bytes and index rows of every engine', async () => {
    const dir = copyDir();
    const { code, report } = await runJson(dir);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.errors).toBe(0);
    for (const e of report.engines) {
      expect(e.present).toBe(true);
      expect(e.segmentFiles, e.engine).toBeGreaterThan(0);
      expect(e.blocks, e.engine).toBeGreaterThan(0);
      expect(e.segmentBytes, e.engine).toBeGreaterThan(0);
      expect(e.indexRows, e.engine).toBeGreaterThan(0);
      expect(e.indexRowsValid, e.engine).toBe(e.indexRows);
      expect(e.indexIntegrityOk, e.engine).toBe(true);
    }
    // The metrics tiers all have segments.
    const metricsFiles = listSegmentFiles(path.join(dir, 'metrics'));
    for (const tier of ['hourly/', 'daily/']) expect(metricsFiles.some((f) => f.startsWith(tier)), tier).toBe(true);
    const human = await run(['--data-dir', dir]);
    expect(human.code).toBe(0);
    expect(human.out.join('\n')).toMatch(/^OK: no errors/m);
  });
});

describe('timeless check: corrupt segments', () => {
  for (const engine of ENGINES) {
    it(`finds a flipped byte inside a ${engine} block (engine, file, offset)`, async () => {
      const dir = copyDir();
      const file = listSegmentFiles(path.join(dir, engine))[0];
      const blocks = indexedBlocks(dir, engine, file);
      const target = blocks[blocks.length - 1];
      flipByte(path.join(dir, engine, file), target.offset + Math.floor(target.length / 2));
      const { code, report } = await runJson(dir);
      expect(code).toBe(1);
      const errors = problemsOf(report, engine).filter((p) => p.severity === 'error');
      expect(errors.map((p) => [p.kind, p.file, p.offset])).toContainEqual(['bad-block', file, target.offset]);
      expect(errors.find((p) => p.offset === target.offset)!.message).toMatch(/crc mismatch/);
      for (const other of ENGINES.filter((e) => e !== engine)) expect(problemsOf(report, other)).toEqual([]);
      const human = await run(['--data-dir', dir]);
      expect(human.code).toBe(1);
      expect(human.out.join('\n')).toContain(`ERROR bad-block ${engine}/${file} @${target.offset}`);
    });
  }

  it('reports a flipped header length as an error, not as a torn tail', async () => {
    const dir = copyDir();
    const file = listSegmentFiles(path.join(dir, 'logs'))[0];
    const [first] = indexedBlocks(dir, 'logs', file);
    flipByte(path.join(dir, 'logs', file), first.offset + 35, 0x40); // high byte of payloadBytes: far past EOF
    const { code, report } = await runJson(dir);
    expect(code).toBe(1);
    expect(problemsOf(report, 'logs')).toContainEqual(expect.objectContaining({ severity: 'error', file, offset: first.offset }));
  });

  it('reports a segment cut inside its last indexed block as a torn tail and the index row past EOF', async () => {
    const dir = copyDir();
    const file = listSegmentFiles(path.join(dir, 'spans'))[0];
    const blocks = indexedBlocks(dir, 'spans', file);
    const last = blocks[blocks.length - 1];
    fs.truncateSync(path.join(dir, 'spans', file), last.offset + last.length - 7);
    const { code, report } = await runJson(dir);
    expect(code).toBe(1);
    const kinds = problemsOf(report, 'spans').map((p) => [p.severity, p.kind, p.file, p.offset]);
    expect(kinds).toContainEqual(['error', 'torn-tail', file, last.offset]);
    expect(kinds).toContainEqual(['error', 'index-past-eof', file, last.offset]);
  });

  it('reports bytes past the last indexed block as a torn-tail warning (cut on open), exit 0', async () => {
    const dir = copyDir();
    const file = listSegmentFiles(path.join(dir, 'metrics'))[0];
    const abs = path.join(dir, 'metrics', file);
    const size = fs.statSync(abs).size;
    fs.appendFileSync(abs, Buffer.from('TBLK\x01partial block of a crash'));
    const { code, report } = await runJson(dir);
    expect(code).toBe(0);
    expect(problemsOf(report, 'metrics')).toEqual([expect.objectContaining({ severity: 'warning', kind: 'torn-tail', file, offset: size })]);
  });

  it('reports valid blocks no index row references as orphans (warning)', async () => {
    const dir = copyDir();
    const file = listSegmentFiles(path.join(dir, 'logs'))[0];
    const blocks = indexedBlocks(dir, 'logs', file);
    expect(blocks.length).toBeGreaterThan(1);
    const last = blocks[blocks.length - 1];
    const db = new Database(path.join(dir, 'logs', 'index.db'));
    db.prepare('DELETE FROM blocks WHERE "offset" = ? AND segment_id = (SELECT id FROM segments WHERE path = ?)').run(blocks[0].offset, file);
    db.close();
    const { code, report } = await runJson(dir);
    expect(code).toBe(0);
    expect(problemsOf(report, 'logs')).toEqual([expect.objectContaining({ severity: 'warning', kind: 'orphan-blocks', file, offset: blocks[0].offset })]);
    expect(report.engines.find((e) => e.engine === 'logs')!.orphanBlocks).toBe(1);
    expect(last.offset).toBeGreaterThan(blocks[0].offset);
  });
});

describe('timeless check: indexes', () => {
  it('reports an index row pointing past the end of its segment', async () => {
    const dir = copyDir();
    const file = listSegmentFiles(path.join(dir, 'metrics'))[0];
    const size = fs.statSync(path.join(dir, 'metrics', file)).size;
    const [first] = indexedBlocks(dir, 'metrics', file);
    const db = new Database(path.join(dir, 'metrics', 'index.db'));
    db.prepare('UPDATE blocks SET "offset" = ? WHERE "offset" = ? AND segment_id = (SELECT id FROM segments WHERE path = ?)').run(size + 100, first.offset, file);
    db.close();
    const { code, report } = await runJson(dir);
    expect(code).toBe(1);
    expect(problemsOf(report, 'metrics')).toContainEqual(expect.objectContaining({ severity: 'error', kind: 'index-past-eof', file, offset: size + 100 }));
  });

  it('reports a corrupt index.db page via integrity_check', async () => {
    const dir = copyDir();
    const dbFile = path.join(dir, 'spans', 'index.db');
    const header = Buffer.alloc(18);
    const fd = fs.openSync(dbFile, 'r+');
    fs.readSync(fd, header, 0, 18, 0);
    const raw = header.readUInt16BE(16);
    const pageBytes = raw === 1 ? 65536 : raw;
    expect(fs.statSync(dbFile).size).toBeGreaterThanOrEqual(3 * pageBytes);
    fs.writeSync(fd, Buffer.alloc(pageBytes, 0xa5), 0, pageBytes, pageBytes); // page 2
    fs.closeSync(fd);
    const { code, report } = await runJson(dir);
    expect(code).toBe(1);
    const spans = report.engines.find((e) => e.engine === 'spans')!;
    expect(spans.indexIntegrityOk).toBe(false);
    expect(spans.problems).toContainEqual(expect.objectContaining({ severity: 'error', kind: 'index-corrupt', file: 'index.db' }));
  });
});

describe('timeless check: WAL', () => {
  it('counts valid frames and reports a corrupt frame in the middle as an error', async () => {
    const dir = copyDir();
    const framesBefore = (await runJson(dir)).report.engines.find((e) => e.engine === 'metrics')!.walFrames;
    const walFile = await writeWalFrames(dir, 'metrics', 3);
    const clean = await runJson(dir);
    expect(clean.code).toBe(0);
    expect(clean.report.engines.find((e) => e.engine === 'metrics')!.walFrames).toBe(framesBefore + 3);
    flipByte(walFile, 12 + 5); // inside the first frame's payload
    const { code, report } = await runJson(dir);
    expect(code).toBe(1);
    const rel = `wal/${path.basename(walFile)}`;
    expect(problemsOf(report, 'metrics')).toEqual([expect.objectContaining({ severity: 'error', kind: 'wal-bad-frame', file: rel, offset: 0 })]);
  });

  it('reports a torn final frame of the last WAL file as info (truncated on open), exit 0', async () => {
    const dir = copyDir();
    const walFile = await writeWalFrames(dir, 'logs', 3);
    const size = fs.statSync(walFile).size;
    fs.truncateSync(walFile, size - 3);
    const { code, report } = await runJson(dir);
    expect(code).toBe(0);
    const [p] = problemsOf(report, 'logs');
    expect(p).toMatchObject({ severity: 'info', kind: 'wal-torn-tail', file: `wal/${path.basename(walFile)}` });
    expect(p.message).toMatch(/truncated on open/);
    expect(report.engines.find((e) => e.engine === 'logs')!.walFiles).toBeGreaterThan(0);
  });

  it('reports a torn frame in an older WAL file as an error', async () => {
    const dir = copyDir();
    const older = await writeWalFrames(dir, 'spans', 2);
    await writeWalFrames(dir, 'spans', 1); // a newer file: `older` is no longer the last
    fs.truncateSync(older, fs.statSync(older).size - 3);
    const { code, report } = await runJson(dir);
    expect(code).toBe(1);
    expect(problemsOf(report, 'spans')).toEqual([expect.objectContaining({ severity: 'error', kind: 'wal-bad-frame', file: `wal/${path.basename(older)}` })]);
  });
});

describe('timeless check: refusals and usage', () => {
  it('refuses a data directory a running store holds (exit 1)', async () => {
    const dir = copyDir();
    const tl = await Timeless.open({ dataDir: dir, pool: { threads: 1 }, runtimeMetrics: false, retention: { intervalSec: 0 } });
    cleanups.push(() => tl.close());
    const r = await run(['--data-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.out).toEqual([]);
    expect(r.err.join('\n')).toMatch(/refusing to check .* in use by a running store/);
    expect(() => checkDataDir(dir)).toThrow(/DATA_DIR_LOCKED/);
  });

  it('releases its own lock: a store opens the directory afterwards', async () => {
    const dir = copyDir();
    expect((await run(['--data-dir', dir])).code).toBe(0);
    const tl = await Timeless.open({ dataDir: dir, pool: { threads: 1 }, runtimeMetrics: false, retention: { intervalSec: 0 } });
    await tl.close();
  });

  it('exits 2 on usage errors', async () => {
    const empty = tempDir('check-empty');
    cleanups.push(empty.remove);
    const cases: Array<[string[], RegExp]> = [
      [[], /--data-dir is required/],
      [['--data-dir'], /--data-dir needs a directory/],
      [['--data-dir', template.dir, '--frobnicate'], /unknown argument '--frobnicate'/],
      [['--data-dir', path.join(empty.dir, 'nope')], /does not exist/],
      [['--data-dir', empty.dir], /not a Timeless data directory/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.join('\n'), args.join(' ')).toMatch(message);
      expect(r.err.join('\n')).toMatch(/usage: timeless check/);
    }
    expect(fs.readdirSync(empty.dir)).toEqual([]); // no LOCK file left in a non-data directory
  });
});

/** mulberry32: a seeded PRNG, so a failing case replays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('timeless check: property', () => {
  // "Inside a block" = inside [offset, offset + length) of a block some index row references; every
  // other byte (here: a garbage tail appended to one segment, past its last indexed block, which the
  // store cuts on open) is "outside any block": check must then finish without an error.
  it('a random flipped byte in a random segment is an error in that file at that block, unless outside every indexed block', async () => {
    const seed = Number(process.env.CHECK_PROPERTY_SEED ?? 0x9e3779b9);
    const rand = rng(seed);
    const segments = ENGINES.flatMap((engine) => listSegmentFiles(path.join(template.dir, engine)).map((file) => ({ engine, file })));
    let inside = 0;
    let outside = 0;
    for (let iter = 0; iter < 60; iter++) {
      const dir = copyDir();
      // One segment per iteration gets a garbage tail so some flips land outside every block.
      const seg = segments[Math.floor(rand() * segments.length)];
      const abs = path.join(dir, seg.engine, seg.file);
      if (rand() < 0.5) fs.appendFileSync(abs, Buffer.alloc(1 + Math.floor(rand() * fs.statSync(abs).size * 0.5), 0x33));
      const size = fs.statSync(abs).size;
      const pos = Math.floor(rand() * size);
      flipByte(abs, pos, 1 + Math.floor(rand() * 255));
      const block = indexedBlocks(dir, seg.engine, seg.file).find((b) => pos >= b.offset && pos < b.offset + b.length);
      const where = `seed ${seed} iter ${iter}: ${seg.engine}/${seg.file} byte ${pos}`;
      const report = checkDataDir(dir);
      const errors = problemsOf(report, seg.engine).filter((p) => p.severity === 'error');
      if (block) {
        inside++;
        expect(report.ok, where).toBe(false);
        expect(errors.some((p) => p.file === seg.file && p.offset === block.offset), where).toBe(true);
      } else {
        outside++;
        expect(report.ok, where).toBe(true);
      }
      for (const other of ENGINES.filter((e) => e !== seg.engine)) expect(problemsOf(report, other), where).toEqual([]);
      await cleanups.pop()!();
    }
    expect(inside).toBeGreaterThan(0);
    expect(outside).toBeGreaterThan(0);
  });
});

describe('timeless check: as a child process (built dist)', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const built = path.join(root, 'dist', 'src', 'tools', 'check.js');
  it.skipIf(!fs.existsSync(built))('exits 0 on a clean copy and 1 after a flipped byte', async () => {
    const dir = copyDir();
    const script = `import(${JSON.stringify(built)}).then(m => m.runCheck(process.argv.slice(1), {out: console.log, err: console.error})).then(c => process.exit(c))`;
    const exec = async (args: string[]) => {
      try {
        const r = await promisify(execFile)(process.execPath, ['-e', script, '--', ...args]);
        return { code: 0, stdout: r.stdout };
      } catch (err) {
        const e = err as { code: number; stdout: string };
        return { code: e.code, stdout: e.stdout };
      }
    };
    expect((await exec(['--data-dir', dir])).code).toBe(0);
    const file = listSegmentFiles(path.join(dir, 'logs'))[0];
    const [first] = indexedBlocks(dir, 'logs', file);
    flipByte(path.join(dir, 'logs', file), first.offset + first.length - 1);
    const bad = await exec(['--data-dir', dir]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`ERROR bad-block logs/${file} @${first.offset}`);
    expect((await exec(['--bogus'])).code).toBe(2);
  });

  const storeJs = path.join(root, 'dist', 'src', 'store.js');
  it.skipIf(!fs.existsSync(storeJs))('checks a directory a SIGKILLed store left (stale lock, unsynced index.db-wal, WAL frames): no errors', async () => {
    const t = tempDir('check-crash');
    cleanups.push(t.remove);
    const script = `
      const { Timeless } = await import(${JSON.stringify(storeJs)});
      const tl = await Timeless.open({ dataDir: process.argv[1], pool: { threads: 1 }, runtimeMetrics: false });
      const nowMs = Date.now();
      for (let i = 0; i < 500; i++) tl.logs.write({ tsMs: nowMs - 5000 + i, message: 'sealed ' + i });
      await tl.logs.flush();
      await tl.logs.sealNow();
      for (let i = 0; i < 200; i++) tl.logs.write({ tsMs: nowMs + i, message: 'only in the WAL ' + i });
      await tl.logs.flush();
      process.kill(process.pid, 'SIGKILL');`;
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, t.dir]).catch((err: { signal?: string }) => {
      if (err.signal !== 'SIGKILL') throw err;
    });
    expect(fs.existsSync(path.join(t.dir, 'LOCK'))).toBe(true);
    const { code, report } = await runJson(t.dir);
    expect(code).toBe(0);
    const logs = report.engines.find((e) => e.engine === 'logs')!;
    expect(logs.blocks).toBeGreaterThan(0);
    expect(logs.indexRowsValid).toBe(logs.indexRows);
    expect(logs.walFrames).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(t.dir, 'LOCK'))).toBe(false); // the dead owner's lock was taken over, then released
  });
});
