// The bench CLI in --metrics-csv mode, end to end on small files written to a temp dir, plus the
// parsing and fuzz helpers it relies on. Runs the built CLI (dist/bench/run.js; `npm test` builds).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Prng } from '../bench/gen/prng.js';
import { parseArgs } from '../bench/lib/args.js';
import { firstBitMismatch } from '../bench/lib/bits.js';
import { columnLayout } from '../bench/lib/columns.js';
import { CsvParseError, parseMetricsCsv, parseTimestampMs, SYNTHETIC_INTERVAL_MS } from '../bench/lib/csv.js';
import { mutate, randomMutation } from '../bench/lib/fuzz.js';
import { formatTable } from '../bench/lib/report.js';
import { median } from '../bench/lib/stats.js';
import { useBuiltBenchCli } from './bench-cli-harness.js';

describe('metrics CSV parsing', () => {
  it('reads NAB-style `YYYY-MM-DD HH:MM:SS` rows as UTC with a header', () => {
    const s = parseMetricsCsv('timestamp,value\n2014-02-14 14:30:00,0.132\n2014-02-14 14:35:00,0.20199999999999999\n', 'a.csv');
    expect(Array.from(s.tsMs)).toEqual([Date.UTC(2014, 1, 14, 14, 30), Date.UTC(2014, 1, 14, 14, 35)]);
    expect(Array.from(s.values)).toEqual([0.132, 0.20199999999999999]);
    expect(s.layout).toBe('timestamp,value');
  });

  it('detects epoch seconds, ms, µs and ns by magnitude, and ISO 8601 with zones', () => {
    const ms = Date.UTC(2024, 0, 2, 3, 4, 5);
    expect(parseTimestampMs(String(ms / 1000))).toBe(ms);
    expect(parseTimestampMs(String(ms))).toBe(ms);
    expect(parseTimestampMs(String(ms * 1000))).toBe(ms);
    expect(parseTimestampMs(String(ms) + '000000')).toBe(ms);
    expect(parseTimestampMs('2024-01-02T03:04:05Z')).toBe(ms);
    expect(parseTimestampMs('2024-01-02T03:04:05.250Z')).toBe(ms + 250);
    expect(parseTimestampMs('2024-01-02T05:04:05+02:00')).toBe(ms);
    expect(parseTimestampMs('2024-13-02 03:04:05')).toBeUndefined();
    expect(parseTimestampMs('yesterday')).toBeUndefined();
  });

  it('gives one-value-per-line files a regular 10 s interval', () => {
    const s = parseMetricsCsv('1.5\n2.5\nNaN\n-inf\n', 'v.csv');
    expect(s.layout).toBe('values');
    expect(s.tsMs[1] - s.tsMs[0]).toBe(SYNTHETIC_INTERVAL_MS);
    expect(s.values[2]).toBeNaN();
    expect(s.values[3]).toBe(-Infinity);
  });

  it('drops duplicate timestamps, keeping the first row', () => {
    const s = parseMetricsCsv('100000000000,1\n100000300000,2\n100000000000,3\n100000600000,4\n', 'd.csv');
    expect(Array.from(s.values)).toEqual([1, 2, 4]);
    expect(s.duplicatesDropped).toBe(1);
  });

  it('names the file and line of a bad row', () => {
    const bad = 'timestamp,value\n2014-02-14 14:30:00,1\n2014-02-14 14:35:00,abc\n';
    expect(() => parseMetricsCsv(bad, 'bad.csv')).toThrow(CsvParseError);
    expect(() => parseMetricsCsv(bad, 'bad.csv')).toThrow(/^bad\.csv:3: "abc" is not a number/);
    expect(() => parseMetricsCsv('1\n2\n3,4\n', 'mixed.csv')).toThrow(/^mixed\.csv:3:/);
    expect(() => parseMetricsCsv('timestamp,value\n', 'empty.csv')).toThrow(/no data points/);
  });
});

