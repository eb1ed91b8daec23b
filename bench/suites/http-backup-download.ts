// http.backupDownload: a store of >= 1 GiB on disk (64 MiB with --quick; bench/lib/http-fill.ts),
// served by a child process; the bench POSTs /api/v1/backup (a real tl.backup() in the child), then
// downloads GET /api/v1/backup/:name/download over loopback while sampling the child's VmRSS every
// 20 ms. The number that matters is the RSS growth: the .tar.gz is streamed from disk, so it must stay
// flat (target < 50 MB) however big the backup is. The archive is checked to the end: it must gunzip
// to the length of the tar the backup directory makes.
// The store is random text in RAW log blocks (see http-fill.ts), which Huffman coding still shrinks by
// ~25%, so every byte goes through it: MB/s here is the server's Huffman-only deflate. A compacted
// store is mostly incompressible blocks, which the server stores in the gzip stream instead
// (src/server/tar.ts) at several hundred MB/s.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { entryHeader, TAR_BLOCK, trailer, walkTree } from '../../src/server/tar.js';
import { startServerChild, RssSampler, type ServerChild } from '../lib/http-child.js';
import { fillStore, openFillStore } from '../lib/http-fill.js';
import { round } from '../lib/stats.js';
import { makeTempDir, removeTempDir } from '../lib/temp-dirs.js';
import type { SuiteContext, SuiteOutput } from '../lib/report.js';

const MB = 2 ** 20;

/** Length of the tar stream the server makes of `dir` (headers, padded contents, trailer). */
async function expectedTarBytes(dir: string, prefix: string): Promise<number> {
  let n = 0;
  for await (const e of walkTree(dir, prefix)) {
    n += entryHeader(e).length;
    if (e.type === 'file') n += Math.ceil(e.size / TAR_BLOCK) * TAR_BLOCK;
  }
  return n + trailer(n).length;
}

interface Download {
  /** Bytes received (the .tar.gz). */
  bytes: number;
  /** Bytes they gunzip to (the tar). */
  tarBytes: number;
  seconds: number;
}

/**
 * Downloads and gunzips on the fly (zlib in the client's thread pool: inflating costs a fraction of
 * the server's deflate), so the check covers every gzip member and the archive's full length.
 */
async function download(url: string): Promise<Download> {
  const t0 = performance.now();
  const res = await fetch(url);
  if (res.status !== 200 || !res.body) throw new Error(`download answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  let bytes = 0;
  let tarBytes = 0;
  await pipeline(
    Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>),
    async function* (src: AsyncIterable<Buffer>) {
      for await (const chunk of src) {
        bytes += chunk.byteLength;
        yield chunk;
      }
    },
    zlib.createGunzip(),
    async (src: AsyncIterable<Buffer>) => {
      for await (const chunk of src) tarBytes += chunk.byteLength;
    },
  );
  return { bytes, tarBytes, seconds: (performance.now() - t0) / 1000 };
}

export async function runHttpBackupDownload(ctx: SuiteContext): Promise<SuiteOutput> {
  const targetBytes = ctx.quick ? 64 * MB : 2 ** 30;
  const dataDir = makeTempDir('http-backup');
  let child: ServerChild | undefined;
  try {
    ctx.progress(`http.backupDownload: filling a store to ${(targetBytes / MB).toLocaleString('en-US')} MB on disk (random log messages)`);
    const tl = await openFillStore(dataDir);
    let fill;
    try {
      fill = await fillStore(tl, targetBytes, ctx.progress);
    } finally {
      await tl.close();
    }
    ctx.progress(`http.backupDownload: ${round(fill.diskBytes / MB, 1)} MB in ${round(fill.seconds, 1)} s; starting the server child`);
    child = await startServerChild(dataDir, 'backup');
    const rssOpenBytes = child.rssBytes();

    const t0 = performance.now();
    const created = await fetch(`${child.url}/api/v1/backup`, { method: 'POST' });
    const backup = (await created.json()) as { name: string; path: string; files: number; bytes: number };
    if (created.status !== 201) throw new Error(`POST /api/v1/backup answered ${created.status}: ${JSON.stringify(backup)}`);
    const backupSeconds = (performance.now() - t0) / 1000;
    const tarBytes = await expectedTarBytes(backup.path, backup.name);
    ctx.progress(`http.backupDownload: backup ${backup.name}: ${backup.files} files, ${round(backup.bytes / MB, 1)} MB in ${round(backupSeconds, 1)} s; downloading`);

    // Baseline after the backup (its own buffers are the backup's, not the download's).
    const server = child;
    const sampler = new RssSampler(() => server.rssBytes(), 20);
    const got = await download(`${server.url}/api/v1/backup/${backup.name}/download`).finally(() => sampler.stop());
    const rss = sampler.stop(); // idempotent: the figures of the first stop()
    const failures: string[] = [];
    if (got.tarBytes !== tarBytes) failures.push(`http.backupDownload: the download gunzips to ${got.tarBytes} bytes, the backup makes a ${tarBytes}-byte tar`);
    if (!ctx.quick && backup.bytes < 2 ** 30) failures.push(`http.backupDownload: the backup holds ${backup.bytes} bytes, less than the 1 GiB the bench promises`);

    const json = {
      storeDiskBytes: fill.diskBytes,
      fillEntries: fill.entries,
      fillSeconds: round(fill.seconds, 1),
      backupName: backup.name,
      backupFiles: backup.files,
      backupBytes: backup.bytes,
      backupSeconds: round(backupSeconds, 2),
      tarBytes,
      bytes: got.bytes,
      seconds: round(got.seconds, 2),
      MBPerSec: round(got.bytes / MB / got.seconds, 1),
      tarMBPerSec: round(tarBytes / MB / got.seconds, 1),
      rssAtOpenMB: round(rssOpenBytes / MB, 1),
      rssBaselineMB: round(rss.baselineBytes / MB, 1),
      rssPeakMB: round(rss.peakBytes / MB, 1),
      rssGrowthMB: round((rss.peakBytes - rss.baselineBytes) / MB, 1),
      rssSamples: rss.samples,
    };
    ctx.progress(`http.backupDownload: ${round(got.bytes / MB, 1)} MB in ${json.seconds} s (${json.MBPerSec} MB/s), server RSS +${json.rssGrowthMB} MB`);
    return {
      json,
      failures,
      rows: [
        {
          key: 'http.backupDownloadRssGrowthMB',
          label: 'http: server RSS growth during a backup download',
          value: json.rssGrowthMB,
          unit: 'MB',
          target: { op: '<=', value: 50 },
          note: `peak ${json.rssPeakMB} MB over ${json.rssBaselineMB} MB, ${json.rssSamples} samples of the child's VmRSS`,
        },
        {
          key: 'http.backupDownloadMBPerSec',
          label: 'http: backup download (.tar.gz over loopback)',
          value: json.MBPerSec,
          unit: 'MB/s',
          note: `${round(tarBytes / MB, 1)} MB tar (${json.tarMBPerSec} MB/s) of a ${round(backup.bytes / MB, 1)} MB backup, ${backup.files} files`,
        },
        {
          key: 'http.backupDownloadBytes',
          label: 'http: backup download size',
          value: got.bytes,
          unit: 'B',
          note: `gzip of ${tarBytes.toLocaleString('en-US')} tar bytes`,
        },
      ],
    };
  } finally {
    await child?.stop().catch((err: unknown) => ctx.progress(`http.backupDownload: ${(err as Error).message}`));
    removeTempDir(dataDir);
  }
}
