// The driver's HTTP calls to the store child: JSON in, JSON out, the status kept (a 2xx is the
// acknowledgement the oracle records; anything else, or a dropped connection, is not).
import { toJsonText } from '../../src/server/json.js';

export interface Answer {
  ok: boolean;
  status: number;
  body: unknown;
}

export async function call(url: string, method: 'GET' | 'POST' | 'DELETE', body?: unknown): Promise<Answer> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : toJsonText(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text for the error message
  }
  return { ok: res.status >= 200 && res.status < 300, status: res.status, body: parsed };
}
