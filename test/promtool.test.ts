// Debian's promtool (a real Prometheus API client: client_golang, form-encoded POST) queries our
// /prometheus endpoint; its answers must equal what the native API (tl.metrics.query) returns for
// the same data: raw points for a selector, and per-step group sums / maxima for aggregations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { startServer, type TestServer } from './server-helpers.js';
import type { WritePoint } from '../src/metrics/types.js';

const PROMTOOL = '/usr/bin/promtool';
const havePromtool = fs.existsSync(PROMTOOL);
if (!havePromtool) console.warn(`promtool.test: skipped: ${PROMTOOL} is not installed (apt-get install prometheus)`);

const run = promisify(execFile);
const STEP_MS = 60_000;
// One hour of data ending two whole hours ago, one point per step per series.
const TO_MS = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
const FROM_MS = TO_MS - 3_600_000;

interface PromtoolSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

async function promtoolRange(url: string, expr: string): Promise<PromtoolSeries[]> {
  const { stdout } = await run(PROMTOOL, [
    'query', 'range', '-o', 'json',
    `--start=${FROM_MS / 1000}`, `--end=${TO_MS / 1000}`, `--step=${STEP_MS / 1000}s`,
    `${url}/prometheus`, expr,
  ]);
  return JSON.parse(stdout) as PromtoolSeries[];
}

const key = (l: Record<string, string>) => JSON.stringify(Object.keys(l).sort().map((k) => [k, l[k]]));

describe.skipIf(!havePromtool)('promtool query range against /prometheus', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
    const points: WritePoint[] = [];
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (const rack of ['r1', 'r2']) {
      for (const core of ['0', '1', '2']) {
        const labels = { rack, core };
        for (let t = FROM_MS; t <= TO_MS; t += STEP_MS) points.push({ name: 'cpu_temp_celsius', labels, value: Math.round((40 + rnd() * 30) * 100) / 100, tsMs: t });
      }
    }
    server.tl.metrics.writeBatch(points);
    await server.tl.metrics.flush();
  });

  afterAll(async () => {
    await server?.close();
  });

  it('a selector returns the stored points, as tl.metrics.query does', async () => {
    const viaPromtool = await promtoolRange(server.url, 'cpu_temp_celsius');
    const native = await server.tl.metrics.query({ name: 'cpu_temp_celsius', fromMs: FROM_MS, toMs: TO_MS });
    expect(native.length).toBe(6);
    expect(viaPromtool.map((s) => key(s.metric)).sort()).toEqual(native.map((s) => key({ __name__: s.name, ...s.labels })).sort());
    for (const s of native) {
      const p = viaPromtool.find((x) => key(x.metric) === key({ __name__: s.name, ...s.labels }))!;
      expect(p.values.map(([t]) => t * 1000)).toEqual(Array.from(s.tsMs));
      expect(p.values.map(([, v]) => Number(v))).toEqual(Array.from(s.values));
    }
  });

  it('sum by / max by equal the native per-step group aggregation', async () => {
    for (const agg of ['sum', 'max'] as const) {
      const viaPromtool = await promtoolRange(server.url, `${agg} by (rack) (cpu_temp_celsius)`);
      const native = await server.tl.metrics.query({ name: 'cpu_temp_celsius', fromMs: FROM_MS, toMs: TO_MS, stepMs: STEP_MS, agg, groupBy: ['rack'] });
      expect(native.length).toBe(2);
      expect(viaPromtool.map((s) => key(s.metric)).sort()).toEqual(native.map((s) => key(s.labels)).sort());
      for (const s of native) {
        const p = viaPromtool.find((x) => key(x.metric) === key(s.labels))!;
        expect(p.values.map(([t]) => t * 1000)).toEqual(Array.from(s.tsMs));
        const got = p.values.map(([, v]) => Number(v));
        Array.from(s.values).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 9));
      }
    }
  });

  it('a query error reaches promtool as Prometheus error JSON', async () => {
    const err = await promtoolRange(server.url, 'sum(cpu_temp_celsius').catch((e: { stderr?: string }) => e);
    expect(String((err as { stderr?: string }).stderr)).toMatch(/bad_data: invalid parameter "query": 1:21: parse error: unclosed left parenthesis/);
  });
});
