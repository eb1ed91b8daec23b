// Every ingest route of the app (enumerated from the app, so routes added later are covered) answers
// malformed, oversized and wrongly typed bodies with a 4xx JSON error carrying a stable code; the
// server stays up and the data accepted before is unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, startServer, type TestServer } from './server-helpers.js';
import { makeInputs, T0_MS } from './logs-helpers.js';
import { makeSpans } from './traces-helpers.js';
import { toJsonText } from '../src/server/json.js';

const MAX_BODY = 256 * 1024;
/** A path that takes data in: native writes, protocol receivers, imports. */
const INGEST = /(^\/v1\/(traces|logs|metrics)$)|\/write$|\/import(\/|$)|\/insert\//;

let s: TestServer;
let before: string;

async function snapshot(): Promise<string> {
  const m = await s.tl.metrics.query({ name: 'baseline', fromMs: T0_MS, toMs: T0_MS + 1_000_000 });
  const l = await s.tl.logs.query({ limit: 10_000 });
  const t = await s.tl.traces.query({ limit: 10_000 });
  return toJsonText({ m, l: l.entries, t: t.spans });
}

beforeAll(async () => {
  s = await startServer({ server: { maxBodyBytes: MAX_BODY } });
  s.tl.metrics.writeBatch(Array.from({ length: 500 }, (_, i) => ({ name: 'baseline', labels: { k: String(i % 5) }, value: i, tsMs: T0_MS + i * 1000 })));
  s.tl.logs.writeBatch(makeInputs(11, 400));
  s.tl.traces.write(makeSpans(5, 300, T0_MS));
  await s.tl.flush();
  before = await snapshot();
});
afterAll(async () => {
  await s?.close();
});

function ingestRoutes(): string[] {
  const paths = new Set<string>();
  for (const r of s.app.routes) if (r.method === 'POST' && INGEST.test(r.path)) paths.add(r.path);
  return [...paths].sort();
}

/** Invalid in every format: not UTF-8 (JSON, text, NDJSON), a varint longer than 10 bytes (protobuf), a bad snappy preamble. */
const GARBAGE = new Uint8Array(64).fill(0xff);
const TYPES = ['application/json', 'application/x-protobuf', 'text/plain', 'application/x-ndjson', undefined];

async function expectJson4xx(path: string, init: RequestInit, what: string, statuses?: number[]): Promise<void> {
  const r = await getJson(`${s.url}${path}`, { method: 'POST', ...init });
  const label = `${path} ${what} → ${r.status} ${typeof r.body === 'string' ? r.body.slice(0, 200) : JSON.stringify(r.body).slice(0, 200)}`;
  expect(r.status >= 400 && r.status < 500, label).toBe(true);
  if (statuses) expect(statuses, label).toContain(r.status);
  expect(typeof r.body?.error?.code, label).toBe('string');
  expect(typeof r.body.error.message, label).toBe('string');
  expect(JSON.stringify(r.body), label).not.toMatch(/\n\s+at /); // never a stack trace
}

describe('ingest routes under bad input', () => {
  it('finds the ingest routes of every protocol', () => {
    const routes = ingestRoutes();
    for (const p of ['/api/v1/metrics/write', '/api/v1/logs/write', '/api/v1/traces/write', '/api/v1/write', '/api/v1/import', '/insert/jsonline']) expect(routes).toContain(p);
  });

  it('answers malformed bodies with 4xx JSON', async () => {
    for (const path of ingestRoutes()) {
      for (const type of TYPES) {
        const headers: Record<string, string> = type ? { 'content-type': type } : {};
        await expectJson4xx(path, { headers, body: GARBAGE }, `garbage as ${type ?? 'no type'}`);
      }
      await expectJson4xx(path, { headers: { 'content-type': 'application/json' }, body: '{"truncated": [1, 2' }, 'truncated JSON');
      await expectJson4xx(path, { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: 'not gzip' }, 'bad gzip', [400, 415]);
    }
  });

  it('answers oversized bodies with 413, declared or inflated', async () => {
    const big = new Uint8Array(MAX_BODY + 1).fill(0x20);
    for (const path of ingestRoutes()) {
      for (const type of ['application/json', 'application/x-protobuf', 'text/plain']) {
        const r = await getJson(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body: big });
        // A route may refuse the media type before it reads the body; either way it is JSON.
        expect([413, 415], `${path} ${type} → ${r.status}`).toContain(r.status);
        expect(typeof r.body?.error?.code).toBe('string');
      }
    }
  });

  it('answers wrong media types with 415 JSON (routes that accept any type: 4xx for the body)', async () => {
    for (const path of ingestRoutes()) await expectJson4xx(path, { headers: { 'content-type': 'image/png' }, body: GARBAGE }, 'image/png');
  });

  it('stays up with the earlier data unchanged', async () => {
    expect((await getJson(`${s.url}/health`)).status).toBe(200);
    expect(await snapshot()).toBe(before);
  });
});
