// W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header):
// `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`. An invalid header is ignored (the spec:
// the receiver starts a new trace), never an error. Ids for new spans come from crypto.
import { randomBytes } from 'node:crypto';

export interface TraceParent {
  traceId: string;
  parentSpanId: string;
  /** Trace flags (bit 0: sampled). */
  flags: number;
}

const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
// Version 00 has exactly 55 characters; lowercase hex only (the spec forbids uppercase).
const TRACEPARENT_00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The parent context of a `traceparent` header, or undefined when absent or invalid. */
export function parseTraceparent(header: string | string[] | null | undefined): TraceParent | undefined {
  // A repeated header is ambiguous: the spec says to ignore it.
  if (typeof header !== 'string') return undefined;
  const m = TRACEPARENT_00.exec(header.trim());
  if (m === null) return undefined;
  const [, traceId, parentSpanId, flags] = m;
  if (traceId === ZERO_TRACE || parentSpanId === ZERO_SPAN) return undefined;
  return { traceId, parentSpanId, flags: parseInt(flags, 16) };
}

/** A version-00 `traceparent` header for a span (e.g. to propagate to a downstream call). */
export function formatTraceparent(traceId: string, spanId: string, flags = 1): string {
  return `00-${traceId}-${spanId}-${(flags & 0xff).toString(16).padStart(2, '0')}`;
}

// Ids are drawn from a pooled buffer: one randomBytes call per 256 ids instead of one per id.
const POOL_IDS = 256;
let pool = Buffer.alloc(0);
let poolPos = 0;

function randomHex(bytes: number): string {
  for (;;) {
    if (poolPos + bytes > pool.length) {
      pool = randomBytes(POOL_IDS * 16);
      poolPos = 0;
    }
    const at = poolPos;
    poolPos += bytes;
    // All-zero ids are invalid; astronomically rare, but drawing again costs nothing. Checked on the
    // bytes: cheaper per request than a regex over the hex.
    for (let i = at; i < at + bytes; i++) if (pool[i] !== 0) return pool.toString('hex', at, at + bytes);
  }
}

/** A random 32-hex trace id (never all zero). */
export function newTraceId(): string {
  return randomHex(16);
}

/** A random 16-hex span id (never all zero). */
export function newSpanId(): string {
  return randomHex(8);
}
