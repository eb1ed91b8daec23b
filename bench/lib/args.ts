// Command-line parsing for bench/run.ts. Kept apart from the runner so it is easy to test and extend.
import { UserError } from './errors.js';

export interface BenchArgs {
  json: boolean;
  quick: boolean;
  debug: boolean;
  help: boolean;
  dataRoot?: string;
  /** `--metrics-csv` files (then no suite runs). */
  metricsCsv?: string[];
  /** `--logs-file` files (the logs suite's `files` part; alone, it runs only that part). */
  logsFiles?: string[];
  /** Suite selectors: `codec` or `codec.nab`; empty = every suite. */
  selectors: string[];
}

export const USAGE = `usage: npm run bench -- [options] [suite[.part] ...]
       npm run bench -- --metrics-csv FILE... [--json]
       npm run bench -- [suite[.part] ...] --logs-file FILE... [--json]

  suite[.part]        run one suite (e.g. codec) or one part of it (e.g. codec.nab); default: all
  --json              print one JSON object as the last line of stdout (keys: bench/README.md)
  --quick             smaller workloads for a smoke run (numbers not comparable to the targets)
  --metrics-csv FILE  bytes/point of your own series: CSV "timestamp,value" (header optional) or
                      one value per line; every argument after it is a file
  --logs-file FILE    compression ratio of your own plain-text logs (one entry per line) through
                      the logs engine, beside brotli q9 and zstd -19; every argument after it is a
                      file; alone it runs only logs.files
  --data DIR          shared data folder (default: <package>/../shared/data)
  --debug             print stack traces of unexpected errors
  -h, --help          this text`;

export function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { json: false, quick: false, debug: false, help: false, selectors: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (args.metricsCsv && !a.startsWith('--')) {
      args.metricsCsv.push(a);
      continue;
    }
    if (args.logsFiles && !a.startsWith('--')) {
      args.logsFiles.push(a);
      continue;
    }
    switch (a) {
      case '--json':
        args.json = true;
        break;
      case '--quick':
        args.quick = true;
        break;
      case '--debug':
        args.debug = true;
        break;
      case '-h':
      case '--help':
        args.help = true;
        break;
      case '--metrics-csv':
        args.metricsCsv = [];
        break;
      case '--logs-file':
        args.logsFiles ??= [];
        break;
      case '--data': {
        const dir = argv[++i];
        if (!dir || dir.startsWith('--')) throw new UserError('--data needs a directory');
        args.dataRoot = dir;
        break;
      }
      default:
        if (a.startsWith('-')) throw new UserError(`unknown option ${a}\n${USAGE}`);
        args.selectors.push(a);
    }
  }
  if (args.metricsCsv && args.logsFiles) throw new UserError('--logs-file and --metrics-csv are separate modes: run them one at a time');
  if (args.metricsCsv) {
    if (args.metricsCsv.length === 0) throw new UserError('--metrics-csv needs at least one file');
    if (args.selectors.length) throw new UserError(`--metrics-csv takes files only; "${args.selectors[0]}" came before it`);
  }
  if (args.logsFiles) {
    if (args.logsFiles.length === 0) throw new UserError('--logs-file needs at least one file');
    if (args.selectors.length === 0) args.selectors.push('logs.files');
  }
  return args;
}
