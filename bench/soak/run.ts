// `npm run soak -- --minutes N [--json] [--data-dir DIR] [--keep]`: the soak (bench/README.md,
// "Soak"). Progress on stderr, the table on stdout, `--json` one object as the last stdout line.
// Exit 0 pass, 1 acceptance failed (lost/duplicated/corrupted, RSS growth) or the run broke, 2 usage.
import { runSoak, soakFailures } from './soak.js';
import { soakJson, summaryLines } from './report.js';

const USAGE = `usage: npm run soak -- [--minutes N] [--json] [--data-dir DIR] [--keep]
  --minutes N     how long to ingest (default 10; may be fractional, at least 0.5)
  --json          one JSON object as the last line of stdout (keys: bench/README.md, "Soak")
  --data-dir DIR  where the store lives (default: a temp dir, removed at the end)
  --keep          keep the temp dir (its path is printed)`;

interface SoakArgs {
  minutes: number;
  json: boolean;
  dataDir?: string;
  keep: boolean;
}

function parse(argv: string[]): SoakArgs | string {
  const a: SoakArgs = { minutes: 10, json: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--json') a.json = true;
    else if (k === '--keep') a.keep = true;
    else if (k === '--minutes' || k === '--data-dir') {
      const v = argv[++i];
      if (v === undefined) return `${k} needs a value`;
      if (k === '--data-dir') a.dataDir = v;
      else {
        a.minutes = Number(v);
        // Under half a minute there is no room for warm-up, backups and the kill at half time.
        if (!Number.isFinite(a.minutes) || a.minutes < 0.5) return `--minutes must be a number ≥ 0.5, got '${v}'`;
      }
    } else if (k === '-h' || k === '--help') return '';
    else return `unknown argument '${k}'`;
  }
  return a;
}

async function main(): Promise<number> {
  const a = parse(process.argv.slice(2));
  if (typeof a === 'string') {
    if (a !== '') process.stderr.write(`soak: ${a}\n`);
    process.stderr.write(USAGE + '\n');
    return a === '' ? 0 : 2;
  }
  const log = (line: string) => process.stderr.write(line + '\n');
  const report = await runSoak({ minutes: a.minutes, dataDir: a.dataDir, keepDir: a.keep, log });
  const failures = soakFailures(report);
  process.stdout.write(summaryLines(report, failures).join('\n') + '\n');
  if (a.json) process.stdout.write(JSON.stringify(soakJson(report, failures)) + '\n');
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
