// The Export{Trace,Logs,Metrics}ServiceResponse of an OTLP/HTTP request, in the request's encoding.
// All three share one layout:
//   message ExportXServiceResponse { ExportXPartialSuccess partial_success = 1; }
//   message ExportXPartialSuccess  { int64 rejected_<items> = 1; string error_message = 2; }
// A fully accepted request gets the empty message (partial_success unset, as the spec asks); a
// request with rejected items, or with warnings only, gets partial_success.
import { Buffer } from 'node:buffer';

export type OtlpSignal = 'traces' | 'logs' | 'metrics';

/** The JSON name of the rejected count per signal (proto3 JSON, lowerCamelCase). */
const REJECTED_FIELD: Record<OtlpSignal, string> = {
  traces: 'rejectedSpans',
  logs: 'rejectedLogRecords',
  metrics: 'rejectedDataPoints',
};

export interface PartialSuccess {
  rejected: number;
  /** Reasons of the first rejected items (joined into error_message). */
  errors: readonly string[];
}

/** Longest error_message sent back: the first reasons say enough, a huge one helps nobody. */
const MAX_MESSAGE_CHARS = 4096;

function messageOf(p: PartialSuccess): string {
  const m = p.errors.join('; ');
  return m.length > MAX_MESSAGE_CHARS ? `${m.slice(0, MAX_MESSAGE_CHARS - 1)}…` : m;
}

function hasPartial(p: PartialSuccess): boolean {
  return p.rejected > 0 || p.errors.length > 0;
}

/** proto3 JSON: int64 as a decimal string. */
export function encodeResponseJson(signal: OtlpSignal, p: PartialSuccess): string {
  if (!hasPartial(p)) return '{}';
  return JSON.stringify({ partialSuccess: { [REJECTED_FIELD[signal]]: String(p.rejected), errorMessage: messageOf(p) } });
}

function varintBytes(v: number, out: number[]): void {
  // Non-negative and below 2^53: split so the high part is not lost to 32-bit operators.
  let n = v;
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

/** The response message as protobuf bytes (an empty message is zero bytes). */
export function encodeResponseProto(p: PartialSuccess): Uint8Array<ArrayBuffer> {
  if (!hasPartial(p)) return new Uint8Array(0);
  const inner: number[] = [];
  if (p.rejected > 0) {
    inner.push((1 << 3) | 0);
    varintBytes(p.rejected, inner);
  }
  const text = Buffer.from(messageOf(p), 'utf8');
  if (text.length > 0) {
    inner.push((2 << 3) | 2);
    varintBytes(text.length, inner);
  }
  const head: number[] = [(1 << 3) | 2];
  varintBytes(inner.length + text.length, head);
  const out = new Uint8Array(head.length + inner.length + text.length);
  out.set(head, 0);
  out.set(inner, head.length);
  out.set(text, head.length + inner.length);
  return out;
}
