// Codecs of the Prometheus / VictoriaMetrics ingest routes, without HTTP: snappy (hand-built vectors
// from the format description, round trips, corrupt-input fuzzing), remote write protobuf (golden
// bytes, round trips, malformed input), the text exposition parser, the series selector parser, and
// VictoriaMetrics JSON lines and time arguments.
import { describe, expect, it } from 'vitest';
import { snappyCompress, snappyDecompress, SnappyError, SnappyTooLargeError } from '../src/server/protocols/snappy.js';
import { decodeWriteRequest, decodeWriteRequestPoints, encodeMetadata, encodeWriteRequest } from '../src/server/protocols/remote-write.js';
import { ProtobufError } from '../src/server/protocols/protobuf.js';
import { hashBytes, SeriesCache } from '../src/server/protocols/series-cache.js';
import { parsePromText, PromTextError } from '../src/server/protocols/prom-text.js';
import { parseSeriesSelector, SelectorError } from '../src/server/protocols/series-selector.js';
import { parseVmImport, parseVmTime, serializeVmLine, VmImportError, VmTimeError } from '../src/server/protocols/vm-import.js';
import { Prng } from '../bench/gen/prng.js';

/** Seeded floats in [0, 1) (bench/gen/prng.ts) so failures reproduce. */
function rng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.float();
}

const bytes = (...parts: Array<number | string | number[]>): Uint8Array => {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') for (const ch of Buffer.from(p, 'latin1')) out.push(ch);
    else out.push(...p);
  }
  return Uint8Array.from(out);
};
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

