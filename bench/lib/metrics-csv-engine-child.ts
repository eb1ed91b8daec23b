// Child process of `--metrics-csv` for the engine path (run as `node metrics-csv-engine-child.js
// FILE...`): every file becomes one series in a fresh store in a temp dir, flushed, checkpointed and
// compacted, read back bit for bit; one JSON line on stdout (an array, one entry per file).
// A child keeps the CLI's --metrics-csv path synchronous and the store's threads out of its process.
import { readFileSync } from 'node:fs';
import { openBenchStore } from './bench-store.js';
import { parseMetricsCsv } from './csv.js';
import { measureSeriesInEngine } from './engine-series.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';
import { errorText } from './errors.js';

async function main(): Promise<void> {
  const files = process.argv.slice(2);
  const dataDir = makeTempDir('metrics-csv');
  try {
    const store = await openBenchStore(dataDir, { threads: 1 });
    try {
      const out = [];
      for (let i = 0; i < files.length; i++) {
        // The parent has parsed and validated every file already.
        const parsed = parseMetricsCsv(readFileSync(files[i], 'utf8'), files[i]);
        const r = await measureSeriesInEngine(store, 'user_series', { file: String(i) }, parsed.tsMs, parsed.values);
        out.push({ file: files[i], ...r });
      }
      process.stdout.write(JSON.stringify(out) + '\n');
    } finally {
      await store.close();
    }
  } finally {
    removeTempDir(dataDir);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${errorText(err)}\n`);
  process.exit(1);
});
