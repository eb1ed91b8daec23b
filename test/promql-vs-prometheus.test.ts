// PromQL answers compared with the real thing: seeded data (counters with resets and gaps, gauges
// with NaNs, a classic histogram, info-style series) is loaded into Debian's Prometheus 2.42 (via
// promtool's OpenMetrics backfill) and into our store; then every query of the table runs on both as
// instant queries at several times and as range queries, and the answers must agree: same label
// sets, same timestamps, values equal to 1e-9 relative, same error types for failing queries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FORM_BYTES, MAX_QUERY_CHARS } from '../src/server/routes/prometheus-query.js';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startServer, type TestServer } from './server-helpers.js';
import type { WritePoint } from '../src/metrics/types.js';
import { Prng } from '../bench/gen/prng.js';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const haveBinaries = fs.existsSync(PROMETHEUS) && fs.existsSync(PROMTOOL);
if (!haveBinaries) console.warn(`promql-vs-prometheus: skipped: ${PROMETHEUS} or ${PROMTOOL} is not installed (apt-get install prometheus)`);

const MIN = 60_000;
// A 2 h window ending 3 whole hours ago: old enough for promtool's backfill, young enough for
// our raw-tier retention (7 days).
const END_MS = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000;
const START_MS = END_MS - 120 * MIN;

/** Seeded floats in [0, 1) (bench/gen/prng.ts) so failures reproduce. */
function seeded(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.float();
}

interface GenSeries {
  name: string;
  labels: Record<string, string>;
  tsMs: number[];
  values: number[];
}

/** Scrape times every intervalMs with up to jitterMs of jitter, within [fromMs, toMs). */
function scrapeTimes(rnd: () => number, fromMs: number, toMs: number, intervalMs: number, jitterMs: number): number[] {
  const out: number[] = [];
  for (let t = fromMs; t < toMs; t += intervalMs) out.push(t + Math.floor(rnd() * jitterMs));
  return out;
}

