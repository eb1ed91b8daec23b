// The `overhead` bench (issue #8): the client's notion of a correct answer matches what the app
// serves, and a --quick run of the built CLI reports every key, both servers answered every request
// correctly, and the instrumented one stored exactly one span per request it answered (never a
// timing assertion: the loss itself is the bench's business).
import { describe, expect, it } from 'vitest';
import { buildOverheadApp, expectedBody, requestPath } from '../bench/lib/overhead-app.js';
import { lastJson, useBuiltBenchCli } from './bench-cli-harness.js';

describe('overhead bench app', () => {
  it('answers every path the client sends with the body the client expects', async () => {
    const app = buildOverheadApp();
    const paths = [0, 1, 2, 3, 2001, 2002].map(requestPath);
    expect(paths).toEqual(['/', '/users/0', '/', '/users/1', '/users/0', '/']);
    for (const p of [...paths, '/users/999']) {
      const res = await app.request(p);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(expectedBody(p));
    }
    expect(expectedBody('/users/7')).toBe('{"id":"7"}');
  });
});

describe('npm run bench -- overhead --quick (built CLI)', () => {
  const cli = useBuiltBenchCli({ tmpPrefix: 'timeless-bench-overhead-', timeoutMs: 110_000 });

  it('reports the loss, both variants answered correctly, every request counted and spans stored', { timeout: 120_000 }, () => {
    const r = cli.run('overhead', '--quick', '--json');
    expect(r.stderr).not.toMatch(/FAILED|^error:/m);
    expect(r.status).toBe(0);
    const report = lastJson(r.stdout);
    expect(report.failures).toEqual([]);
    const o = report.overhead;
    for (const k of ['throughputLossPct', 'noneReqPerSec', 'fullReqPerSec', 'noneP99Ms', 'fullP99Ms', 'serverCpuOverheadPct', 'spansStored', 'requestsAnswered']) {
      expect(Number.isFinite(o[k]), `overhead.${k}`).toBe(true);
    }
    expect(o.throughputLossPct).toBeCloseTo((1 - o.fullReqPerSec / o.noneReqPerSec) * 100, 1);
    for (const v of ['none', 'full'] as const) {
      const s = o[v];
      expect(s.runs, v).toHaveLength(o.method.rounds);
      expect(s.badAnswers, v).toBe(0);
      expect(s.medianReqPerSec, v).toBeGreaterThan(0);
      expect(o[`${v}ReqPerSec`]).toBe(s.medianReqPerSec);
      for (const run of s.runs) {
        expect(run.requests, v).toBeGreaterThan(0);
        expect(run.answered, v).toBeGreaterThanOrEqual(run.requests);
        expect(run.p99Ms, v).toBeGreaterThanOrEqual(run.p50Ms);
      }
    }
    // The uninstrumented server has no store.
    expect(o.none.runs.every((run: Record<string, unknown>) => !('spansStored' in run))).toBe(true);
    for (const run of o.full.runs) {
      // Every request counted by the histogram; spans sampled (the first second's burst: up to 100).
      expect(run.requestsCounted).toBe(run.answered);
      expect(run.spansStored).toBeGreaterThan(0);
      expect(run.spansStored).toBeLessThanOrEqual(run.answered);
    }
    expect(o.spansStored).toBeLessThanOrEqual(o.requestsAnswered);
    expect(o.requestsAnswered).toBe(o.full.requestsAnswered);
    expect(r.stdout).toContain('overhead: throughput lost to full instrumentation');
  });
});
