// Spans as the traces routes answer them (JSON: nanosecond times are decimal strings, since a double
// cannot hold an epoch ns exactly) and the small derivations the traces pages share. Differences of
// ns times are taken in BigInt first and only then turned into milliseconds, so sub-ms spans of a
// trace that started at epoch ns ~1.8e18 keep their precision.
import { nsToMs } from './format.js';

export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };
export type Attributes = Record<string, AttrValue>;

export interface SpanJson {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: string;
  startNs: string;
  endNs: string;
  status: { code: 'unset' | 'ok' | 'error'; message?: string };
  attributes: Attributes;
  events: { name: string; timeNs: string; attributes: Attributes; droppedAttributesCount: number }[];
  links: { traceId: string; spanId: string; traceState?: string; flags: number; attributes: Attributes; droppedAttributesCount: number }[];
  resource: { attributes: Attributes; droppedAttributesCount: number; schemaUrl?: string };
  scope: { name: string; version?: string; schemaUrl?: string; attributes: Attributes; droppedAttributesCount: number };
  traceState?: string;
  flags: number;
  droppedAttributesCount: number;
  droppedEventsCount: number;
  droppedLinksCount: number;
}

export interface SpanNodeJson {
  span: SpanJson;
  children: SpanNodeJson[];
}

export interface TraceJson {
  traceId: string;
  spans: SpanJson[];
  roots: SpanNodeJson[];
}

export interface TraceQueryJson {
  spans: SpanJson[];
  cursor?: string;
}

export function serviceOf(s: SpanJson): string {
  const v = s.resource.attributes['service.name'];
  return v === undefined || v === null ? 'unknown' : String(v);
}

/** ns(b) - ns(a) in milliseconds, exact to the ns before the conversion. */
export function nsDiffMs(a: string, b: string): number {
  const d = BigInt(b) - BigInt(a);
  return Number(d / 1_000_000n) + Number(d % 1_000_000n) / 1e6;
}

export function durationMs(s: SpanJson): number {
  return nsDiffMs(s.startNs, s.endNs);
}

export function startMs(s: SpanJson): number {
  return nsToMs(s.startNs);
}

/** A stable palette color per service, so a service keeps its color across traces and reloads. */
export function serviceColor(service: string): string {
  let h = 0;
  for (let i = 0; i < service.length; i++) h = (h * 31 + service.charCodeAt(i)) >>> 0;
  return `var(--chart-${(h % 8) + 1})`;
}

/** An attribute value as text: strings bare, everything else as JSON. */
export function attrText(v: AttrValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
