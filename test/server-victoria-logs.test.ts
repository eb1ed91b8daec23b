// VictoriaLogs /insert/jsonline over HTTP: every option (query parameters and VL-* headers), time
// formats, level and id fields, read back through tl.logs.query and compared exactly; bad lines and
// bad bodies answer 4xx JSON (or 200 with the rejections counted) and leave earlier data intact.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MISSING_MSG } from '../src/server/protocols/jsonline.js';
import type { LogEntry, Resource } from '../src/logs/types.js';
import { getJson, startServer, type TestServer } from './server-helpers.js';

let srv: TestServer;
let url: string;
/** The engine's default resource (service.name, host.name), read back from a control entry. */
let DEF: Resource;

const ns = (iso: string, extraNs = 0n) => BigInt(Date.parse(iso)) * 1_000_000n + extraNs;

function post(body: string | Uint8Array, opts: { query?: string; headers?: Record<string, string> } = {}) {
  return getJson(`${url}/insert/jsonline${opts.query ? `?${opts.query}` : ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/stream+json', ...opts.headers },
    body: body as BodyInit,
  });
}

async function entriesBetween(fromNs: bigint, toNs: bigint): Promise<LogEntry[]> {
  const r = await srv.tl.logs.query({ fromNs, toNs, order: 'asc', limit: 10_000 });
  expect(r.cursor).toBeUndefined();
  return r.entries;
}

async function everything(): Promise<LogEntry[]> {
  return entriesBetween(0n, 2n ** 62n);
}

beforeAll(async () => {
  srv = await startServer();
  url = srv.url;
  srv.tl.logs.write({ tsMs: 1, message: 'control' });
  await srv.tl.logs.flush();
  DEF = (await entriesBetween(0n, 2_000_000n))[0].resource;
  expect(Object.keys(DEF)).toContain('service.name');
});

afterAll(async () => {
  await srv?.close();
});

describe('POST /insert/jsonline', () => {
  it('stores every line with all query-parameter options applied', async () => {
    const lines = [
      JSON.stringify({
        ts: '2024-03-01T10:00:00.123456789Z', message: '\u001b[31mred alert\u001b[0m', level: 'ERROR', app: 'shop', kube: { pod: 'p-1', ns: 'default' },
        secret: 'hunter2', debug: { a: 1, b: 2 }, color: '\u001b[1mbold\u001b[0m', n: 1.5, ok: true, arr: [1, 'x'], empty: '', nil: null,
      }),
      '{"time":1709287201,"msg":"pino style","level":30,"pid":7,"app":"shop"}',
      '{"ts":1709287202123,"message":"ms number","level":"WARNING","trace_id":"4BF92F3577B34DA6A3CE929D0E0E4736","span_id":"00f067aa0ba902b7"}',
      '',
      '{"ts":"1709287203123456","message":"µs string","severity":"debug"}',
      '   ',
      '{"ts":1709287204123456789,"message":"ns number","lvl":"fatal"}\r',
      '{"ts":"1709287205.5","message":"fractional seconds","level":"verbose"}',
      '{"ts":"2024-03-01T11:00:06.5+01:00","message":"offset zone","level":3}',
      '{"ts":"1.709287207e9","message":"scientific"}',
      '{"ts":"2024-03-01T10:00:08Z","message":{"text":"object message"},"msg":"fallback"}',
      '{"ts":"2024-03-01T10:00:09Z","_msg":"underscore msg","message":""}',
      '{"ts":"2024-03-01T10:00:10Z","other":"no message","kube":{"pod":"p-2"}}',
    ];
    const query = new URLSearchParams({
      _msg_field: 'message,msg',
      _time_field: 'ts,time',
      _stream_fields: 'app,kube.pod',
      ignore_fields: 'secret,debug.*',
      extra_fields: 'env=prod,region=eu-1',
      decolorize_fields: '_msg,color',
    }).toString();
    const r = await post(lines.join('\n') + '\n', { query });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ accepted: 11, rejected: 0, errors: [] });

    const extra = { env: 'prod', region: 'eu-1' };
    const want: LogEntry[] = [
      {
        tsNs: ns('2024-03-01T10:00:00Z', 123_456_789n), level: 'error', severityNumber: 17, message: 'red alert',
        attributes: { 'kube.ns': 'default', color: 'bold', n: 1.5, ok: true, arr: [1, 'x'], ...extra },
        resource: { ...DEF, app: 'shop', 'kube.pod': 'p-1' },
      },
      { tsNs: ns('2024-03-01T10:00:01Z'), level: 'info', severityNumber: 9, message: 'pino style', attributes: { pid: 7, ...extra }, resource: { ...DEF, app: 'shop' } },
      {
        tsNs: ns('2024-03-01T10:00:02.123Z'), level: 'warn', severityNumber: 13, message: 'ms number', attributes: { ...extra }, resource: DEF,
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7',
      },
      { tsNs: ns('2024-03-01T10:00:03.123Z', 456_000n), level: 'debug', severityNumber: 5, message: 'µs string', attributes: { ...extra }, resource: DEF },
      { tsNs: ns('2024-03-01T10:00:04.123Z', 456_789n), level: 'fatal', severityNumber: 21, message: 'ns number', attributes: { ...extra }, resource: DEF },
      { tsNs: ns('2024-03-01T10:00:05.5Z'), level: 'info', severityNumber: 9, message: 'fractional seconds', attributes: { level: 'verbose', ...extra }, resource: DEF },
      { tsNs: ns('2024-03-01T10:00:06.5Z'), level: 'trace', severityNumber: 3, message: 'offset zone', attributes: { ...extra }, resource: DEF },
      { tsNs: ns('2024-03-01T10:00:07Z'), level: 'info', severityNumber: 9, message: 'scientific', attributes: { ...extra }, resource: DEF },
      { tsNs: ns('2024-03-01T10:00:08Z'), level: 'info', severityNumber: 9, message: 'fallback', attributes: { 'message.text': 'object message', ...extra }, resource: DEF },
      { tsNs: ns('2024-03-01T10:00:09Z'), level: 'info', severityNumber: 9, message: 'underscore msg', attributes: { ...extra }, resource: DEF },
      { tsNs: ns('2024-03-01T10:00:10Z'), level: 'info', severityNumber: 9, message: MISSING_MSG, attributes: { other: 'no message', ...extra }, resource: { ...DEF, 'kube.pod': 'p-2' } },
    ];
    expect(await entriesBetween(ns('2024-03-01T00:00:00Z'), ns('2024-03-02T00:00:00Z'))).toEqual(want);
  });

  it('reads the options from VL-* headers, and the query parameter wins over its header', async () => {
    const body = [
      '{"when":"2024-04-01T00:00:00Z","text":"from headers","svc":"api","drop":"x","a":"A","lvl":"warn"}',
      '{"when":"2024-04-01T00:00:01Z","text":"second","svc":"api","b":"B"}',
    ].join('\n');
    const r = await post(body, {
      headers: {
        'VL-Msg-Field': 'text',
        'VL-Time-Field': 'when',
        'VL-Stream-Fields': 'svc',
        'VL-Ignore-Fields': 'drop',
        'VL-Extra-Fields': 'src=hdr',
        'VL-Decolorize-Fields': 'a',
      },
    });
    expect(r.body).toEqual({ accepted: 2, rejected: 0, errors: [] });
    expect(await entriesBetween(ns('2024-04-01T00:00:00Z'), ns('2024-04-02T00:00:00Z'))).toEqual([
      { tsNs: ns('2024-04-01T00:00:00Z'), level: 'warn', severityNumber: 13, message: 'from headers', attributes: { a: 'A', src: 'hdr' }, resource: { ...DEF, svc: 'api' } },
      { tsNs: ns('2024-04-01T00:00:01Z'), level: 'info', severityNumber: 9, message: 'second', attributes: { b: 'B', src: 'hdr' }, resource: { ...DEF, svc: 'api' } },
    ]);

    const both = await post('{"_time":"2024-04-02T00:00:00Z","q":"by query","h":"by header"}', { query: '_msg_field=q', headers: { 'VL-Msg-Field': 'h' } });
    expect(both.body.accepted).toBe(1);
    const [e] = await entriesBetween(ns('2024-04-02T00:00:00Z'), ns('2024-04-03T00:00:00Z'));
    expect(e.message).toBe('by query');
    expect(e.attributes).toEqual({ h: 'by header' });
  });

  it('keeps a field named __proto__ as a field', async () => {
    const r = await post('{"_time":"2024-09-01T00:00:00Z","_msg":"proto","__proto__":["x"],"a":{"__proto__":{"b":1}}}');
    expect(r.body).toEqual({ accepted: 1, rejected: 0, errors: [] });
    const [e] = await entriesBetween(ns('2024-09-01T00:00:00Z'), ns('2024-09-02T00:00:00Z'));
    expect(Object.getOwnPropertyNames(e.attributes)).toEqual(['__proto__', 'a.__proto__.b']);
    expect(Object.getPrototypeOf(e.attributes)).toBe(Object.prototype);
    expect(e.attributes).toEqual({ ['__proto__']: ['x'], 'a.__proto__.b': 1 });
  });

  it('uses the current time for a missing time and for "", "0", "-" and 0', async () => {
    const before = BigInt(Date.now()) * 1_000_000n;
    const r = await post(['{"_msg":"no time"}', '{"_msg":"empty","_time":""}', '{"_msg":"zero","_time":"0"}', '{"_msg":"dash","_time":"-"}', '{"_msg":"zero number","_time":0}'].join('\n'));
    const after = BigInt(Date.now()) * 1_000_000n + 1n;
    expect(r.body).toEqual({ accepted: 5, rejected: 0, errors: [] });
    const got = await entriesBetween(before, after);
    expect(got.map((e) => e.message).sort()).toEqual(['dash', 'empty', 'no time', 'zero', 'zero number']);
    for (const e of got) expect(e.attributes).toEqual({});
  });

  it('accepts gzip bodies', async () => {
    const body = gzipSync(Buffer.from('{"_time":"2024-05-01T00:00:00Z","_msg":"zipped 1"}\n{"_time":"2024-05-01T00:00:01Z","_msg":"zipped 2"}\n'));
    const r = await post(body, { headers: { 'content-encoding': 'gzip', 'content-type': 'application/x-ndjson' } });
    expect(r.body).toEqual({ accepted: 2, rejected: 0, errors: [] });
    expect((await entriesBetween(ns('2024-05-01T00:00:00Z'), ns('2024-05-02T00:00:00Z'))).map((e) => e.message)).toEqual(['zipped 1', 'zipped 2']);
  });

  it('stores the good lines of a body with bad ones and says which lines were rejected', async () => {
    const before = await everything();
    const parts: Uint8Array[] = [
      Buffer.from('{"_time":"2024-06-01T00:00:00Z","_msg":"good 1"}\n'),
      Buffer.from('{bad json\n'),
      Buffer.from('[1,2]\n'),
      Buffer.from('"just a string"\n'),
      Buffer.from('{"_time":"yesterday","_msg":"x"}\n'),
      Buffer.from('{"_time":true,"_msg":"x"}\n'),
      Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]), // {"<bad utf-8>"}
      Buffer.from('{"_time":"2024-02-30T00:00:00Z","_msg":"no such day"}\n'),
      Buffer.from('{"_time":"2024-06-01T00:00:01Z","_msg":"good 2"}\n'),
    ];
    const r = await post(Buffer.concat(parts));
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(2);
    expect(r.body.rejected).toBe(7);
    expect(r.body.errors).toHaveLength(5);
    expect(r.body.errors.map((e: string) => e.slice(0, e.indexOf(':')))).toEqual(['line 2', 'line 3', 'line 4', 'line 5', 'line 6']);
    expect(r.body.errors[0]).toMatch(/^line 2: not valid JSON/);
    expect(r.body.errors[1]).toBe('line 3: expected a JSON object, got an array');
    expect(r.body.errors[3]).toMatch(/^line 5: cannot parse the time field '_time': 'yesterday'/);
    const after = await everything();
    expect(after.filter((e) => !before.some((b) => b.tsNs === e.tsNs && b.message === e.message)).map((e) => e.message)).toEqual(['good 1', 'good 2']);
  });

  it('answers 400 when no line can be stored, and stores nothing', async () => {
    const before = await everything();
    const r = await post('{nope\n{"_time":"not a time"}\n');
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('INVALID_BODY');
    expect(r.body.error.message).toMatch(/no line of the body could be stored \(2 rejected\): line 1: .*; line 2: /);
    expect(await everything()).toEqual(before);
  });

  it('answers 200 with nothing stored for an empty body', async () => {
    expect((await post('')).body).toEqual({ accepted: 0, rejected: 0, errors: [] });
    expect((await post('\n\n')).body).toEqual({ accepted: 0, rejected: 0, errors: [] });
  });

  it('refuses bad options, media types, encodings and methods with 4xx JSON, data intact', async () => {
    const before = await everything();
    const line = '{"_time":"2024-07-01T00:00:00Z","_msg":"must not be stored"}';
    const cases: Array<[Promise<{ status: number; body: any }>, number, string]> = [
      [post(line, { query: 'extra_fields=novalue' }), 400, 'BAD_REQUEST'],
      [post(line, { headers: { 'VL-Extra-Fields': '=x' } }), 400, 'BAD_REQUEST'],
      [post(line, { query: 'debug=maybe' }), 400, 'BAD_REQUEST'],
      [post(line, { headers: { 'content-type': 'application/x-protobuf' } }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [post(line, { headers: { 'content-encoding': 'br' } }), 415, 'UNSUPPORTED_ENCODING'],
      [post(Buffer.from('not gzip at all'), { headers: { 'content-encoding': 'gzip' } }), 400, 'INVALID_BODY'],
      [getJson(`${url}/insert/jsonline`), 405, 'METHOD_NOT_ALLOWED'],
    ];
    for (const [p, status, code] of cases) {
      const r = await p;
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect(r.body.error.code).toBe(code);
      expect(typeof r.body.error.message).toBe('string');
    }
    expect(await everything()).toEqual(before);
  });

  it('answers 413 for a body or a decompressed body over the limit', async () => {
    const small = await startServer({ server: { maxBodyBytes: 4096 } });
    try {
      const big = `{"_msg":"${'a'.repeat(5000)}"}\n`;
      const send = (body: string | Uint8Array, headers: Record<string, string> = {}) =>
        getJson(`${small.url}/insert/jsonline`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', ...headers }, body: body as BodyInit });
      for (const r of [await send(big), await send(gzipSync(Buffer.from(big)), { 'content-encoding': 'gzip' })]) {
        expect(r.status).toBe(413);
        expect(r.body.error.code).toBe('BODY_TOO_LARGE');
      }
      const ok = await send('{"_msg":"fits"}');
      expect(ok.body).toEqual({ accepted: 1, rejected: 0, errors: [] });
      const all = (await small.tl.logs.query({ limit: 100 })).entries;
      expect(all.map((e) => e.message)).toEqual(['fits']);
    } finally {
      await small.close();
    }
  });

  it('debug=1 answers what would be stored and stores nothing', async () => {
    const before = await everything();
    const r = await post('{"_time":"2024-08-01T00:00:00.5Z","_msg":"dry run","level":"error","k":"v","svc":"a"}\n{oops', { query: 'debug=1&_stream_fields=svc' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      debug: true,
      accepted: 0,
      rejected: 1,
      errors: [expect.stringMatching(/^line 2: not valid JSON/)],
      entries: [{ tsNs: String(ns('2024-08-01T00:00:00.5Z')), message: 'dry run', level: 'error', attributes: { k: 'v' }, resource: { svc: 'a' } }],
    });
    expect(await everything()).toEqual(before);
  });
});
