// VictoriaMetrics JSON-line import and export.
// - POST /api/v1/import: NDJSON (gzip/deflate bodies fine), 204 when all stored; answers as in
//   prometheus-write.ts (400 INVALID_BODY for a malformed line with nothing stored, 400
//   INVALID_SAMPLES with counts when the store refused some samples and kept the rest).
// - GET/POST /api/v1/export: `match[]` (required, repeatable; `match` also read) series selectors,
//   `start`/`end` in any of VM's time formats (default: everything), `max_rows_per_line`; streams
//   one JSON line per series (raw points, timestamps in ms), series by series, so the answer never
//   holds more than one series' points in memory.
import type { Context, Hono } from 'hono';
import type { AppEnv, ServerContext } from '../context.js';
import type { LabelMatcher, Labels } from '../../metrics/types.js';
import { decodeUtf8, readBody } from '../body.js';
import { HttpError } from '../errors.js';
import { compareLabels } from '../../metrics/labels.js';
import { parseVmImport, parseVmTime, serializeVmLine, VmImportError, VmTimeError } from '../protocols/vm-import.js';
import { parseSeriesSelector, SelectorError, type SeriesSelector } from '../protocols/series-selector.js';
import { SeriesCache } from '../protocols/series-cache.js';
import { partialAnswer } from './prometheus-write.js';

/** VictoriaMetrics accepts any type; these are what its tools and curl send. */
const IMPORT_TYPES = [
  '',
  'application/json',
  'application/x-ndjson',
  'application/jsonl',
  'application/x-jsonlines',
  'application/stream+json',
  'text/plain',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
];
const FORM_TYPES = ['', 'application/x-www-form-urlencoded'];
const MAX_FORM_BYTES = 1 << 20;
const MAX_TS_MS = Number.MAX_SAFE_INTEGER;

function badParam(name: string, why: string): HttpError {
  return new HttpError(400, 'INVALID_PARAM', `query parameter '${name}' ${why}`);
}

/** Query-string parameters, plus the form body's for POST (as VM and Prometheus read them). */
async function params(c: Context<AppEnv>): Promise<URLSearchParams> {
  const out = new URL(c.req.url).searchParams;
  if (c.req.method === 'POST') {
    const body = await readBody(c, { maxBytes: MAX_FORM_BYTES, types: FORM_TYPES });
    for (const [k, v] of new URLSearchParams(decodeUtf8(body.bytes))) out.append(k, v);
  }
  return out;
}

function timeParam(p: URLSearchParams, name: string, nowMs: number, def: number): number {
  const v = p.get(name);
  if (v === null || v === '') return def;
  try {
    return parseVmTime(v, nowMs);
  } catch (err) {
    if (err instanceof VmTimeError) throw badParam(name, err.message);
    throw err;
  }
}

interface ExportSeries {
  name: string;
  labels: Labels;
}

/** Every series selected by any selector, once each, by name then labels. */
function selectSeries(ctx: ServerContext, selectors: SeriesSelector[]): ExportSeries[] {
  const seen = new Map<string, ExportSeries>();
  for (const sel of selectors) {
    for (const s of ctx.tl.metrics.series(sel.name, sel.matchers)) {
      const key = JSON.stringify([s.name, s.labels]);
      if (!seen.has(key)) seen.set(key, s);
    }
  }
  return [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : compareLabels(a.labels, b.labels)));
}

/**
 * Matchers that select exactly this series: its labels with `=`, and `=""` (absent) for every other
 * label name its metric has, so a series never also pulls in its supersets.
 */
function exactMatchers(labels: Labels, metricLabelNames: string[]): LabelMatcher[] {
  const out: LabelMatcher[] = [];
  for (const [label, value] of Object.entries(labels)) out.push({ label, op: '=', value });
  for (const label of metricLabelNames) if (!(label in labels)) out.push({ label, op: '=', value: '' });
  return out;
}

function sameLabels(a: Labels, b: Labels): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

export function registerVictoriaMetrics(app: Hono<AppEnv>, ctx: ServerContext): void {
  const cache = new SeriesCache();

  app.post('/api/v1/import', async (c) => {
    const body = await readBody(c, { maxBytes: ctx.options.maxBodyBytes, types: IMPORT_TYPES });
    let points;
    try {
      points = parseVmImport(decodeUtf8(body.bytes), cache);
    } catch (err) {
      if (err instanceof VmImportError) throw new HttpError(400, 'INVALID_BODY', `the body is not valid VictoriaMetrics JSON lines: ${err.message}`);
      throw err;
    }
    const r = await ctx.ingest.metrics(points, 'vm_import');
    if (r.rejected > 0) return partialAnswer(c, ctx, r);
    return c.body(null, 204);
  });

  const exportHandler = async (c: Context<AppEnv>) => {
    const p = await params(c);
    const texts = [...p.getAll('match[]'), ...p.getAll('match')].filter((t) => t.trim() !== '');
    if (texts.length === 0) throw badParam('match[]', 'is required: a series selector such as match[]=http_requests_total or match[]={__name__=~".+"}');
    const selectors = texts.map((t) => {
      try {
        return parseSeriesSelector(t);
      } catch (err) {
        if (err instanceof SelectorError) throw badParam('match[]', `${JSON.stringify(t)}: ${err.message}`);
        throw err;
      }
    });
    const nowMs = Date.now();
    const fromMs = timeParam(p, 'start', nowMs, 0);
    const toMs = timeParam(p, 'end', nowMs, MAX_TS_MS);
    if (fromMs > toMs) throw badParam('start', `(${fromMs} ms) is after end (${toMs} ms)`);
    let maxRows = Infinity;
    const mr = p.get('max_rows_per_line');
    if (mr !== null && mr !== '' && mr !== '0') {
      const v = Number(mr);
      if (!Number.isSafeInteger(v) || v < 0) throw badParam('max_rows_per_line', `must be a non-negative integer, got '${mr}'`);
      maxRows = v;
    }
    const m = ctx.tl.metrics;
    const list = selectSeries(ctx, selectors);
    const labelNames = new Map<string, string[]>();
    const encoder = new TextEncoder();
    let next = 0;
    const stream = new ReadableStream<Uint8Array>({
      // One series per pull: the stream's backpressure paces the reads.
      async pull(controller) {
        try {
          while (next < list.length) {
            const s = list[next++];
            let names = labelNames.get(s.name);
            if (names === undefined) labelNames.set(s.name, (names = m.labelNames(s.name)));
            const result = await m.query({ name: s.name, matchers: exactMatchers(s.labels, names), fromMs, toMs });
            const own = result.find((r) => r.name === s.name && sameLabels(r.labels, s.labels));
            if (own === undefined || own.tsMs.length === 0) continue;
            let text = '';
            for (let from = 0; from < own.tsMs.length; from += maxRows) {
              text += serializeVmLine(s.name, s.labels, own.tsMs, own.values, from, Math.min(own.tsMs.length, from + maxRows));
            }
            controller.enqueue(encoder.encode(text));
            return;
          }
          controller.close();
        } catch (err) {
          // The 200 and earlier lines are already out: end the response abruptly so the client
          // sees a failed transfer, never a silently short export.
          console.error('timeless: /api/v1/export failed part-way:', err);
          controller.error(err);
        }
      },
    });
    return c.body(stream, 200, { 'Content-Type': 'application/stream+json; charset=utf-8' });
  };
  app.get('/api/v1/export', exportHandler);
  app.post('/api/v1/export', exportHandler);
}
