// Optional console capture (issue #8): console.debug/log/info/warn/error/trace also become log
// entries, with the trace ids of the span that is current where they were called. The app's console
// keeps working (passthrough) and is never broken by the store: a write that fails is dropped
// quietly, and console calls made while writing (a warning from inside the store) are not captured
// again, so they cannot loop.
import { format } from 'node:util';
import type { Attributes, LogInput, LogLevel } from '../logs/types.js';
import { activeTraceContext, enableTraceContext } from './request-context.js';

export type ConsoleMethod = 'debug' | 'log' | 'info' | 'warn' | 'error' | 'trace';

const METHOD_LEVELS: Record<ConsoleMethod, LogLevel> = { debug: 'debug', log: 'info', info: 'info', warn: 'warn', error: 'error', trace: 'trace' };

export interface ConsoleCaptureTarget {
  logs: { write(entry: LogInput): void };
  readonly isClosed: boolean;
}

export interface ConsoleCaptureOptions {
  /** Also print as before. Default true. */
  passthrough?: boolean;
  /** Which methods to capture. Default all six. */
  methods?: ConsoleMethod[];
  /** Entries below this level are not stored (they are still printed). Default 'trace' (all). */
  minLevel?: LogLevel;
}

const LEVEL_ORDER: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

let active: { restore(): void } | undefined;

/** The first Error among the args -> OTel exception.* attributes. */
function errorAttributes(args: unknown[], into: Attributes): void {
  const err = args.find((a): a is Error => a instanceof Error);
  if (err === undefined) return;
  into['exception.type'] = err.name;
  into['exception.message'] = err.message;
  if (typeof err.stack === 'string') into['exception.stacktrace'] = err.stack;
}

/**
 * Starts capturing the console into tl.logs; returns restore(), which puts the original methods
 * back (calling it again does nothing). Capturing twice without restoring is an error.
 */
export function captureConsole(tl: ConsoleCaptureTarget, opts: ConsoleCaptureOptions = {}): () => void {
  if (active !== undefined) throw new Error('timeless: the console is already captured; call the restore() that captureConsole returned first');
  const passthrough = opts.passthrough ?? true;
  const methods = opts.methods ?? (Object.keys(METHOD_LEVELS) as ConsoleMethod[]);
  for (const m of methods) if (!(m in METHOD_LEVELS)) throw new TypeError(`timeless: captureConsole cannot capture console.${String(m)}; use ${Object.keys(METHOD_LEVELS).join(', ')}`);
  const minRank = LEVEL_ORDER.indexOf(opts.minLevel ?? 'trace');
  if (minRank < 0) throw new TypeError(`timeless: captureConsole minLevel must be one of ${LEVEL_ORDER.join(', ')}`);

  // From now on the middlewares keep each request's context, so the first captured line has it too.
  enableTraceContext();
  const originals = new Map<ConsoleMethod, (...args: unknown[]) => void>();
  let writing = false;

  const record = (method: ConsoleMethod, args: unknown[]): void => {
    const level = METHOD_LEVELS[method];
    if (writing || tl.isClosed || LEVEL_ORDER.indexOf(level) < minRank) return;
    writing = true;
    try {
      const attributes: Attributes = { 'log.source': 'console', 'log.method': method };
      errorAttributes(args, attributes);
      const entry: LogInput = { tsMs: Date.now(), level, message: format(...args), attributes };
      const ctx = activeTraceContext();
      if (ctx !== undefined) {
        entry.traceId = ctx.traceId;
        entry.spanId = ctx.spanId;
      }
      tl.logs.write(entry);
    } catch {
      // The app's console call must not fail because the store could not take the entry.
    } finally {
      writing = false;
    }
  };

  for (const m of methods) {
    const original = console[m] as (...args: unknown[]) => void;
    originals.set(m, original);
    console[m] = function (this: unknown, ...args: unknown[]): void {
      record(m, args);
      if (passthrough) original.apply(this === undefined ? console : this, args);
    };
  }

  const handle = {
    restore(): void {
      if (active !== handle) return;
      for (const [m, original] of originals) console[m] = original;
      active = undefined;
    },
  };
  active = handle;
  return () => handle.restore();
}
