// One delivery attempt of a forward request and what to do next: the receiver's answer sorted into
// delivered, retry later (network errors, timeouts, 5xx, 429 and 408, as Prometheus' remote write
// and the OTLP exporters do) or permanent (any other 4xx: resending the same bytes cannot succeed,
// so the batch is dropped and counted). Retry waits grow exponentially with jitter (a fleet of
// senders must not retry in lockstep) and never undercut the receiver's Retry-After.

export interface SendRequest {
  url: string;
  body: Uint8Array;
  headers: Record<string, string>;
}

export type SendResult =
  | { kind: 'ok'; status: number }
  | { kind: 'retry'; error: string; status?: number; retryAfterMs?: number }
  | { kind: 'permanent'; error: string; status: number };

/** Longest Retry-After honoured: a misconfigured receiver must not park the queue for days. */
const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;
/** Characters of an error answer's body kept for the log. */
const ERROR_BODY_CHARS = 300;

/** POSTs `req`; never throws. `signal` aborts it (close); `timeoutMs` bounds one attempt. */
export async function sendOnce(req: SendRequest, timeoutMs: number, signal: AbortSignal, nowMs: () => number = Date.now): Promise<SendResult> {
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: 'POST',
      headers: req.headers,
      body: req.body as Uint8Array<ArrayBuffer>,
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
  } catch (err) {
    return { kind: 'retry', error: describeFetchError(err, timeoutMs) };
  }
  // Read the answer in full either way: it frees the connection for reuse.
  let text = '';
  try {
    text = await res.text();
  } catch {
    // a body cut off mid-way: the status still says what happened
  }
  if (res.status >= 200 && res.status < 300) return { kind: 'ok', status: res.status };
  const error = `${req.url} answered ${res.status}${text === '' ? '' : `: ${text.slice(0, ERROR_BODY_CHARS).trim()}`}`;
  if (res.status === 429 || res.status === 408 || res.status >= 500) {
    return { kind: 'retry', error, status: res.status, retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), nowMs()) };
  }
  return { kind: 'permanent', error, status: res.status };
}

/** Retry-After as a delay: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined if absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
    ms = at - nowMs;
  }
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

/** Exponential backoff with "equal jitter": half the step fixed, half random. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The wait before the next attempt; `retryAfterMs` (the receiver's ask) is a floor. */
  next(retryAfterMs?: number): number {
    const step = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const jittered = step / 2 + this.random() * (step / 2);
    return Math.round(retryAfterMs === undefined ? jittered : Math.max(retryAfterMs, jittered));
  }

  reset(): void {
    this.attempt = 0;
  }
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  if (e?.name === 'AbortError') return 'aborted (closing)';
  const cause = e?.cause;
  return cause?.code !== undefined ? `${e.message} (${cause.code}${cause.message ? `: ${cause.message}` : ''})` : String(e?.message ?? err);
}