function generate(): GenSeries[] {
  const rnd = seeded(20240607);
  const out: GenSeries[] = [];
  // Counters: resets now and then, one gap longer than the lookback, one series ending early, one
  // starting late.
  const counterSeries = [
    { job: 'api', instance: 'i1', method: 'GET' },
    { job: 'api', instance: 'i1', method: 'POST' },
    { job: 'api', instance: 'i2', method: 'GET' },
    { job: 'api', instance: 'i2', method: 'POST' },
    { job: 'api', instance: 'i3', method: 'GET' },
    { job: 'api', instance: 'i3', method: 'POST' },
    { job: 'web', instance: 'w1', method: 'GET' },
  ];
  for (const l of counterSeries) {
    const from = l.instance === 'w1' ? START_MS + 30 * MIN : START_MS;
    const to = l.instance === 'i3' ? END_MS - 20 * MIN : END_MS;
    const s: GenSeries = { name: 'http_requests_total', labels: l, tsMs: [], values: [] };
    let v = Math.floor(rnd() * 100);
    for (const t of scrapeTimes(rnd, from, to, 15_000, 2000)) {
      if (l.instance === 'i2' && l.method === 'POST' && t > START_MS + 40 * MIN && t < START_MS + 48 * MIN) continue;
      v = rnd() < 0.012 ? Math.floor(rnd() * 5) : v + Math.floor(rnd() * (l.method === 'GET' ? 20 : 6));
      s.tsMs.push(t);
      s.values.push(v);
    }
    out.push(s);
  }
  // Gauges: a random walk around 20 °C, some below zero after the subtraction tests.
  const rooms = [
    { room: 'a', floor: '1' },
    { room: 'b', floor: '1' },
    { room: 'c', floor: '2' },
    { room: 'd', floor: '2' },
  ];
  for (const l of rooms) {
    const s: GenSeries = { name: 'temperature_celsius', labels: l, tsMs: [], values: [] };
    let v = 15 + rnd() * 10;
    for (const t of scrapeTimes(rnd, START_MS, END_MS, 30_000, 1500)) {
      v += (rnd() - 0.5) * 1.7;
      s.tsMs.push(t);
      s.values.push(Math.round(v * 1000) / 1000);
    }
    out.push(s);
  }
  // A gauge with NaN samples.
  for (const queue of ['q1', 'q2']) {
    const s: GenSeries = { name: 'queue_depth', labels: { queue }, tsMs: [], values: [] };
    for (const t of scrapeTimes(rnd, START_MS, END_MS, 30_000, 1000)) {
      s.tsMs.push(t);
      s.values.push(queue === 'q2' && rnd() < 0.08 ? NaN : Math.floor(rnd() * 50));
    }
    out.push(s);
  }
  // up and an info metric to join on.
  const ups = [...counterSeries.map((c) => ({ job: c.job, instance: c.instance }))].filter((u, i, a) => a.findIndex((x) => x.instance === u.instance) === i);
  for (const l of ups) {
    const s: GenSeries = { name: 'up', labels: l, tsMs: [], values: [] };
    for (const t of scrapeTimes(rnd, START_MS, END_MS, 15_000, 500)) {
      s.tsMs.push(t);
      s.values.push(rnd() < 0.1 ? 0 : 1);
    }
    out.push(s);
  }
  for (const [instance, role] of [['i1', 'frontend'], ['i2', 'backend'], ['i3', 'frontend'], ['w1', 'edge']]) {
    const s: GenSeries = { name: 'node_info', labels: { instance, role }, tsMs: [], values: [] };
    for (const t of scrapeTimes(rnd, START_MS, END_MS, 60_000, 3000)) {
      s.tsMs.push(t);
      s.values.push(1);
    }
    out.push(s);
  }
  // Samples exactly on the step grid, so window edges (both inclusive in Prometheus 2.x) and the
  // end of the lookback are hit exactly.
  for (const k of ['1', '2']) {
    const c: GenSeries = { name: 'aligned_total', labels: { k }, tsMs: [], values: [] };
    const g: GenSeries = { name: 'aligned_gauge', labels: { k }, tsMs: [], values: [] };
    let v = 0;
    for (let t = START_MS; t < END_MS; t += 15_000) {
      v += k === '1' ? 3 : Math.floor(rnd() * 10);
      c.tsMs.push(t);
      c.values.push(v);
      g.tsMs.push(t);
      g.values.push(Math.floor(rnd() * 100) / 4);
    }
    out.push(c, g);
  }
  // A classic histogram per instance (cumulative buckets, _sum, _count), with one reset on i2.
  const bounds = ['0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
  for (const instance of ['i1', 'i2']) {
    const buckets = bounds.map((le) => ({ name: 'request_duration_seconds_bucket', labels: { job: 'api', instance, le }, tsMs: [] as number[], values: [] as number[] }));
    const sum: GenSeries = { name: 'request_duration_seconds_sum', labels: { job: 'api', instance }, tsMs: [], values: [] };
    const count: GenSeries = { name: 'request_duration_seconds_count', labels: { job: 'api', instance }, tsMs: [], values: [] };
    const counts = bounds.map(() => 0);
    let total = 0;
    let n = 0;
    const times = scrapeTimes(rnd, START_MS, END_MS, 15_000, 1000);
    times.forEach((t, k) => {
      if (instance === 'i2' && k === Math.floor(times.length / 2)) {
        counts.fill(0);
        total = 0;
        n = 0;
      }
      const obs = Math.floor(rnd() * 12);
      for (let o = 0; o < obs; o++) {
        const x = Math.exp(rnd() * 4 - 3.5) * (instance === 'i1' ? 1 : 1.8);
        total += x;
        n++;
        bounds.forEach((b, i) => {
          if (b === '+Inf' || x <= Number(b)) counts[i]++;
        });
      }
      buckets.forEach((b, i) => {
        b.tsMs.push(t);
        b.values.push(counts[i]);
      });
      sum.tsMs.push(t);
      sum.values.push(Math.round(total * 1e6) / 1e6);
      count.tsMs.push(t);
      count.values.push(n);
    });
    out.push(...buckets, sum, count);
  }
  return out;
}

function openMetrics(series: GenSeries[]): string {
  const lines: string[] = [];
  for (const s of series) {
    const l = Object.entries(s.labels).map(([k, v]) => `${k}="${v}"`).join(',');
    for (let i = 0; i < s.tsMs.length; i++) {
      const v = Number.isNaN(s.values[i]) ? 'NaN' : String(s.values[i]);
      lines.push(`${s.name}{${l}} ${v} ${(s.tsMs[i] / 1000).toFixed(3)}`);
    }
  }
  return lines.join('\n') + '\n# EOF\n';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

// ------------------------------------------------------------------ the query table

const sec = (ms: number) => (ms / 1000).toFixed(3);
const AT = sec(START_MS + 10 * MIN);

interface Case {
  q: string;
  /** Instant results whose order matters (sort/sort_desc): compared by the sequence of values. */
  ordered?: boolean;
  /** Expected to fail on both (the error type must agree). */
  error?: boolean;
  /** Skip range queries (e.g. instant-only functions). */
  instantOnly?: boolean;
  /** Prometheus answers no series at all (checked: a vacuous comparison must be intended). */
  empty?: boolean;
}

const CASES: Case[] = [
  // Selectors, matchers, offsets, @, lookback.
  { q: 'http_requests_total' },
  { q: 'http_requests_total{method="GET"}' },
  { q: 'http_requests_total{method!="GET",job="api"}' },
  { q: 'http_requests_total{instance=~"i[12]"}' },
  { q: 'http_requests_total{instance!~"i1|w.*"}' },
  { q: '{__name__=~"temperature_.*",room="a"}' },
  { q: 'http_requests_total offset 10m' },
  { q: 'temperature_celsius offset -5m' },
  { q: `temperature_celsius @ ${AT}` },
  { q: 'rate(http_requests_total[5m] @ end())' },
  { q: 'up @ start() offset 1m' },
  { q: 'http_requests_total{job="api"}[3m]', instantOnly: true },
  // Counter functions (resets, gaps, extrapolation).
  { q: 'rate(http_requests_total[5m])' },
  { q: 'rate(http_requests_total[1m])' },
  { q: 'irate(http_requests_total[2m])' },
  { q: 'increase(http_requests_total[10m])' },
  { q: 'increase(request_duration_seconds_count[3m])' },
  { q: 'delta(temperature_celsius[10m])' },
  { q: 'idelta(temperature_celsius[3m])' },
  { q: 'rate(http_requests_total{instance="i2"}[1m] offset 5m)' },
  { q: 'changes(up[15m])' },
  { q: 'resets(http_requests_total[30m])' },
  // *_over_time.
  { q: 'avg_over_time(temperature_celsius[10m])' },
  { q: 'min_over_time(temperature_celsius[7m])' },
  { q: 'max_over_time(queue_depth[10m])' },
  { q: 'min_over_time(queue_depth[4m])' },
  { q: 'avg_over_time(queue_depth[6m])' },
  { q: 'sum_over_time(up[5m])' },
  { q: 'count_over_time(http_requests_total[3m])' },
  { q: 'last_over_time(temperature_celsius[2m])' },
  { q: 'stddev_over_time(temperature_celsius[15m])' },
  { q: 'stdvar_over_time(temperature_celsius[15m])' },
  { q: 'quantile_over_time(0.9, temperature_celsius[20m])' },
  { q: 'quantile_over_time(0.25, http_requests_total[5m])' },
  { q: 'present_over_time(http_requests_total{instance="i3"}[10m])' },
  { q: 'absent_over_time(http_requests_total{instance="i3",method="GET"}[5m])' },
  // Aggregations.
  { q: 'sum(rate(http_requests_total[5m]))' },
  { q: 'sum by (job) (rate(http_requests_total[5m]))' },
  { q: 'sum(rate(http_requests_total[5m])) without (method)' },
  { q: 'avg by (floor) (temperature_celsius)' },
  { q: 'min(temperature_celsius) by (floor)' },
  { q: 'max without (room) (temperature_celsius)' },
  { q: 'count(http_requests_total) by (job)' },
  { q: 'stddev(temperature_celsius)' },
  { q: 'stdvar by (floor) (temperature_celsius)' },
  { q: 'stddev by (job) (rate(http_requests_total[5m]))' },
  { q: 'group by (job) (http_requests_total)' },
  { q: 'topk(2, temperature_celsius)' },
  { q: 'topk by (job) (1, rate(http_requests_total[5m]))' },
  { q: 'bottomk by (floor) (1, temperature_celsius)' },
  { q: 'quantile(0.75, temperature_celsius)' },
  { q: 'quantile by (job) (0.5, rate(http_requests_total[5m]))' },
  { q: 'count_values("state", up)' },
  { q: 'count_values without (instance) ("v", round(temperature_celsius))' },
  { q: 'sum by (__name__) ({__name__=~"up|node_info"})' },
  // histogram_quantile and its edge cases.
  { q: 'histogram_quantile(0.9, rate(request_duration_seconds_bucket[5m]))' },
  { q: 'histogram_quantile(0.5, sum by (le) (rate(request_duration_seconds_bucket[5m])))' },
  { q: 'histogram_quantile(0.99, sum by (le, instance) (increase(request_duration_seconds_bucket[10m])))' },
  { q: 'histogram_quantile(0, rate(request_duration_seconds_bucket[5m]))' },
  { q: 'histogram_quantile(1, rate(request_duration_seconds_bucket[5m]))' },
  { q: 'histogram_quantile(1.5, rate(request_duration_seconds_bucket[5m]))' },
  { q: 'histogram_quantile(-0.5, request_duration_seconds_bucket)' },
  { q: 'histogram_quantile(0.5, request_duration_seconds_bucket{le!="+Inf"})' },
  { q: 'histogram_quantile(0.3, request_duration_seconds_bucket)' },
  // Arithmetic, precedence, unary minus.
  { q: 'temperature_celsius * 2 + 1 - 3 / 4' },
  { q: '2 ^ 3 ^ 2' },
  { q: '-2 ^ 2 + 10 % 4 * 3' },
  { q: '-temperature_celsius ^ 2' },
  { q: '(1 + 2) * -temperature_celsius' },
  { q: 'temperature_celsius % 3' },
  { q: '1 / (temperature_celsius - 20)' },
  { q: '-http_requests_total' },
  // Comparisons, bool, filtering.
  { q: 'temperature_celsius > 20' },
  { q: 'temperature_celsius > bool 20' },
  { q: '20 < temperature_celsius' },
  { q: '21 >= bool temperature_celsius' },
  { q: 'up == 1' },
  { q: '1 == bool 1' },
  { q: 'up == bool up' },
  { q: 'rate(http_requests_total[5m]) > 0.5 and on (instance, method) rate(http_requests_total[5m]) < 1.2' },
  // Vector matching.
  { q: 'request_duration_seconds_sum / request_duration_seconds_count' },
  { q: 'rate(request_duration_seconds_sum[5m]) / rate(request_duration_seconds_count[5m])' },
  { q: 'rate(http_requests_total[5m]) * on(instance) group_left(role) node_info' },
  { q: 'node_info * on(instance) group_right(role) rate(http_requests_total[5m])' },
  { q: 'rate(http_requests_total{job="api"}[5m]) / ignoring(method) group_left sum without (method) (rate(http_requests_total{job="api"}[5m]))' },
  { q: 'temperature_celsius - on() group_left avg(temperature_celsius)' },
  { q: 'sum by (instance) (http_requests_total) > on(instance) sum by (instance) (http_requests_total offset 10m) * 1.1' },
  // Set operators.
  { q: 'http_requests_total and on(instance) (up == 1)' },
  { q: 'temperature_celsius or http_requests_total' },
  { q: 'http_requests_total unless http_requests_total{method="GET"}' },
  { q: 'http_requests_total unless on(instance) up == 0' },
  // Labels.
  { q: String.raw`label_replace(up, "host", "$1-x", "instance", "([a-z]+)\\d")` },
  { q: 'label_replace(up, "instance", "", "instance", "i.*")', error: true },
  { q: 'label_join(up, "id", "-", "job", "instance")' },
  // Math.
  { q: 'abs(delta(temperature_celsius[10m]))' },
  { q: 'ceil(temperature_celsius)' },
  { q: 'floor(temperature_celsius)' },
  { q: 'round(temperature_celsius, 0.5)' },
  { q: 'round(temperature_celsius)' },
  { q: 'clamp(temperature_celsius, 18, 22)' },
  { q: 'clamp(temperature_celsius, 5, 1)', empty: true },
  { q: 'clamp_min(temperature_celsius, 20)' },
  { q: 'clamp_max(temperature_celsius, 20)' },
  { q: 'exp(temperature_celsius / 10)' },
  { q: 'ln(temperature_celsius - 18)' },
  { q: 'log2(up + 1)' },
  { q: 'log10(http_requests_total + 1)' },
  { q: 'sqrt(abs(temperature_celsius))' },
  { q: 'sgn(delta(temperature_celsius[5m]))' },
  // Conversions, time, ordering, absence.
  { q: 'scalar(sum(up))' },
  { q: 'scalar(up)' },
  { q: 'vector(1)' },
  { q: 'time()' },
  { q: 'timestamp(temperature_celsius)' },
  { q: 'timestamp(abs(temperature_celsius))' },
  { q: 'timestamp(temperature_celsius offset 1m)' },
  { q: 'hour(timestamp(up{instance="i1"}))' },
  { q: 'sort(temperature_celsius)', ordered: true },
  { q: 'sort_desc(rate(http_requests_total[5m]))', ordered: true },
  { q: 'absent(nonexistent{job="x"})' },
  { q: 'absent(up{job="api"})' },
  { q: 'absent(http_requests_total{instance="i3",method="GET"})' },
  { q: 'absent(nonexistent{job="x", job=~"y.*", env="prod"})' },
  { q: '"a string"', instantOnly: true },
  // Ties, NaN and edge values.
  { q: 'bottomk(2, up)' },
  { q: 'topk(3, up)' },
  { q: 'topk by (job) (2, up)' },
  { q: 'sort_desc(up)', ordered: true },
  { q: 'sort(queue_depth)', ordered: true },
  { q: 'avg(queue_depth)' },
  { q: 'max(queue_depth)' },
  { q: 'min(queue_depth)' },
  { q: 'topk(1, queue_depth)' },
  { q: 'bottomk(1, queue_depth)' },
  { q: 'quantile(0.5, queue_depth)' },
  { q: 'stddev_over_time(queue_depth[5m])' },
  { q: 'queue_depth != queue_depth' },
  { q: 'http_requests_total / 0' },
  { q: '-http_requests_total / 0' },
  { q: 'round(vector(-2.5)) + round(vector(2.5)) * 10' },
  { q: 'count_values("x", http_requests_total / 3)' },
  { q: 'count_values("le", request_duration_seconds_bucket)' },
  { q: 'temperature_celsius atan2 10' },
  { q: 'temperature_celsius ^ 0.5' },
  // More selectors, modifiers and functions.
  { q: 'up{instance=~"(?i)I1"}' },
  { q: 'up{instance=~"[[:alpha:]][[:digit:]]"}' },
  { q: '{job="api",__name__=~"http_.*|up"}' },
  { q: 'increase(http_requests_total[20m] offset 30m)' },
  { q: 'rate(http_requests_total[30s])' },
  { q: 'irate(up[1m])' },
  { q: 'rate(up[5m])' },
  { q: 'histogram_quantile(0.5, rate(request_duration_seconds_bucket[1m]))' },
  { q: 'last_over_time(http_requests_total[10m])' },
  { q: 'absent_over_time(nonexistent[5m])' },
  { q: 'present_over_time(nonexistent[5m])', empty: true },
  { q: 'temperature_celsius @ 100', empty: true },
  { q: 'time() - timestamp(up)' },
  { q: 'up offset 1h' },
  { q: String.raw`label_replace(up, "foo", "$2", "instance", "(i)(\\d)")` },
  { q: String.raw`label_replace(up, "foo", "${1}x$1x", "instance", "(i)(\\d)")` },
  { q: String.raw`label_replace(up, "foo", "$$-$name-$0", "instance", "(?P<name>[a-z])\\d")` },
  { q: 'sum(up) by (job) * on(job) group_right sum(http_requests_total) by (job, method)' },
  { q: 'sum(http_requests_total) by (job) / on(job) group_left count(up) by (job)' },
  { q: '(up == 0) or vector(0)' },
  { q: 'vector(1) and vector(2)' },
  { q: 'http_requests_total > 100 < 500' },
  { q: '1 - up' },
  { q: 'scalar(vector(5)) * 2' },
  { q: '-(up)' },
  { q: '+temperature_celsius' },
  { q: 'count without () (up)' },
  { q: 'sum by (nonexistent) (up)' },
  { q: 'topk(2, temperature_celsius) by (floor)' },
  { q: 'absent(sum(nonexistent))' },
  { q: 'year() + month() + day_of_month() + day_of_week() + day_of_year() + days_in_month() + hour() + minute()' },
  { q: 'minute(timestamp(temperature_celsius))' },
  { q: 'max_over_time(http_requests_total{instance="i2",method="POST"}[2m])' },
  { q: 'up * ignoring(instance) group_left(role) node_info', error: true },
  { q: 'label_replace(up, "1bad", "x", "instance", ".*")', error: true },
  // Window edges hit exactly.
  { q: 'aligned_gauge' },
  { q: 'rate(aligned_total[1m])' },
  { q: 'increase(aligned_total[45s])' },
  { q: 'count_over_time(aligned_gauge[1m])' },
  { q: 'sum_over_time(aligned_gauge[30s] offset 15s)' },
  { q: 'aligned_gauge offset 5m' },
  { q: 'irate(aligned_total[15s])' },
  { q: 'delta(aligned_gauge[2m])' },
  // Failures: both must fail the same way.
  { q: '{__name__=~"request_duration_seconds_sum|request_duration_seconds_count"} * 1', error: true },
  { q: 'rate({__name__=~"request_duration_seconds_sum|request_duration_seconds_count"}[5m])', error: true },
  { q: 'http_requests_total * on(job) up', error: true },
  { q: 'http_requests_total + on(instance) node_info', error: true },
  { q: 'sum(', error: true },
  { q: '1 > 2', error: true },
  { q: 'rate(http_requests_total)', error: true },
];

// ------------------------------------------------------------------ comparison

interface Answer {
  status: number;
  body: any;
}

async function ask(base: string, endpoint: 'query' | 'query_range', params: Record<string, string>): Promise<Answer> {
  const res = await fetch(`${base}/api/v1/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

function num(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  return Number(s);
}

function sameNumber(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return Math.abs(a - b) <= 1e-9 * scale || (scale < 1e-12);
}

function keyOf(metric: Record<string, string>): string {
  return JSON.stringify(Object.keys(metric).sort().map((k) => [k, metric[k]]));
}

/** Series key → points [t, value]. */
function normalize(data: any): Map<string, Array<[number, string]>> {
  const out = new Map<string, Array<[number, string]>>();
  if (data.resultType === 'scalar' || data.resultType === 'string') out.set('scalar', [data.result]);
  else if (data.resultType === 'vector') for (const s of data.result) out.set(keyOf(s.metric), [s.value]);
  else for (const s of data.result) out.set(keyOf(s.metric), s.values);
  return out;
}

function compare(what: string, ours: Answer, theirs: Answer, c: Case): void {
  const ctx = `${what}\n ours: ${JSON.stringify(ours.body).slice(0, 600)}\n prometheus: ${JSON.stringify(theirs.body).slice(0, 600)}`;
  expect(ours.status, ctx).toBe(theirs.status);
  expect(ours.body.status, ctx).toBe(theirs.body.status);
  if (theirs.body.status !== 'success') {
    expect(ours.body.errorType, ctx).toBe(theirs.body.errorType);
    return;
  }
  expect(ours.body.data.resultType, ctx).toBe(theirs.body.data.resultType);
  const a = normalize(ours.body.data);
  const b = normalize(theirs.body.data);
  expect([...a.keys()].sort(), ctx).toEqual([...b.keys()].sort());
  for (const [k, pb] of b) {
    const pa = a.get(k)!;
    expect(pa.map((p) => p[0]), `${ctx}\n timestamps of ${k}`).toEqual(pb.map((p) => p[0]));
    for (let i = 0; i < pb.length; i++) {
      if (ours.body.data.resultType === 'string') expect(pa[i][1]).toBe(pb[i][1]);
      else if (!sameNumber(num(pa[i][1]), num(pb[i][1]))) expect.fail(`${ctx}\n ${k} at ${pb[i][0]}: ours ${pa[i][1]}, prometheus ${pb[i][1]}`);
    }
  }
  if (c.ordered && ours.body.data.resultType === 'vector') {
    const va = ours.body.data.result.map((s: any) => s.value[1]);
    const vb = theirs.body.data.result.map((s: any) => s.value[1]);
    expect(va, `${ctx}\n order`).toEqual(vb);
  }
}

// ------------------------------------------------------------------ setup

describe.skipIf(!haveBinaries)('PromQL against Prometheus 2.42', () => {
  let server: TestServer;
  let prom: ChildProcess | undefined;
  let promUrl = '';
  let dir = '';

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promql-vs-prom-'));
    const series = generate();
    fs.writeFileSync(path.join(dir, 'data.om'), openMetrics(series));
    execFileSync(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', path.join(dir, 'data.om'), path.join(dir, 'tsdb')], { stdio: 'pipe' });
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\n');
    const port = await freePort();
    const log = fs.openSync(path.join(dir, 'prometheus.log'), 'w');
    prom = spawn(PROMETHEUS, [
      `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
      '--storage.tsdb.retention.time=100y',
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ], { stdio: ['ignore', log, log] });
    promUrl = `http://127.0.0.1:${port}`;

    server = await startServer();
    const points: WritePoint[] = [];
    for (const s of series) for (let i = 0; i < s.tsMs.length; i++) points.push({ name: s.name, labels: s.labels, value: s.values[i], tsMs: s.tsMs[i] });
    server.tl.metrics.writeBatch(points);
    await server.tl.metrics.flush();

    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await fetch(`${promUrl}/-/ready`).then((r) => r.ok, () => false);
      if (ready) break;
      if (Date.now() > deadline || prom.exitCode !== null) throw new Error(`prometheus did not become ready: ${fs.readFileSync(path.join(dir, 'prometheus.log'), 'utf8').slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  afterAll(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((r) => prom!.once('exit', r));
      prom.kill('SIGTERM');
      await exited;
    }
    await server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Queries for which Prometheus returned at least one series somewhere. */
  const nonEmpty = new Set<string>();
  // Early (windows reach before the data), inside the i2 gap, on the minute grid, after the end, and
  // exactly 5 minutes after the last aligned sample (the lookback edge).
  const instantTimes = [START_MS + 2 * MIN + 500, START_MS + 47 * MIN + 7_250, START_MS + 101 * MIN, END_MS + 3 * MIN, END_MS - 15_000 + 5 * MIN];
  const ranges = [
    { start: START_MS - 5 * MIN, end: END_MS + 6 * MIN, step: '60' },
    { start: START_MS + 13_000, end: START_MS + 63 * MIN, step: '37.5s' },
  ];

  for (const c of CASES) {
    it(c.q, async () => {
      let failures = 0;
      for (const t of instantTimes) {
        const params = { query: c.q, time: sec(t) };
        const [ours, theirs] = await Promise.all([ask(`${server.url}/prometheus`, 'query', params), ask(promUrl, 'query', params)]);
        compare(`instant ${c.q} @ ${sec(t)}`, ours, theirs, c);
        if (theirs.body.status === 'error') failures++;
        if (theirs.body.status === 'success' && normalize(theirs.body.data).size > 0) nonEmpty.add(c.q);
      }
      // Failing cases fail where their data exists; the others never fail.
      if (c.error) expect(failures, `prometheus failures of ${c.q}`).toBeGreaterThan(0);
      else expect(failures, `prometheus failures of ${c.q}`).toBe(0);
      if (c.instantOnly) return;
      for (const r of ranges) {
        const params = { query: c.q, start: sec(r.start), end: sec(r.end), step: r.step };
        const [ours, theirs] = await Promise.all([ask(`${server.url}/prometheus`, 'query_range', params), ask(promUrl, 'query_range', params)]);
        compare(`range ${c.q} ${JSON.stringify(params)}`, ours, theirs, c);
        if (theirs.body.status === 'success' && normalize(theirs.body.data).size > 0) nonEmpty.add(c.q);
      }
    });
  }

  /** GET on both; the answers must be identical JSON (after sorting lists that have no defined order). */
  async function sameAnswer(pathAndQuery: string, opts: { messages?: boolean } = {}): Promise<void> {
    const [ours, theirs] = await Promise.all([fetch(`${server.url}/prometheus${pathAndQuery}`), fetch(`${promUrl}${pathAndQuery}`)]);
    const [a, b] = [await ours.json(), await theirs.json()];
    const ctx = `${pathAndQuery}\n ours: ${JSON.stringify(a).slice(0, 500)}\n prometheus: ${JSON.stringify(b).slice(0, 500)}`;
    expect(ours.status, ctx).toBe(theirs.status);
    expect(ours.headers.get('content-type'), ctx).toMatch(/^application\/json/);
    if (b.status === 'error') {
      expect(a.status, ctx).toBe('error');
      expect(a.errorType, ctx).toBe(b.errorType);
      if (opts.messages) expect(a.error, ctx).toBe(b.error);
      return;
    }
    expect(a, ctx).toEqual(b);
  }

  it('labels, label values and series answer as Prometheus', async () => {
    const q = (params: Record<string, string | string[]>) => {
      const u = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) u.append(k, x);
      return u.toString();
    };
    await sameAnswer('/api/v1/labels');
    await sameAnswer(`/api/v1/labels?${q({ 'match[]': 'up' })}`);
    await sameAnswer(`/api/v1/labels?${q({ 'match[]': ['node_info', 'queue_depth'] })}`);
    await sameAnswer('/api/v1/label/__name__/values');
    await sameAnswer('/api/v1/label/job/values');
    await sameAnswer('/api/v1/label/le/values');
    await sameAnswer('/api/v1/label/nonexistent/values');
    await sameAnswer(`/api/v1/label/instance/values?${q({ 'match[]': 'http_requests_total{job="api"}' })}`);
    await sameAnswer(`/api/v1/series?${q({ 'match[]': 'up' })}`);
    await sameAnswer(`/api/v1/series?${q({ 'match[]': ['up{instance=~"i.*"}', 'node_info{role="frontend"}'] })}`);
    await sameAnswer(`/api/v1/series?${q({ 'match[]': 'http_requests_total', start: sec(END_MS - 10 * MIN), end: sec(END_MS) })}`);
    await sameAnswer(`/api/v1/series?${q({ 'match[]': 'http_requests_total', start: sec(START_MS + 2 * MIN), end: sec(START_MS + 20 * MIN) })}`);
    await sameAnswer(`/api/v1/series?${q({ 'match[]': '{__name__=~"request_duration_seconds_(sum|count)"}' })}`);
  });

  it('bad requests fail with the same status, error type and message', async () => {
    const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
    const t = sec(START_MS + 30 * MIN);
    await sameAnswer(`/api/v1/query?${q({ query: 'up', time: 'yesterday' })}`, { messages: true });
    await sameAnswer(`/api/v1/query?${q({ query: 'sum(up', time: t })}`, { messages: true });
    await sameAnswer(`/api/v1/query?${q({ query: '1 > 2', time: t })}`, { messages: true });
    await sameAnswer(`/api/v1/query?${q({ query: 'rate(up)', time: t })}`, { messages: true });
    await sameAnswer(`/api/v1/query?${q({ query: 'nosuchfunction(up)', time: t })}`, { messages: true });
    await sameAnswer(`/api/v1/query?${q({ query: 'up{job=~"("}', time: t })}`);
    await sameAnswer(`/api/v1/query?${q({ query: '', time: t })}`);
    await sameAnswer(`/api/v1/query_range?${q({ query: 'up', start: t, end: t })}`, { messages: true });
    await sameAnswer(`/api/v1/query_range?${q({ query: 'up', start: t, end: t, step: '0' })}`, { messages: true });
    await sameAnswer(`/api/v1/query_range?${q({ query: 'up', start: t, end: sec(START_MS), step: '15' })}`, { messages: true });
    await sameAnswer(`/api/v1/query_range?${q({ query: 'up', start: '0', end: t, step: '1' })}`, { messages: true });
    await sameAnswer(`/api/v1/query_range?${q({ query: 'up[5m]', start: t, end: t, step: '15s' })}`, { messages: true });
    await sameAnswer(`/api/v1/query_range?${q({ query: '"text"', start: t, end: t, step: '15s' })}`, { messages: true });
    await sameAnswer(`/api/v1/query_range?${q({ query: 'up', start: t, end: t, step: 'fast' })}`, { messages: true });
    await sameAnswer('/api/v1/series', { messages: true });
    await sameAnswer(`/api/v1/series?${q({ 'match[]': 'sum(up)' })}`);
    await sameAnswer(`/api/v1/query?${q({ query: 'http_requests_total * on(job) up', time: t })}`);
  });

  it('RFC 3339 times, duration steps and GET requests give the same answers', async () => {
    const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
    const iso = (ms: number) => new Date(ms).toISOString();
    await sameAnswer(`/api/v1/query?${q({ query: 'sum(rate(http_requests_total[5m]))', time: iso(START_MS + 33 * MIN + 123) })}`);
    await sameAnswer(`/api/v1/query_range?${q({ query: 'avg(temperature_celsius)', start: iso(START_MS), end: iso(START_MS + 30 * MIN), step: '1m30s' })}`);
    await sameAnswer(`/api/v1/query_range?${q({ query: 'sum by (job) (up)', start: sec(START_MS + 1), end: sec(START_MS + 20 * MIN), step: '17.25' })}`);
  });

  it('the table covers at least 40 queries with non-empty answers', () => {
    // Guards against a vacuous comparison (e.g. both sides seeing no data).
    expect(CASES.filter((c) => !c.error).length).toBeGreaterThanOrEqual(40);
    const missing = CASES.filter((c) => !c.error && !c.empty && !nonEmpty.has(c.q)).map((c) => c.q);
    expect(missing).toEqual([]);
  });
});

describe('Prometheus API details of our server', () => {
  let server: TestServer;
  const T_MS = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;

  beforeAll(async () => {
    server = await startServer({ server: { maxBodyBytes: 1024 * 1024 } });
    server.tl.metrics.defineMetric('jobs_done_total', { type: 'counter', help: 'Jobs finished.', unit: 'jobs' });
    server.tl.metrics.writeBatch([
      { name: 'jobs_done_total', labels: { queue: 'a' }, value: 5, tsMs: T_MS },
      { name: 'temp', labels: { room: 'x' }, value: 21.5, tsMs: T_MS },
    ]);
    await server.tl.metrics.flush();
  });

  afterAll(async () => {
    await server?.close();
  });

  const get = async (pathAndQuery: string, init?: RequestInit) => {
    const res = await fetch(`${server.url}/prometheus/api/v1${pathAndQuery}`, init);
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as any };
  };

  it('lookback_delta narrows the instant-selector window', async () => {
    const t = ((T_MS + 60_000) / 1000).toString();
    expect((await get(`/query?query=temp&time=${t}`)).body.data.result).toEqual([{ metric: { __name__: 'temp', room: 'x' }, value: [Number(t), '21.5'] }]);
    expect((await get(`/query?query=temp&time=${t}&lookback_delta=30s`)).body.data.result).toEqual([]);
    expect((await get(`/query?query=temp&time=${t}&lookback_delta=-1`)).body).toMatchObject({ status: 'error', errorType: 'bad_data' });
  });

  it('an expired timeout is a 503 timeout error', async () => {
    const r = await get('/query?query=temp&timeout=0');
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ status: 'error', errorType: 'timeout', error: 'query timed out in query queue' });
  });

  it('form bodies win over the query string; other bodies are ignored', async () => {
    const t = (T_MS / 1000).toString();
    const form = await get(`/query?query=nothing_here&time=${t}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: 'temp' }).toString(),
    });
    expect(form.body.data.result).toHaveLength(1);
    const json = await get(`/query?query=temp&time=${t}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"nothing_here"}' });
    expect(json.body.data.result).toHaveLength(1);
  });

  it('metadata and buildinfo', async () => {
    expect((await get('/metadata')).body).toEqual({ status: 'success', data: { jobs_done_total: [{ type: 'counter', help: 'Jobs finished.', unit: 'jobs' }] } });
    expect((await get('/metadata?metric=temp')).body).toEqual({ status: 'success', data: {} });
    expect((await get('/metadata?limit=0')).body).toEqual({ status: 'success', data: {} });
    const info = await get('/status/buildinfo');
    expect(info.status).toBe(200);
    expect(info.type).toMatch(/^application\/json/);
    expect(info.body.data.version).toBe('2.42.0');
  });

  it('errors keep Prometheus\' shape, not the server\'s own', async () => {
    const r = await get('/series');
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ status: 'error', errorType: 'bad_data', error: 'no match[] parameter provided' });
    const big = await get('/query', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'query=' + 'a'.repeat(2 * 1024 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body.status).toBe('error');
    // The store still answers after the refused request.
    expect((await get(`/query?query=temp&time=${T_MS / 1000}`)).body.data.result).toHaveLength(1);
  });

  it('bounds the query text (MAX_QUERY_CHARS) and form bodies (413 past MAX_FORM_BYTES)', async () => {
    const form = (query: string) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ query, time: String(T_MS / 1000) }).toString() });
    // Exactly at the limit: a valid query padded with spaces still runs.
    const at = await get('/query', form('temp' + ' '.repeat(MAX_QUERY_CHARS - 4)));
    expect(at.status).toBe(200);
    expect(at.body.data.result).toHaveLength(1);
    const over = await get('/query', form('temp' + ' '.repeat(MAX_QUERY_CHARS - 3)));
    expect(over.status).toBe(400);
    expect(over.body).toEqual({ status: 'error', errorType: 'bad_data', error: `invalid parameter "query": the query is ${MAX_QUERY_CHARS + 1} characters long; at most ${MAX_QUERY_CHARS} are accepted` });
    // (A GET cannot carry that much: Node's 16 KiB header limit answers 431 first.)
    const bigForm = await get('/query', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'query=temp&x=' + 'a'.repeat(MAX_FORM_BYTES) });
    expect(bigForm.status).toBe(413);
    expect(bigForm.body.status).toBe('error');
  });
});
