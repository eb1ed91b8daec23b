// Command-line and environment options of the standalone server (`timeless serve`). Pure: main.ts
// does the I/O; tests check the parsing.
import { checkMemorySpikeBytes, MIN_MEMORY_LIMIT_BYTES } from '../storage/memory-guard.js';
import type { AuthOptions } from './context.js';

export interface ServeConfig {
  port: number;
  host: string;
  dataDir: string;
  auth: AuthOptions;
  forward: { remoteWrite: string[]; otlp?: string };
  maxBodyBytes?: number;
  /** --memory-limit-mb in bytes: the store's memoryLimitBytes (none when absent). */
  memoryLimitBytes?: number;
  /** --memory-spike-mb in bytes: the store's memorySpikeBytes (its default when absent). */
  memorySpikeBytes?: number;
  /** The built-in demo app under /demo and its traffic (off with --no-demo). */
  demo: boolean;
}

export const USAGE = `usage: timeless serve [--port 4318] [--host 127.0.0.1] [--data-dir data/observability]
                      [--forward-remote-write URL]... [--forward-otlp URL] [--max-body-bytes N]
                      [--memory-limit-mb N]   (process RSS hard limit, N ≥ 32: writes get 429 above N - spike MiB until sealing drains)
                      [--memory-spike-mb S]   (the room below the limit where 429s start; default 20 % of N)
                      [--no-demo]   (without it, a demo shop at /demo generates live traffic)
environment: DASHBOARD_USER + DASHBOARD_PASS (basic auth), TIMELESS_BEARER_TOKEN (bearer auth),
             PORT, HOST, TIMELESS_DATA_DIR (defaults for the flags above)
       timeless check --data-dir DIR [--json]          verify a data directory (blocks, indexes, WALs)
       timeless restore BACKUP --data-dir DIR [--force] restore a backup directory or .tar.gz`;

/** The store refuses limits below 32 MiB (MIN_MEMORY_LIMIT_BYTES): said here as a usage error. */
const MIN_MEMORY_LIMIT_MB = MIN_MEMORY_LIMIT_BYTES / 1024 / 1024;

export class UsageError extends Error {
  /** --help: the usage goes to stdout and the exit code is 0. */
  readonly help: boolean;
  constructor(message: string, help = false) {
    super(message === '' ? USAGE : `${message}\n${USAGE}`);
    this.name = 'UsageError';
    this.help = help;
  }
}

function port(text: string, from: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${from} must be a port number 0..65535, got '${text}'`);
  return n;
}

function url(text: string, from: string): string {
  try {
    const u = new URL(text);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    return text;
  } catch {
    throw new UsageError(`${from} must be an http(s) URL, got '${text}'`);
  }
}

export function parseServeArgs(argv: readonly string[], env: Record<string, string | undefined>): ServeConfig {
  const args = [...argv];
  if (args[0] === 'serve') args.shift();
  const cfg: ServeConfig = {
    port: env.PORT !== undefined && env.PORT !== '' ? port(env.PORT, 'PORT') : 4318,
    host: env.HOST || '127.0.0.1',
    dataDir: env.TIMELESS_DATA_DIR || 'data/observability',
    auth: {},
    forward: { remoteWrite: [] },
    demo: true,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      if (a.startsWith('--') && eq > 0) return a.slice(eq + 1);
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port':
        cfg.port = port(value(), '--port');
        break;
      case '--host':
        cfg.host = value();
        break;
      case '--data-dir':
        cfg.dataDir = value();
        break;
      case '--forward-remote-write':
        cfg.forward.remoteWrite.push(url(value(), flag));
        break;
      case '--forward-otlp':
        cfg.forward.otlp = url(value(), flag);
        break;
      case '--max-body-bytes': {
        const n = Number(value());
        if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError('--max-body-bytes must be a positive integer');
        cfg.maxBodyBytes = n;
        break;
      }
      case '--memory-limit-mb': {
        const text = value();
        const mb = Number(text);
        if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(mb * 1024 * 1024) || mb < MIN_MEMORY_LIMIT_MB) {
          throw new UsageError(`--memory-limit-mb must be a whole number of MiB ≥ ${MIN_MEMORY_LIMIT_MB}, got '${text}'`);
        }
        cfg.memoryLimitBytes = mb * 1024 * 1024;
        break;
      }
      case '--memory-spike-mb': {
        const text = value();
        const mb = Number(text);
        if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(mb * 1024 * 1024)) throw new UsageError(`--memory-spike-mb must be a whole number of MiB, got '${text}'`);
        cfg.memorySpikeBytes = mb * 1024 * 1024;
        break;
      }
      case '--no-demo':
        if (eq > 0) throw new UsageError('--no-demo takes no value');
        cfg.demo = false;
        break;
      case '--help':
      case '-h':
        throw new UsageError('', true);
      default:
        throw new UsageError(`unknown argument '${a}'`);
    }
  }
  if (cfg.memorySpikeBytes !== undefined) {
    if (cfg.memoryLimitBytes === undefined) throw new UsageError('--memory-spike-mb needs --memory-limit-mb (it is the room below that limit)');
    try {
      checkMemorySpikeBytes(cfg.memorySpikeBytes, cfg.memoryLimitBytes);
    } catch {
      // The store's rule (the soft limit stays ≥ half the smallest limit), said as a usage error.
      throw new UsageError(`--memory-spike-mb must be at most --memory-limit-mb - ${MIN_MEMORY_LIMIT_MB / 2}, got ${cfg.memorySpikeBytes / 1024 / 1024} with a limit of ${cfg.memoryLimitBytes / 1024 / 1024}`);
    }
  }
  const user = env.DASHBOARD_USER;
  const pass = env.DASHBOARD_PASS;
  if ((user && !pass) || (!user && pass)) throw new UsageError('set both DASHBOARD_USER and DASHBOARD_PASS, or neither');
  if (user && pass) cfg.auth.basic = { user, pass };
  if (env.TIMELESS_BEARER_TOKEN) cfg.auth.bearerToken = env.TIMELESS_BEARER_TOKEN;
  return cfg;
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
