// The request histogram: bucket placement, cumulative series, one defineMetric, timer hygiene.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MetricMeta, WritePoint } from '../metrics/types.js';
import { HTTP_DURATION_BUCKETS, HttpMetrics, normalizeMethod } from './http-metrics.js';

function sink() {
  const batches: WritePoint[][] = [];
  const defined: Array<[string, MetricMeta]> = [];
  return { batches, defined, writeBatch: (p: WritePoint[]) => void batches.push(p), defineMetric: (n: string, m: MetricMeta) => void defined.push([n, m]) };
}

const find = (points: WritePoint[], name: string, labels: Record<string, string>) =>
  points.filter((p) => p.name === name && Object.entries(labels).every(([k, v]) => p.labels[k] === v));

afterEach(() => {
  vi.useRealTimers();
});

describe('HttpMetrics', () => {
  it('writes cumulative buckets (incl. +Inf), sum and count per (method, route, status)', () => {
    const s = sink();
    const m = new HttpMetrics(s);
    m.record('GET', '/users/:id', 200, 0.003); // le 0.005
    m.record('GET', '/users/:id', 200, 0.005); // le 0.005 (bucket bounds are inclusive)
    m.record('GET', '/users/:id', 200, 0.2); // le 0.25
    m.record('GET', '/users/:id', 200, 30); // +Inf only
    m.record('POST', '/users', 500, 0.07);
    expect(m.flush()).toBe(2 * (HTTP_DURATION_BUCKETS.length + 1 + 2));
    m.stop();
    expect(s.defined).toEqual([['http_server_request_duration_seconds', expect.objectContaining({ type: 'histogram', unit: 'seconds' })]]);
    const pts = s.batches[0];
    const get = { http_request_method: 'GET', http_route: '/users/:id', http_response_status_code: '200' };
    const buckets = find(pts, 'http_server_request_duration_seconds_bucket', get);
    expect(Object.fromEntries(buckets.map((p) => [p.labels.le, p.value]))).toEqual({
      '0.005': 2, '0.01': 2, '0.025': 2, '0.05': 2, '0.1': 2, '0.25': 3, '0.5': 3, '1': 3, '2.5': 3, '5': 3, '10': 3, '+Inf': 4,
    });
    expect(find(pts, 'http_server_request_duration_seconds_count', get).map((p) => p.value)).toEqual([4]);
    expect(find(pts, 'http_server_request_duration_seconds_sum', get)[0].value).toBeCloseTo(30.208, 9);
    const post = { http_request_method: 'POST', http_route: '/users', http_response_status_code: '500' };
    expect(find(pts, 'http_server_request_duration_seconds_count', post).map((p) => p.value)).toEqual([1]);
    expect(find(pts, 'http_server_request_duration_seconds_bucket', { ...post, le: '0.05' })[0].value).toBe(0);
    expect(find(pts, 'http_server_request_duration_seconds_bucket', { ...post, le: '0.1' })[0].value).toBe(1);
    // The _count and sum labels carry no le.
    expect(find(pts, 'http_server_request_duration_seconds_count', post)[0].labels.le).toBeUndefined();
  });

  it('stays cumulative across flushes, defines the metric once, timestamps strictly increase', () => {
    const s = sink();
    const m = new HttpMetrics(s);
    expect(m.flush()).toBe(0); // nothing recorded: nothing written, nothing defined
    expect(s.defined).toHaveLength(0);
    m.record('GET', '', 404, 0.001);
    m.flush();
    m.record('GET', '', 404, 0.001);
    m.flush();
    m.stop();
    expect(s.defined).toHaveLength(1);
    const counts = s.batches.map((b) => b.find((p) => p.name.endsWith('_count'))!);
    expect(counts.map((p) => p.value)).toEqual([1, 2]);
    expect(counts[1].tsMs!).toBeGreaterThan(counts[0].tsMs!);
  });

  it('flushes every intervalMs on an unref\'d timer started by the first request, stopped by stop()', () => {
    vi.useFakeTimers();
    const s = sink();
    const m = new HttpMetrics(s, { intervalMs: 1000 });
    vi.advanceTimersByTime(5000);
    expect(s.batches).toHaveLength(0);
    m.record('GET', '/', 200, 0.01);
    vi.advanceTimersByTime(2500);
    expect(s.batches).toHaveLength(2);
    m.stop();
    vi.advanceTimersByTime(5000);
    expect(s.batches).toHaveLength(2);
  });

  it('stops silently once the store is closed, and reports a failing timed flush', () => {
    vi.useFakeTimers();
    let closed = false;
    const s = sink();
    const m = new HttpMetrics(s, { intervalMs: 100, isClosed: () => closed });
    m.record('GET', '/', 200, 0.01);
    closed = true;
    vi.advanceTimersByTime(1000);
    expect(s.batches).toHaveLength(0);

    const errors: unknown[] = [];
    const failing = new HttpMetrics({ writeBatch: () => { throw new Error('full'); }, defineMetric: () => {} }, { intervalMs: 100, onError: (e) => errors.push(e) });
    failing.record('GET', '/', 200, 0.01);
    vi.advanceTimersByTime(250);
    failing.stop();
    expect(errors.map((e) => (e as Error).message)).toEqual(['full', 'full']);
  });

  it('refuses a bad interval and bounds methods to the OTel set', () => {
    expect(() => new HttpMetrics(sink(), { intervalMs: 0 })).toThrow(RangeError);
    expect(() => new HttpMetrics(sink(), { intervalMs: Number.NaN })).toThrow(RangeError);
    expect(normalizeMethod('GET')).toBe('GET');
    expect(normalizeMethod('PATCH')).toBe('PATCH');
    expect(normalizeMethod('get')).toBe('_OTHER');
    expect(normalizeMethod('PROPFIND')).toBe('_OTHER');
  });
});
