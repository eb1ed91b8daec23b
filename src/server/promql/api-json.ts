// Prometheus' JSON envelope for query results, written as text directly (a range answer can hold
// millions of points; building objects for JSON.stringify would double the memory). Label names are
// sorted, values are strings, timestamps float seconds, exactly as Prometheus writes them.
import type { QueryResult } from './eval.js';
import { formatFloatF, formatSampleValue, formatTimestamp } from './format.js';
import { sortedNames, type Labels } from './values.js';

export function labelsJson(l: Labels): string {
  let out = '{';
  let first = true;
  for (const n of sortedNames(l)) {
    out += (first ? '' : ',') + JSON.stringify(n) + ':' + JSON.stringify(l[n]);
    first = false;
  }
  return out + '}';
}

function pointJson(tMs: number, v: number): string {
  return `[${formatTimestamp(tMs)},"${formatSampleValue(v)}"]`;
}

/** The `data` object of a query / query_range answer. */
export function resultDataJson(r: QueryResult): string {
  switch (r.resultType) {
    case 'scalar':
      return `{"resultType":"scalar","result":[${formatTimestamp(r.tMs)},"${formatFloatF(r.value)}"]}`;
    case 'string':
      return `{"resultType":"string","result":[${formatTimestamp(r.tMs)},${JSON.stringify(r.value)}]}`;
    case 'vector': {
      const parts = r.samples.map((s) => `{"metric":${labelsJson(s.labels)},"value":${pointJson(r.tMs, s.value)}}`);
      return `{"resultType":"vector","result":[${parts.join(',')}]}`;
    }
    case 'matrix': {
      const parts: string[] = [];
      for (const s of r.series) {
        const pts: string[] = new Array(s.tsMs.length);
        for (let i = 0; i < s.tsMs.length; i++) pts[i] = pointJson(s.tsMs[i], s.values[i]);
        parts.push(`{"metric":${labelsJson(s.labels)},"values":[${pts.join(',')}]}`);
      }
      return `{"resultType":"matrix","result":[${parts.join(',')}]}`;
    }
  }
}

export function successJson(dataJson: string): string {
  return `{"status":"success","data":${dataJson}}`;
}