describe('bench helpers', () => {
  it('compares floats by bits (NaN payloads and -0 included)', () => {
    const a = new Float64Array([1, NaN, -0]);
    expect(firstBitMismatch(a, new Float64Array([1, NaN, -0]))).toBe(-1);
    expect(firstBitMismatch(a, new Float64Array([1, NaN, 0]))).toBe(2);
    const otherNaN = new Float64Array([1, NaN, -0]);
    new Uint32Array(otherNaN.buffer)[2] ^= 1; // same NaN to `===`-blind eyes, different payload
    expect(firstBitMismatch(a, otherNaN)).toBe(1);
    expect(firstBitMismatch(a, new Float64Array(2))).toBe(-2);
  });

  it('lays out delta-of-delta timestamps then raw values', () => {
    const bytes = columnLayout(new Float64Array([1000, 1010, 1030]), new Float64Array([1.5, 2, 3]));
    const v = new DataView(bytes.buffer);
    expect([0, 1, 2].map((i) => Number(v.getBigInt64(i * 8, true)))).toEqual([1000, 10, 10]);
    expect(v.getFloat64(24, true)).toBe(1.5);
  });

  it('mutations are seeded and change the input the way they say', () => {
    const input = new Prng(1).bytes(64);
    const one = randomMutation(new Prng(5), input);
    const two = randomMutation(new Prng(5), input);
    expect(Array.from(one.bytes)).toEqual(Array.from(two.bytes));
    const p = new Prng(9);
    expect(mutate(p, input, 'truncate').length).toBeLessThan(64);
    expect(mutate(p, input, 'insert').length).toBeGreaterThan(64);
    expect(mutate(p, input, 'remove').length).toBeLessThan(64);
    const flipped = mutate(p, input, 'bitflip');
    expect(flipped.length).toBe(64);
    expect(Array.from(flipped)).not.toEqual(Array.from(input));
  });

  it('median, table verdicts and argument parsing', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const table = formatTable([
      { key: 'a', label: 'small', value: 1.2, unit: 'B/pt', target: { op: '<=', value: 1.5 } },
      { key: 'b', label: 'fast', value: 20, unit: 'M pts/s', target: { op: '>=', value: 30 } },
    ]);
    expect(table).toMatch(/small .*1\.20 B\/pt.*<= 1\.50\s+ok/);
    expect(table).toMatch(/fast .*MISS/);
    expect(parseArgs(['--json', '--metrics-csv', 'a.csv', 'b.csv'])).toMatchObject({ json: true, metricsCsv: ['a.csv', 'b.csv'] });
    expect(parseArgs(['codec.nab', '--quick'])).toMatchObject({ quick: true, selectors: ['codec.nab'] });
    expect(() => parseArgs(['--bogus'])).toThrow(/unknown option --bogus/);
  });
});

describe('npm run bench -- --metrics-csv (built CLI)', () => {
  const cli = useBuiltBenchCli({
    tmpPrefix: 'timeless-bench-cli-',
    timeoutMs: 60_000,
    setup: (dir) => {
      const prng = new Prng(3);
      const rows = ['timestamp,value'];
      let v = 20;
      for (let i = 0; i < 20_000; i++) {
        v = Math.round((v + prng.normal()) * 100) / 100;
        rows.push(`${new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString().replace('T', ' ').slice(0, 19)},${v}`);
      }
      rows.splice(500, 0, rows[100]); // a duplicate timestamp (DST-style), must be dropped
      writeFileSync(path.join(dir, 'gauge.csv'), rows.join('\n') + '\n');
      const values = Array.from({ length: 3000 }, (_, i) => String(i % 17 === 0 ? 'NaN' : (i * 0.25) % 7));
      writeFileSync(path.join(dir, 'values.txt'), values.join('\n'));
      writeFileSync(path.join(dir, 'epoch.csv'), Array.from({ length: 100 }, (_, i) => `${1700000000 + i * 15},${i % 3}`).join('\n'));
      writeFileSync(path.join(dir, 'bad.csv'), 'timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:01:00,oops\n');
    },
  });
  const run = cli.run;

  it('prints a table and, with --json, one JSON object as the last stdout line', () => {
    const files = ['gauge.csv', 'values.txt', 'epoch.csv'].map((f) => path.join(cli.dir(), f));
    const r = run('--metrics-csv', ...files, '--json');
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const report = JSON.parse(lines[lines.length - 1]);
    expect(report.files.map((f: { file: string }) => f.file)).toEqual(files);
    expect(report.files.map((f: { points: number }) => f.points)).toEqual([20_000, 3000, 100]);
    expect(report.files[0].duplicatesDropped).toBe(1);
    for (const f of report.files) {
      expect(f.dataBytes).toBeGreaterThan(0);
      expect(f.dataBytesPerPoint).toBeCloseTo(f.dataBytes / f.points, 3);
    }
    const perPoint = report.files.map((f: { dataBytesPerPoint: number }) => f.dataBytesPerPoint).sort((a: number, b: number) => a - b);
    expect(report.medianDataBytesPerPoint).toBe(perPoint[1]);
    expect(r.stdout).toMatch(/gauge\.csv/);
    expect(r.stdout).toMatch(/median/);
  });

  it('names the file and line of unparsable data, exits 1, and prints no stack trace', () => {
    const bad = path.join(cli.dir(), 'bad.csv');
    const r = run('--metrics-csv', path.join(cli.dir(), 'gauge.csv'), bad);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${bad}:3: "oops" is not a number`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a missing file clearly', () => {
    const r = run('--metrics-csv', path.join(cli.dir(), 'nope.csv'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/nope\.csv: cannot read file \(no such file\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
