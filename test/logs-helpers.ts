// Shared helpers of the logs engine tests: a seeded app-log-like input generator, a brute-force
// oracle over what was written, and plain comparisons of answers.
import { Prng } from '../bench/gen/prng.js';
import { LOG_LEVELS, type LogEntry, type LogInput, type LogLevel } from '../src/logs/types.js';

export const T0_MS = Date.UTC(2024, 0, 1);

const ROUTES = ['/api/items/:id', '/api/orders', '/health', '/api/users/:id/orders'];
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'ECONNREFUSED', 'timeout', 'ok'];

/** Inputs at T0_MS + i * stepMs (a few share a timestamp), levels, attributes, ids; all seeded. */
export function makeInputs(seed: number, n: number, opts: { startMs?: number; stepMs?: number; tag?: string } = {}): LogInput[] {
  const rng = new Prng(seed);
  const start = opts.startMs ?? T0_MS;
  const step = opts.stepMs ?? 7;
  const out: LogInput[] = [];
  for (let i = 0; i < n; i++) {
    const level = LOG_LEVELS[rng.int(0, 5)];
    const route = ROUTES[rng.int(0, ROUTES.length - 1)];
    const input: LogInput = {
      // Every 5th entry shares its predecessor's ms: ordering then falls to the write sequence.
      tsMs: start + (i % 5 === 4 ? i - 1 : i) * step,
      level,
      message: `${opts.tag ?? 'req'} ${i} ${WORDS[rng.int(0, WORDS.length - 1)]} GET ${route.replace(':id', String(rng.int(1, 999)))} ${rng.int(1, 500)}ms`,
      attributes: { 'http.route': route, 'http.status_code': rng.pick([200, 200, 404, 500]), i, nested: { ok: rng.float() < 0.5 } },
    };
    if (rng.float() < 0.5) input.traceId = rng.hex(32);
    if (rng.float() < 0.3) input.resource = { 'service.name': rng.pick(['api', 'worker']) };
    out.push(input);
  }
  return out;
}

/** Entries as queries return them, reduced to comparable plain data. */
export function plainEntries(entries: LogEntry[]): Array<Record<string, unknown>> {
  return entries.map((e) => ({ ...e, tsNs: String(e.tsNs) }));
}

/** The write index `i` each generated message carries (messages are '<tag> <i> ...'). */
export function indexOf(e: LogEntry): number {
  return Number(e.message.split(' ')[1]);
}

export function levelAtLeast(l: LogLevel, min: LogLevel): boolean {
  return LOG_LEVELS.indexOf(l) >= LOG_LEVELS.indexOf(min);
}