describe('snappy', () => {
  it('decodes hand-built vectors of every element kind', () => {
    // empty
    expect(snappyDecompress(bytes(0x00), 100)).toEqual(new Uint8Array(0));
    // one literal (tag (5-1)<<2)
    expect(text(snappyDecompress(bytes(0x05, 0x10, 'hello'), 100))).toBe('hello');
    // literal + copy with 1-byte offset: len 8 = 4+4 → tag (4<<2)|1, offset 4
    expect(text(snappyDecompress(bytes(0x0c, 0x0c, 'abcd', 0x11, 0x04), 100))).toBe('abcdabcdabcd');
    // overlapping copies with 2-byte offset (len 64) then 1-byte offset (len 5): 70 × 'a'
    expect(text(snappyDecompress(bytes(70, 0x00, 'a', 0xfe, 0x01, 0x00, 0x05, 0x01), 100))).toBe('a'.repeat(70));
    // copy with 4-byte offset: len 6, offset 3
    expect(text(snappyDecompress(bytes(9, 0x08, 'xyz', 0x17, 0x03, 0x00, 0x00, 0x00), 100))).toBe('xyzxyzxyz');
    // a 100-byte literal: tag 60<<2 then one byte of length-1; a two-byte preamble (300)
    const lit = 'q'.repeat(100);
    expect(text(snappyDecompress(bytes(100, 0xf0, 99, lit), 1000))).toBe(lit);
    const long = 'z'.repeat(300);
    expect(text(snappyDecompress(bytes(0xac, 0x02, 0xf4, 0x2b, 0x01, long), 1000))).toBe(long);
    // copy-1 with offset bits in the tag: offset 0x105 (high bits 1 → tag bits 5..7)
    const head = Array.from({ length: 0x105 }, (_, i) => i & 0xff);
    const out = snappyDecompress(bytes(0x105 + 4 & 0x7f | 0x80, (0x105 + 4) >> 7, 0xf4, 0x04, 0x01, head, 0x21, 0x05), 1000);
    expect(Array.from(out.subarray(0x105))).toEqual(head.slice(0, 4));
  });

  it('refuses corrupt input with SnappyError', () => {
    const bad: Array<[string, Uint8Array]> = [
      ['empty buffer', bytes()],
      ['truncated preamble', bytes(0x80)],
      ['preamble over 32 bits', bytes(0xff, 0xff, 0xff, 0xff, 0x7f)],
      ['literal past the end', bytes(5, 0x10, 'hel')],
      ['truncated literal length', bytes(100, 0xf0)],
      ['copy before any output', bytes(4, 0x01, 0x01)],
      ['copy offset 0', bytes(8, 0x0c, 'abcd', 0x01, 0x00)],
      ['copy offset beyond output', bytes(9, 0x0c, 'abcd', 0x05, 0x09)],
      ['output shorter than declared', bytes(6, 0x10, 'hello')],
      ['output longer than declared', bytes(4, 0x10, 'hello')],
      ['declared size impossible for the input', bytes(0xff, 0xff, 0xff, 0x0f, 0x00, 'a')],
      ['truncated 2-byte copy', bytes(8, 0x0c, 'abcd', 0x0e, 0x04)],
      ['truncated 4-byte copy', bytes(8, 0x0c, 'abcd', 0x0f, 0x04, 0x00)],
    ];
    for (const [what, b] of bad) {
      expect(() => snappyDecompress(b, 1 << 30), what).toThrow(SnappyError);
    }
  });

  it('refuses a declared size above the limit before allocating (413 material)', () => {
    const c = snappyCompress(new Uint8Array(5000));
    expect(() => snappyDecompress(c, 4999)).toThrow(SnappyTooLargeError);
    expect(snappyDecompress(c, 5000)).toHaveLength(5000);
  });

  it('round-trips text, random and mixed data across block boundaries, and compresses what repeats', () => {
    const r = rng(1);
    const sizes = [0, 1, 3, 4, 15, 16, 17, 18, 60, 61, 255, 256, 1000, 65535, 65536, 65537, 140_000];
    for (const n of sizes) {
      const random = new Uint8Array(n);
      for (let i = 0; i < n; i++) random[i] = Math.floor(r() * 256);
      const words = ['up', 'job', 'instance', 'http_requests_total', '{le="0.5"}', '1700000000000', ' ', '\n'];
      let t = '';
      while (t.length < n) t += words[Math.floor(r() * words.length)];
      const textual = Uint8Array.from(Buffer.from(t.slice(0, n), 'latin1'));
      const mixed = new Uint8Array(n);
      for (let i = 0; i < n; i++) mixed[i] = i % 1000 < 500 ? textual[i] : random[i];
      const runs = new Uint8Array(n).fill(7);
      for (const input of [random, textual, mixed, runs]) {
        const c = snappyCompress(input);
        expect(snappyDecompress(c, n)).toEqual(input);
      }
      if (n >= 1000) {
        expect(snappyCompress(textual).length).toBeLessThan(n / 2);
        // A copy yields at most 64 bytes per 3 bytes: ~21x is the format's ceiling.
        expect(snappyCompress(runs).length).toBeLessThan(n / 15);
        expect(snappyCompress(random).length).toBeLessThan(n + n / 6 + 32);
      }
    }
  });

  it('never fails with anything but SnappyError on mutated input (fuzz)', () => {
    const r = rng(42);
    const base = Buffer.from('remote_write sample '.repeat(200) + 'tail'.repeat(50), 'latin1');
    const good = snappyCompress(base);
    let threw = 0;
    let decoded = 0;
    for (let iter = 0; iter < 3000; iter++) {
      const b = Uint8Array.from(good);
      const kind = iter % 3;
      if (kind === 0) for (let k = 0; k < 1 + Math.floor(r() * 4); k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      let input: Uint8Array = b;
      if (kind === 1) input = b.subarray(0, Math.floor(r() * b.length));
      if (kind === 2) {
        input = new Uint8Array(1 + Math.floor(r() * 64));
        for (let i = 0; i < input.length; i++) input[i] = Math.floor(r() * 256);
      }
      try {
        const out = snappyDecompress(input, 1 << 20);
        expect(out).toBeInstanceOf(Uint8Array);
        decoded++;
      } catch (err) {
        expect(err).toBeInstanceOf(SnappyError);
        threw++;
      }
    }
    expect(threw).toBeGreaterThan(1000);
    expect(threw + decoded).toBe(3000);
  });
});

describe('remote write protobuf', () => {
  it('encodes the wire bytes the proto definition prescribes', () => {
    const got = encodeWriteRequest([{ labels: { __name__: 'up' }, samples: [{ tsMs: 1, value: 1 }] }]);
    const one = [0, 0, 0, 0, 0, 0, 0xf0, 0x3f]; // 1.0 as little-endian double
    const expected = bytes(0x0a, 0x1d, 0x0a, 0x0e, 0x0a, 0x08, '__name__', 0x12, 0x02, 'up', 0x12, 0x0b, 0x09, one, 0x10, 0x01);
    expect(Array.from(got)).toEqual(Array.from(expected));
  });

  it('round-trips labels (sorted, empty dropped, unicode) and every kind of value and timestamp', () => {
    const series = [
      {
        labels: { __name__: 'http_requests_total', zone: 'eu', Alpha: 'A', job: 'api', path: '/é/ü/😀', empty: '' },
        samples: [
          { tsMs: 1_700_000_000_000, value: 1.5 },
          { tsMs: 1_700_000_000_001, value: NaN },
          { tsMs: 1_700_000_000_002, value: Infinity },
          { tsMs: 1_700_000_000_003, value: -Infinity },
          { tsMs: 1_700_000_000_004, value: -0 },
          { tsMs: 0, value: 0 },
          { tsMs: -5, value: 5e-324 },
          { tsMs: 2 ** 53 - 1, value: Number.MAX_VALUE },
        ],
      },
      { labels: { __name__: 'up' }, samples: [] },
    ];
    const decoded = decodeWriteRequest(encodeWriteRequest(series));
    expect(decoded.metadata).toEqual([]);
    expect(decoded.series).toHaveLength(2);
    const { empty: _e, ...kept } = series[0].labels;
    expect(decoded.series[0].labels).toEqual(kept);
    expect(Object.keys(decoded.series[0].labels)).toEqual(['Alpha', '__name__', 'job', 'path', 'zone']);
    const s = decoded.series[0].samples;
    expect(s.map((x) => x.tsMs)).toEqual(series[0].samples.map((x) => x.tsMs));
    for (let i = 0; i < s.length; i++) expect(Object.is(s[i].value, series[0].samples[i].value), `sample ${i}`).toBe(true);
    expect(decoded.series[1]).toEqual({ labels: { __name__: 'up' }, samples: [], histograms: 0, exemplars: 0 });
  });

  it('reads fields in any order, default-valued samples, unknown fields and metadata', () => {
    // TimeSeries with a sample first, an unknown varint field 9, then the label; an empty Sample.
    const label = bytes(0x0a, 0x01, 'a', 0x12, 0x01, 'b');
    const nameLabel = bytes(0x0a, 0x08, '__name__', 0x12, 0x01, 'm');
    const sample = bytes(0x10, 0x07, 0x09, [0, 0, 0, 0, 0, 0, 0x00, 0x40]); // ts 7, value 2 (fields swapped)
    const ts = bytes(0x12, sample.length, sample, 0x48, 0x01, 0x0a, label.length, label, 0x12, 0x00, 0x0a, nameLabel.length, nameLabel);
    const meta = encodeMetadata([{ type: 'counter', family: 'm', help: 'help text', unit: 'seconds' }]);
    const body = Buffer.concat([bytes(0x0a, ts.length, ts), meta]);
    const d = decodeWriteRequest(body);
    expect(d.series).toEqual([{ labels: { a: 'b', __name__: 'm' }, samples: [{ tsMs: 7, value: 2 }, { tsMs: 0, value: 0 }], histograms: 0, exemplars: 0 }]);
    expect(d.metadata).toEqual([{ type: 'counter', family: 'm', help: 'help text', unit: 'seconds' }]);
  });

  it('decodes to WritePoints reusing one labels object per series across requests', () => {
    const body = encodeWriteRequest([
      { labels: { __name__: 'cpu', host: 'a' }, samples: [{ tsMs: 10, value: 1 }, { tsMs: 20, value: 2 }] },
      { labels: { __name__: 'cpu', host: 'b' }, samples: [{ tsMs: 10, value: 3 }] },
    ]);
    const cache = new SeriesCache();
    const a = decodeWriteRequestPoints(body, cache);
    const b = decodeWriteRequestPoints(body, cache);
    expect(a.rejected).toBe(0);
    expect(a.points).toEqual([
      { name: 'cpu', labels: { host: 'a' }, value: 1, tsMs: 10 },
      { name: 'cpu', labels: { host: 'a' }, value: 2, tsMs: 20 },
      { name: 'cpu', labels: { host: 'b' }, value: 3, tsMs: 10 },
    ]);
    expect(a.points[0].labels).toBe(a.points[1].labels);
    expect(b.points[0].labels).toBe(a.points[0].labels);
    expect(b.points[2].labels).toBe(a.points[2].labels);
    expect(a.points[0].labels).not.toBe(a.points[2].labels);
  });

  it('counts series without a name, duplicate labels and native histograms as rejected', () => {
    const nameless = encodeWriteRequest([{ labels: { job: 'x' }, samples: [{ tsMs: 1, value: 1 }, { tsMs: 2, value: 2 }] }]);
    const histogram = bytes(0x0a, 0x08, '__name__', 0x12, 0x01, 'h');
    const tsWithHist = bytes(0x0a, histogram.length, histogram, 0x22, 0x02, 0x08, 0x01, 0x22, 0x00, 0x12, 0x0b, 0x09, [0, 0, 0, 0, 0, 0, 0xf0, 0x3f], 0x10, 0x05);
    const dupLabels = bytes(0x0a, 0x05, 0x0a, 0x01, 'a', 0x12, 0x00, 0x0a, 0x05, 0x0a, 0x01, 'a', 0x12, 0x00, 0x12, 0x00);
    const proto = encodeWriteRequest([{ labels: { __name__: 'p', ['__proto__']: 'x' }, samples: [{ tsMs: 1, value: 1 }] }]);
    const body = Buffer.concat([nameless, bytes(0x0a, tsWithHist.length, tsWithHist), bytes(0x0a, dupLabels.length, dupLabels), proto]);
    const d = decodeWriteRequestPoints(body, new SeriesCache());
    expect(d.points).toEqual([{ name: 'h', labels: {}, value: 1, tsMs: 5 }]);
    expect(d.rejected).toBe(2 + 2 + 1 + 1);
    expect(d.reasons.join('\n')).toMatch(/"__proto__" is not supported/);
    expect(d.reasons[0]).toMatch(/2 native histogram samples in 1 series refused/);
    expect(d.reasons.join('\n')).toMatch(/no __name__/);
    expect(d.reasons.join('\n')).toMatch(/duplicate label name "a"/);
  });

  it('refuses malformed messages with ProtobufError, never anything else (fuzz)', () => {
    const body = encodeWriteRequest([
      { labels: { __name__: 'm', a: 'b' }, samples: [{ tsMs: 1_700_000_000_000, value: 1 }] },
      { labels: { __name__: 'n', c: 'd' }, samples: [{ tsMs: 1_700_000_000_000, value: 2 }] },
    ]);
    expect(() => decodeWriteRequest(body.subarray(0, body.length - 3))).toThrow(ProtobufError);
    // A Label whose length runs past its TimeSeries (but not past the buffer).
    const crossing = bytes(0x0a, 0x04, 0x0a, 0x05, 0x0a, 0x01, 'x', 0x12, 0x00);
    expect(() => decodeWriteRequest(crossing)).toThrow(ProtobufError);
    const r = rng(7);
    let failures = 0;
    for (let iter = 0; iter < 3000; iter++) {
      const b = Uint8Array.from(body);
      for (let k = 0; k < 1 + Math.floor(r() * 3); k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      const input = iter % 2 === 0 ? b : b.subarray(0, Math.floor(r() * b.length));
      try {
        decodeWriteRequestPoints(input, new SeriesCache());
        decodeWriteRequest(input);
      } catch (err) {
        expect(err).toBeInstanceOf(ProtobufError);
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(500);
  });
});

describe('series cache', () => {
  it('keys by exact bytes, survives hash collisions, freezes what it hands out, and starts over at its bound', () => {
    const cache = new SeriesCache(3);
    const buf = Buffer.from('xxabcdabce');
    const a = { name: 'a', labels: Object.freeze({ k: '1' }) };
    const b = { name: 'b', labels: Object.freeze({ k: '2' }) };
    // Same forced hash for different bytes: both live in one chain.
    cache.setBytes(buf, 2, 6, a, 7);
    cache.setBytes(buf, 6, 10, b, 7);
    expect(cache.getBytes(buf, 2, 6, 7)).toBe(a);
    expect(cache.getBytes(buf, 6, 10, 7)).toBe(b);
    expect(cache.getBytes(Buffer.from('abcd'), 0, 4, 7)).toBe(a);
    expect(cache.getBytes(buf, 2, 5, 7)).toBeUndefined();
    // The key is a copy: changing the request buffer afterwards does not change the entry.
    buf[2] = 0x7a;
    expect(cache.getBytes(Buffer.from('abcd'), 0, 4, 7)).toBe(a);
    expect(hashBytes(Buffer.from('abcd'), 0, 4)).not.toBe(hashBytes(Buffer.from('abce'), 0, 4));
    expect(hashBytes(Buffer.from('..abcde'), 2, 7)).toBe(hashBytes(Buffer.from('abcde'), 0, 5));
    cache.set('text', a);
    expect(cache.size).toBe(3);
    cache.set('more', b); // over the bound: everything before is dropped
    expect(cache.size).toBe(1);
    expect(cache.get('text')).toBeUndefined();
    expect(cache.get('more')).toBe(b);
    // Decoders hand out frozen labels: a consumer mutating them would corrupt later requests.
    const d = decodeWriteRequestPoints(encodeWriteRequest([{ labels: { __name__: 'm', a: 'b' }, samples: [{ tsMs: 1, value: 1 }] }]), new SeriesCache());
    expect(Object.isFrozen(d.points[0].labels)).toBe(true);
    expect(Object.isFrozen(parsePromText('m{a="b"} 1', { defaultTsMs: 1 }).points[0].labels)).toBe(true);
    expect(Object.isFrozen(parseVmImport('{"metric":{"__name__":"m"},"values":[1],"timestamps":[1]}')[0].labels)).toBe(true);
  });
});

describe('Prometheus text parser', () => {
  const T = 1_700_000_000_000;

  it('reads samples, escapes, special values, timestamps and metadata', () => {
    const body = [
      '# A plain comment',
      '# HELP http_requests_total Requests\\\\served, by \\n path. \\t kept',
      '# TYPE http_requests_total counter',
      'http_requests_total{path="/a\\"b\\\\c\\nd",code="200"} 1027 1395066363000',
      'http_requests_total{ path = "/x" , code="500", } 3',
      '',
      '   \t',
      'temp{room="t\\tab"}\t+Inf',
      'temp{room="n"} -Inf -5',
      'temp{room="nan"} NaN',
      'temp{room="e"} 1.5e3\r',
      'temp{room="dot"} -.5',
      'untyped_thing 42',
      '# TYPE up untyped',
      'up{} 1',
      '# EOF',
    ].join('\n');
    const cache = new SeriesCache();
    const { points, metadata } = parsePromText(body, { defaultTsMs: T, cache });
    expect(points.map((p) => [p.name, p.labels, p.value, p.tsMs])).toEqual([
      ['http_requests_total', { path: '/a"b\\c\nd', code: '200' }, 1027, 1395066363000],
      ['http_requests_total', { path: '/x', code: '500' }, 3, T],
      ['temp', { room: 't\\tab' }, Infinity, T],
      ['temp', { room: 'n' }, -Infinity, -5],
      ['temp', { room: 'nan' }, NaN, T],
      ['temp', { room: 'e' }, 1500, T],
      ['temp', { room: 'dot' }, -0.5, T],
      ['untyped_thing', {}, 42, T],
      ['up', {}, 1, T],
    ]);
    expect(Object.fromEntries(metadata)).toEqual({
      http_requests_total: { type: 'counter', help: 'Requests\\served, by \n path. \\t kept' },
      up: { type: 'unknown' },
    });
    // Labels objects are reused for the same series text, across calls.
    const again = parsePromText('temp{room="nan"} 1\n', { defaultTsMs: T, cache });
    expect(again.points[0].labels).toBe(points[4].labels);
  });

  it('numbers every malformed line', () => {
    const cases: Array<[string, number, RegExp]> = [
      ['ok 1\nbad{a="b" 1\n', 2, /expected "," or "}"/],
      ['ok 1\n\n\nx{a="unterminated} 1', 4, /unterminated value/],
      ['x{a="1",a="2"} 1', 1, /duplicate label name a/],
      ['x 1\nx', 2, /has no value/],
      ['x abc', 1, /not a number/],
      ['x 1 1.5', 1, /integer number of milliseconds/],
      ['x 1 2 3', 1, /unexpected "3"/],
      ['# TYPE x widget', 1, /unknown metric type "widget"/],
      ['# TYPE x gaugehistogram', 1, /unknown metric type/],
      ['# HELP 1x text', 1, /valid metric name/],
      ['9x 1', 1, /expected a metric name/],
      ['x{9="a"} 1', 1, /expected a label name/],
      ['x{a=b} 1', 1, /quoted value/],
      ['x 1 # exemplar', 1, /unexpected/],
      ['x{__proto__="a"} 1', 1, /not supported/],
    ];
    for (const [body, line, re] of cases) {
      let err: unknown;
      try {
        parsePromText(body, { defaultTsMs: T });
      } catch (e) {
        err = e;
      }
      expect(err, body).toBeInstanceOf(PromTextError);
      expect((err as PromTextError).line, body).toBe(line);
      expect((err as Error).message, body).toMatch(re);
    }
  });

  it('reads OpenMetrics: second timestamps, UNIT, extra types, exemplars, # EOF', () => {
    const body = [
      '# TYPE req counter',
      '# UNIT req requests',
      '# HELP req Requests with \\"quotes\\".',
      'req_total{a="1"} 5 1700000000.123 # {trace_id="abc"} 1 1700000000.0',
      'req_created{a="1"} 1699999999 1700000000',
      '# TYPE lat gaugehistogram',
      'lat_bucket{le="+Inf"} 3 1700000001',
      '# TYPE build info',
      'build_info{version="1"} 1',
      '# TYPE st stateset',
      '# EOF',
    ].join('\n');
    const { points, metadata } = parsePromText(body, { openMetrics: true, defaultTsMs: T });
    expect(points.map((p) => [p.name, p.value, p.tsMs])).toEqual([
      ['req_total', 5, 1_700_000_000_123],
      ['req_created', 1699999999, 1_700_000_000_000],
      ['lat_bucket', 3, 1_700_000_001_000],
      ['build_info', 1, T],
    ]);
    expect(Object.fromEntries(metadata)).toEqual({
      req: { type: 'counter', unit: 'requests', help: 'Requests with "quotes".' },
      lat: { type: 'histogram' },
      build: { type: 'gauge' },
      st: { type: 'gauge' },
    });
    expect(() => parsePromText('x 1\n', { openMetrics: true, defaultTsMs: T })).toThrow(/must end with "# EOF"/);
    expect(() => parsePromText('x 1\n# EOF\nx 2\n', { openMetrics: true, defaultTsMs: T })).toThrow(/line 3: content after "# EOF"/);
    expect(parsePromText('x 1\n# EOF\n\n', { openMetrics: true, defaultTsMs: T }).points).toHaveLength(1);
  });
});

describe('series selector parser', () => {
  it('parses names, every matcher op, string forms and escapes', () => {
    expect(parseSeriesSelector('up')).toEqual({ name: 'up', matchers: [] });
    expect(parseSeriesSelector(' ns:metric_total { } ')).toEqual({ name: 'ns:metric_total', matchers: [] });
    expect(parseSeriesSelector('foo{a="b",c!="d",e=~"f.*",g!~"h",}')).toEqual({
      name: 'foo',
      matchers: [
        { label: 'a', op: '=', value: 'b' },
        { label: 'c', op: '!=', value: 'd' },
        { label: 'e', op: '=~', value: 'f.*' },
        { label: 'g', op: '!~', value: 'h' },
      ],
    });
    expect(parseSeriesSelector('{__name__=~"node_.+", job = "x"}')).toEqual({
      matchers: [
        { label: '__name__', op: '=~', value: 'node_.+' },
        { label: 'job', op: '=', value: 'x' },
      ],
    });
    expect(parseSeriesSelector('{__name__="foo",a="b"}')).toEqual({ name: 'foo', matchers: [{ label: 'a', op: '=', value: 'b' }] });
    expect(parseSeriesSelector(String.raw`m{a="q\"\\\n\t\u00e9\x41\101\U0001F600", b='it\'s', c=` + '`\\d+"`}').matchers).toEqual([
      { label: 'a', op: '=', value: 'q"\\\n\t\u00e9AA\u{1F600}' },
      { label: 'b', op: '=', value: "it's" },
      { label: 'c', op: '=', value: '\\d+"' },
    ]);
  });

  it('refuses what Prometheus refuses', () => {
    const bad: Array<[string, RegExp]> = [
      ['', /metric name or '\{'/],
      ['{}', /at least one matcher/],
      ['{a=""}', /at least one matcher/],
      ['{a=~".*"}', /at least one matcher/],
      ['{a!~".+"}', /at least one matcher/],
      ['foo{__name__="bar"}', /set twice/],
      ['foo{a="b"', /expected ',' or '}'|unclosed/],
      ['foo[5m]', /unexpected/],
      ['foo{a~"b"}', /expected one of/],
      ['foo{a="b"} bar', /unexpected/],
      ['{a=~"("}', /invalid regular expression/],
      ['{1a="b"}', /expected a label name/],
      ['foo{a="b\\q"}', /unknown escape/],
      ['foo{a="unterminated}', /unterminated/],
      ["foo{a='x\\\"'}", /unknown escape/],
      ['sum(foo)', /unexpected/],
    ];
    for (const [text, re] of bad) {
      expect(() => parseSeriesSelector(text), text).toThrow(SelectorError);
      expect(() => parseSeriesSelector(text), text).toThrow(re);
    }
  });
});

describe('VictoriaMetrics JSON lines', () => {
  it('round-trips every value kind through serialize and parse', () => {
    const tsMs = [1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_002, 1_700_000_000_003, 1_700_000_000_004, 1_700_000_000_005];
    const values = [1.25, NaN, Infinity, -Infinity, -0, 1e300];
    const line = serializeVmLine('m', { job: 'a"b', zone: 'é' }, tsMs, values);
    expect(line).toBe(
      '{"metric":{"__name__":"m","job":"a\\"b","zone":"é"},"values":[1.25,null,"Infinity","-Infinity",-0,1e+300],' +
        '"timestamps":[1700000000000,1700000000001,1700000000002,1700000000003,1700000000004,1700000000005]}\n',
    );
    const points = parseVmImport(line + '\r\n\n' + serializeVmLine('m', { job: 'a"b', zone: 'é' }, [1], [2], 0, 1));
    expect(points).toHaveLength(7);
    expect(points.map((p) => p.tsMs)).toEqual([...tsMs, 1]);
    points.slice(0, 6).forEach((p, i) => expect(Object.is(p.value, values[i]), `value ${i}`).toBe(true));
    expect(points[0]).toMatchObject({ name: 'm', labels: { job: 'a"b', zone: 'é' } });
    expect(points[6].labels).toBe(points[0].labels);
    expect(serializeVmLine('m', {}, [1, 2, 3], [4, 5, 6], 1, 3)).toBe('{"metric":{"__name__":"m"},"values":[5,6],"timestamps":[2,3]}\n');
  });

  it('reads VictoriaMetrics special value spellings', () => {
    const p = parseVmImport('{"metric":{"__name__":"x"},"values":[null,"NaN","nan","Inf","-inf","infinity","-Infinity"],"timestamps":[1,2,3,4,5,6,7]}');
    expect(p.map((x) => x.value)).toEqual([NaN, NaN, NaN, Infinity, -Infinity, Infinity, -Infinity]);
  });

  it('numbers malformed lines', () => {
    const ok = '{"metric":{"__name__":"x"},"values":[1],"timestamps":[1]}';
    const cases: Array<[string, number, RegExp]> = [
      [`${ok}\n{"metric":`, 2, /not valid JSON/],
      [`${ok}\n\n[1,2]`, 3, /expected an object/],
      ['{"values":[1],"timestamps":[1]}', 1, /missing "metric"/],
      ['{"metric":{"job":"a"},"values":[1],"timestamps":[1]}', 1, /no "__name__"/],
      ['{"metric":{"__name__":"x","n":1},"values":[1],"timestamps":[1]}', 1, /label "n" must be a string/],
      ['{"metric":{"__name__":"x"},"values":[1,2],"timestamps":[1]}', 1, /must match/],
      ['{"metric":{"__name__":"x"},"values":[],"timestamps":[]}', 1, /missing "values"/],
      ['{"metric":{"__name__":"x"},"values":[1],"timestamps":[1.5]}', 1, /integer milliseconds/],
      ['{"metric":{"__name__":"x"},"values":["one"],"timestamps":[1]}', 1, /not a number/],
      ['{"metric":{"__name__":"x"},"values":[true],"timestamps":[1]}', 1, /not a number/],
      ['{"metric":{"__name__":"x","__proto__":"y"},"values":[1],"timestamps":[1]}', 1, /not supported/],
    ];
    for (const [body, line, re] of cases) {
      let err: unknown;
      try {
        parseVmImport(body);
      } catch (e) {
        err = e;
      }
      expect(err, body).toBeInstanceOf(VmImportError);
      expect((err as VmImportError).line, body).toBe(line);
      expect((err as Error).message, body).toMatch(re);
    }
  });

  it('reads time arguments the way VictoriaMetrics does', () => {
    const now = 1_750_000_000_000;
    const good: Array<[string, number]> = [
      ['2019Z', 1546300800000],
      ['2019', 1546300800000],
      ['2019-02Z', 1548979200000],
      ['2019-02-02', 1549065600000],
      ['2019-02-02T01Z', 1549069200000],
      ['2019-02-02T01:01Z', 1549069260000],
      ['2019-02-02T01:01:01Z', 1549069261000],
      ['2020-02-21T16:07:49.433Z', 1582301269433],
      ['2019-07-07T20:47:40+03:00', 1562521660000],
      ['1562529662.324', 1562529662324],
      ['1223372036.855', 1223372036855],
      ['1562529662', 1562529662000],
      ['1562529662324', 1562529662324],
      ['1562529662324000', 1562529662324],
      ['1562529662324000000', 1562529662324],
      ['1.5e9', 1_500_000_000_000],
      ['now', now],
      ['1h', now - 3_600_000],
      ['-1h5m', now - 3_900_000],
      ['now-30s', now - 30_000],
      ['-292273086-05-16T16:47:06Z', 0],
      ['292277025-08-18T07:12:54.999999999Z', Number.MAX_SAFE_INTEGER],
    ];
    for (const [s, want] of good) expect(parseVmTime(s, now), s).toBe(want);
    for (const s of ['foo', 'foo1', '2022-x7', '2022-02-02Tx7', '123md', '-12.3md', '2019-07-07T20:01:02Zisdf', '']) {
      expect(() => parseVmTime(s, now), s).toThrow(VmTimeError);
    }
  });
});
