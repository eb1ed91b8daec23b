// Crash safety of the traces engine: a child process writes and flushes spans; the parent SIGKILLs it
// at seeded random moments (many land in sealing, WAL drops and compaction: the child seals tiny
// chunks every 15 ms and compacts every 40 ms), then reopens the data dir: every acknowledged span
// is there exactly once with its content (through query paging and through trace()), what survived
// of each round is a prefix of what was written (nothing corrupt, nothing twice), stats count each
// span once, and SQLite's integrity_check is ok.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prng } from '../bench/gen/prng.js';
import { Timeless } from '../src/index.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import type { Span } from '../src/traces/types.js';
import { expectSqliteIntact, killChildAfterReady } from './crash-harness.js';
import { tempDir } from './metrics-helpers.js';

const ROUNDS = 12;
const CHILD = path.join(import.meta.dirname, 'fixtures', 'traces-crash-child.mjs');
const T0_MS = Date.UTC(2024, 0, 1);
const ROUND_SPAN_MS = 10_000_000;
const SPANS_PER_TRACE = 5;

const hex = (n: number, chars: number) => n.toString(16).padStart(chars, '0');
const traceIdOf = (round: number, k: number) => hex(round + 1, 8) + hex(Math.floor(k / SPANS_PER_TRACE) + 1, 24);
const spanIdOf = (round: number, k: number) => hex(round + 1, 4) + hex(k + 1, 12);

/** JSON with sorted keys and bigints as strings: a comparable fingerprint whatever the key order. */
function canonical(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((key) => o[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(o[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** What the child wrote as span k of `round` (keep in step with spanOf in the fixture). */
function expectedFingerprint(round: number, k: number): string {
  const startNs = BigInt(T0_MS + round * ROUND_SPAN_MS + k) * 1_000_000n + BigInt(k % 1000);
  const rootK = k - (k % SPANS_PER_TRACE);
  return canonical({
    traceId: traceIdOf(round, k),
    spanId: spanIdOf(round, k),
    parentSpanId: k === rootK ? undefined : spanIdOf(round, rootK),
    name: `r${round} op${k % 7}`,
    kind: k === rootK ? 'server' : 'client',
    startNs,
    endNs: startNs + BigInt((k % 97) * 1000 + 1),
    status: k % 50 === 7 ? { code: 'error', message: `failed ${k}` } : { code: 'ok' },
    attributes: { round, k, 'http.route': `/api/items/${k % 13}` },
    events: k % 3 === 0 ? [{ name: 'retry', timeNs: startNs + 1n, attributes: { k } }] : [],
    service: 'crash',
  });
}

function fingerprint(s: Span): string {
  return canonical({
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    name: s.name,
    kind: s.kind,
    startNs: s.startNs,
    endNs: s.endNs,
    status: s.status,
    attributes: s.attributes,
    events: s.events.map((e) => ({ name: e.name, timeNs: e.timeNs, attributes: e.attributes })),
    service: s.resource.attributes['service.name'],
  });
}

/** The write index k a span of the child carries. */
function kOf(s: Span): number {
  return s.attributes.k as number;
}

let pool: Pool;
beforeAll(() => {
  pool = createPool({ threads: 1 });
});
afterAll(async () => {
  await pool.close();
});

describe('traces crash safety', () => {
  it(`keeps every acknowledged span exactly once across ${ROUNDS} SIGKILLs`, async () => {
    const t = tempDir('traces-crash');
    const prng = new Prng(77005);
    const acked: number[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        acked.push(await killChildAfterReady(CHILD, t.dir, round, prng.int(30, 1200)));
        const tl = await Timeless.open({
          dataDir: t.dir,
          pool,
          traces: { compaction: false, sealIntervalMs: 0 },
          retention: { intervalSec: 0 },
        });
        let total = 0;
        try {
          for (let r = 0; r <= round; r++) {
            const baseMs = T0_MS + r * ROUND_SPAN_MS;
            const seenDesc: number[] = [];
            let cursor: string | undefined;
            do {
              const page = await tl.traces.query({ fromMs: baseMs, toMs: baseMs + ROUND_SPAN_MS, limit: 10_000, cursor });
              expect(page.skipped).toEqual([]);
              for (const s of page.spans) {
                const k = kOf(s);
                if (fingerprint(s) !== expectedFingerprint(r, k)) {
                  throw new Error(`round ${r}: span k=${k} is corrupt: ${fingerprint(s)}`);
                }
                seenDesc.push(k);
              }
              cursor = page.cursor;
            } while (cursor);
            // Newest start first = k descending: reversed, a prefix of the write order, each span once.
            const seen = seenDesc.reverse();
            expect(seen.length, `round ${r}`).toBeGreaterThanOrEqual(acked[r]);
            for (let i = 0; i < seen.length; i++) if (seen[i] !== i) throw new Error(`round ${r}: position ${i} holds span ${seen[i]}`);
            total += seen.length;

            // trace(): the first, a middle and the last (possibly cut) trace of the round hold exactly
            // their surviving spans, in start order, as one tree under the root.
            const n = seen.length;
            if (n === 0) continue;
            const lastTrace = Math.floor((n - 1) / SPANS_PER_TRACE);
            for (const tr of new Set([0, Math.floor(lastTrace / 2), lastTrace])) {
              const r0 = tr * SPANS_PER_TRACE;
              const want: number[] = [];
              for (let k = r0; k < Math.min(n, r0 + SPANS_PER_TRACE); k++) want.push(k);
              const got = await tl.traces.trace(traceIdOf(r, r0));
              expect(got.skipped).toEqual([]);
              expect(got.spans.map(kOf), `round ${r} trace ${tr}`).toEqual(want);
              for (const s of got.spans) expect(fingerprint(s)).toBe(expectedFingerprint(r, kOf(s)));
              expect(got.roots.map((node) => kOf(node.span))).toEqual([r0]);
              expect(got.roots[0].children.length).toBe(want.length - 1);
            }
          }
          expect((await tl.traces.stats()).spans).toBe(total);
        } finally {
          await tl.close();
        }
        expectSqliteIntact(path.join(t.dir, 'spans', 'index.db'));
      }
      // Most rounds got some acknowledgements in before their kill (else the test proved little).
      expect(acked.filter((k) => k > 0).length).toBeGreaterThan(ROUNDS / 2);
    } finally {
      t.remove();
    }
  });
});
