// OTLP ExportMetricsServiceRequest (opentelemetry/proto/collector/metrics/v1) -> WritePoint[] plus the
// metadata (type, unit, help) of every family written, mapped as Prometheus' OTLP receiver maps
// them by default (names: otlp-metric-names.ts):
// - gauge -> one series; sum: monotonic -> counter `<name>[_unit]_total`, else a gauge;
// - histogram -> `_bucket{le}` (cumulative counts, le = each explicit bound, then "+Inf" = count),
//   `_sum` (when sent) and `_count`;
// - exponential histogram -> the same classic form, with `le` at the exponential bucket
//   boundaries (negative buckets, the zero bucket, positive buckets, +Inf). Prometheus would store
//   a native histogram; this store has none, so the buckets are written as classic ones: counts
//   exact at every boundary (le = 2^(index·2^-scale), computed with Math.pow: within an ulp), but a
//   change of scale between exports changes the `le` values (new series);
// - summary -> `{quantile}` series plus `_sum` and `_count`;
// - labels: the point's attributes (names sanitized, colliding names merged with ';'), `job` =
//   [service.namespace/]service.name and `instance` = service.instance.id from the resource; the
//   other resource attributes go on one `target_info` series per resource (value 1, a sample at
//   each time the resource's points have), not on every series; the scope is not a label
//   (Prometheus' default);
// - sums, histograms and exponential histograms must be cumulative: delta (or unspecified)
//   temporality rejects the metric's points (partialSuccess), as Prometheus does without its
//   delta-to-cumulative option;
// - a point flagged NO_RECORDED_VALUE is skipped (Prometheus writes a staleness marker there; this
//   store has no staleness markers, and a NaN would poison aggregates); NaN and ±Inf values that
//   were recorded are stored as sent;
// - time: time_unix_nano -> tsMs (floored); a point without a time gets the receive time.
// Exemplars, start times (no `_created` series) and min/max are not stored.
// rejectedDataPoints counts OTLP data points refused here, plus samples the store refuses (normally
// none: the store's name and label limits are checked here first, per OTLP point).
import type { Labels, MetricMeta, MetricType, WritePoint } from '../../metrics/types.js';
import { MAX_LABEL_VALUE_CHARS, MAX_LABELS, MAX_NAME_CHARS } from '../../metrics/labels.js';
import { WIRE_LEN, WIRE_VARINT, type ProtoReader } from './protobuf.js';
import {
  attrText, checkEnd, jsonArray, jsonAttributes, jsonBool, jsonDouble, jsonEnum, jsonInt32, jsonNanos, jsonObject, jsonResource, jsonRoot,
  jsonString, jsonUint32, jsonUint64, protoKeyValue, protoReader, protoString, protoResource, subEnd,
  type Attributes, type OtlpResource,
} from './otlp-common.js';
import { formatFloat, promLabelName, promMetricName, promUnit, type NamingType } from './otlp-metric-names.js';

// ------------------------------------------------------------------ the decoded model (both encodings)
// Also what tl.metrics.exporter() builds from the OTel SDK's ResourceMetrics, so both go through
// the one translation below (src/integrations/otel-metrics-exporter.ts).

export type Kind = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';

export interface PointBase {
  attributes: Attributes;
  /** Epoch ms, 0 when the point has no time. */
  timeMs: number;
  flags: number;
}
export interface NumberPoint extends PointBase {
  value: number;
}
export interface HistogramPoint extends PointBase {
  count: number;
  sum: number | undefined;
  bucketCounts: number[];
  bounds: number[];
}
export interface Buckets {
  offset: number;
  counts: number[];
}
export interface ExpHistogramPoint extends PointBase {
  count: number;
  sum: number | undefined;
  scale: number;
  zeroCount: number;
  zeroThreshold: number;
  positive: Buckets;
  negative: Buckets;
}
export interface SummaryPoint extends PointBase {
  count: number;
  sum: number;
  quantiles: Array<[quantile: number, value: number]>;
}
export type AnyPoint = NumberPoint | HistogramPoint | ExpHistogramPoint | SummaryPoint;

export interface MetricIn {
  name: string;
  description: string;
  unit: string;
  kind: Kind | undefined;
  /** AggregationTemporality: 0 unspecified, 1 delta, 2 cumulative. */
  temporality: number;
  monotonic: boolean;
  points: AnyPoint[];
}

export interface ResourceMetricsIn {
  resource: OtlpResource;
  metrics: MetricIn[];
}

export interface DecodedMetrics {
  points: WritePoint[];
  /** Family name -> metadata, for tl.metrics.defineMetric (only families with points written). */
  meta: Map<string, MetricMeta>;
  /** OTLP data points refused here (delta temporality, names nothing survives of, label limits). */
  rejected: number;
  reasons: string[];
}

const NO_RECORDED_VALUE = 1;
const CUMULATIVE = 2;
const MAX_REASONS = 5;

// ------------------------------------------------------------------ protobuf

const F1_LEN = (1 << 3) | 2;
const F2_LEN = (2 << 3) | 2;
const F3_LEN = (3 << 3) | 2;
const F5_LEN = (5 << 3) | 2;
const F7_LEN = (7 << 3) | 2;
const F8_LEN = (8 << 3) | 2;
const F9_LEN = (9 << 3) | 2;
const F10_LEN = (10 << 3) | 2;
const F11_LEN = (11 << 3) | 2;
const F1_FIXED64 = (1 << 3) | 1;
const F1_VARINT = (1 << 3) | 0;
const F2_FIXED64 = (2 << 3) | 1;
const F2_VARINT = (2 << 3) | 0;
const F3_FIXED64 = (3 << 3) | 1;
const F3_VARINT = (3 << 3) | 0;
const F4_FIXED64 = (4 << 3) | 1;
const F5_FIXED64 = (5 << 3) | 1;
const F6_FIXED64 = (6 << 3) | 1;
const F6_VARINT = (6 << 3) | 0;
const F7_FIXED64 = (7 << 3) | 1;
const F8_VARINT = (8 << 3) | 0;
const F10_VARINT = (10 << 3) | 0;
const F14_FIXED64 = (14 << 3) | 1;

function zigzag32(n: number): number {
  return (n >>> 1) ^ -(n & 1);
}

/** A fixed64 epoch-ns time as epoch ms (exact, through a bigint: ns values exceed 2^53). */
function protoTimeMs(r: ProtoReader): number {
  return Number(r.fixed64Big() / 1_000_000n);
}

/** ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1 }. */
export function decodeMetricsProto(body: Uint8Array, nowMs = Date.now()): DecodedMetrics {
  const r = protoReader(body);
  const resources: ResourceMetricsIn[] = [];
  while (r.pos < r.end) {
    const t = r.tag();
    if (t === F1_LEN) resources.push(protoResourceMetrics(r));
    else r.skip(t & 7);
  }
  return translate(resources, nowMs);
}

/** ResourceMetrics { resource = 1; repeated ScopeMetrics scope_metrics = 2; schema_url = 3 }. */
function protoResourceMetrics(r: ProtoReader): ResourceMetricsIn {
  const end = subEnd(r);
  const out: ResourceMetricsIn = { resource: { attributes: {}, droppedAttributesCount: 0 }, metrics: [] };
  while (r.pos < end) {
    const t = r.tag();
    if (t === F1_LEN) out.resource = protoResource(r);
    else if (t === F2_LEN) {
      // ScopeMetrics { scope = 1; repeated Metric metrics = 2; schema_url = 3 }: only the metrics matter.
      const send = subEnd(r);
      while (r.pos < send) {
        const st = r.tag();
        if (st === F2_LEN) out.metrics.push(protoMetric(r));
        else r.skip(st & 7);
      }
      checkEnd(r, send, 'a ScopeMetrics');
    } else r.skip(t & 7);
  }
  checkEnd(r, end, 'a ResourceMetrics');
  return out;
}

/** Metric { name = 1; description = 2; unit = 3; gauge = 5; sum = 7; histogram = 9; exponential_histogram = 10; summary = 11 }. */
function protoMetric(r: ProtoReader): MetricIn {
  const end = subEnd(r);
  const m: MetricIn = { name: '', description: '', unit: '', kind: undefined, temporality: 0, monotonic: false, points: [] };
  while (r.pos < end) {
    const t = r.tag();
    switch (t) {
      case F1_LEN: m.name = protoString(r); break;
      case F2_LEN: m.description = protoString(r); break;
      case F3_LEN: m.unit = protoString(r); break;
      case F5_LEN: protoData(r, m, 'gauge'); break;
      case F7_LEN: protoData(r, m, 'sum'); break;
      case F9_LEN: protoData(r, m, 'histogram'); break;
      case F10_LEN: protoData(r, m, 'exponentialHistogram'); break;
      case F11_LEN: protoData(r, m, 'summary'); break;
      default: r.skip(t & 7);
    }
  }
  checkEnd(r, end, 'a Metric');
  return m;
}

/** Gauge / Sum / Histogram / ExponentialHistogram / Summary { data_points = 1; aggregation_temporality = 2; is_monotonic = 3 }. */
function protoData(r: ProtoReader, m: MetricIn, kind: Kind): void {
  const end = subEnd(r);
  if (m.kind !== kind) m.points = []; // oneof: the last one sent wins
  m.kind = kind;
  while (r.pos < end) {
    const t = r.tag();
    if (t === F1_LEN) {
      const pend = subEnd(r);
      const p = kind === 'gauge' || kind === 'sum' ? protoNumberPoint(r, pend)
        : kind === 'histogram' ? protoHistogramPoint(r, pend)
          : kind === 'exponentialHistogram' ? protoExpHistogramPoint(r, pend)
            : protoSummaryPoint(r, pend);
      checkEnd(r, pend, 'a data point');
      m.points.push(p);
    } else if (t === F2_VARINT) m.temporality = r.varint32();
    else if (t === F3_VARINT) m.monotonic = r.varint64() !== 0;
    else r.skip(t & 7);
  }
  checkEnd(r, end, `a ${kind}`);
}

/** NumberDataPoint { attributes = 7; time_unix_nano = 3; as_double = 4; as_int = 6 (sfixed64); flags = 8 }. */
function protoNumberPoint(r: ProtoReader, end: number): NumberPoint {
  const p: NumberPoint = { attributes: {}, timeMs: 0, flags: 0, value: 0 };
  while (r.pos < end) {
    const t = r.tag();
    if (t === F7_LEN) protoKeyValue(r, p.attributes);
    else if (t === F3_FIXED64) p.timeMs = protoTimeMs(r);
    else if (t === F4_FIXED64) p.value = r.double();
    else if (t === F6_FIXED64) p.value = r.sfixed64();
    else if (t === F8_VARINT) p.flags = r.varint32();
    else r.skip(t & 7);
  }
  return p;
}

/** HistogramDataPoint { attributes = 9; time = 3; count = 4; sum = 5; bucket_counts = 6; explicit_bounds = 7; flags = 10 }. */
function protoHistogramPoint(r: ProtoReader, end: number): HistogramPoint {
  const p: HistogramPoint = { attributes: {}, timeMs: 0, flags: 0, count: 0, sum: undefined, bucketCounts: [], bounds: [] };
  while (r.pos < end) {
    const t = r.tag();
    const wire = t & 7;
    switch (t >>> 3) {
      case 9: if (wire === WIRE_LEN) protoKeyValue(r, p.attributes); else r.skip(wire); break;
      case 3: if (t === F3_FIXED64) p.timeMs = protoTimeMs(r); else r.skip(wire); break;
      case 4: if (t === F4_FIXED64) p.count = r.fixed64(); else r.skip(wire); break;
      case 5: if (t === F5_FIXED64) p.sum = r.double(); else r.skip(wire); break;
      case 6: r.packedFixed64(wire, p.bucketCounts); break; // packed or one unpacked
      case 7: r.packedDoubles(wire, p.bounds); break;
      case 10: if (wire === WIRE_VARINT) p.flags = r.varint32(); else r.skip(wire); break;
      default: r.skip(wire);
    }
  }
  return p;
}

/** Buckets { offset = 1 (sint32); bucket_counts = 2 (packed uint64) }. */
function protoBuckets(r: ProtoReader): Buckets {
  const end = subEnd(r);
  const b: Buckets = { offset: 0, counts: [] };
  while (r.pos < end) {
    const t = r.tag();
    if (t === F1_VARINT) b.offset = zigzag32(r.varint32());
    else if (t >>> 3 === 2 && ((t & 7) === WIRE_LEN || (t & 7) === WIRE_VARINT)) r.packedVarints(t & 7, b.counts);
    else r.skip(t & 7);
  }
  checkEnd(r, end, 'a Buckets');
  return b;
}

/**
 * ExponentialHistogramDataPoint { attributes = 1; time = 3; count = 4; sum = 5; scale = 6 (sint32);
 * zero_count = 7; positive = 8; negative = 9; flags = 10; zero_threshold = 14 }.
 */
function protoExpHistogramPoint(r: ProtoReader, end: number): ExpHistogramPoint {
  const p: ExpHistogramPoint = {
    attributes: {}, timeMs: 0, flags: 0, count: 0, sum: undefined, scale: 0, zeroCount: 0, zeroThreshold: 0,
    positive: { offset: 0, counts: [] }, negative: { offset: 0, counts: [] },
  };
  while (r.pos < end) {
    const t = r.tag();
    switch (t) {
      case F1_LEN: protoKeyValue(r, p.attributes); break;
      case F3_FIXED64: p.timeMs = protoTimeMs(r); break;
      case F4_FIXED64: p.count = r.fixed64(); break;
      case F5_FIXED64: p.sum = r.double(); break;
      case F6_VARINT: p.scale = zigzag32(r.varint32()); break;
      case F7_FIXED64: p.zeroCount = r.fixed64(); break;
      case F8_LEN: p.positive = protoBuckets(r); break;
      case F9_LEN: p.negative = protoBuckets(r); break;
      case F10_VARINT: p.flags = r.varint32(); break;
      case F14_FIXED64: p.zeroThreshold = r.double(); break;
      default: r.skip(t & 7);
    }
  }
  return p;
}

/** SummaryDataPoint { attributes = 7; time = 3; count = 4; sum = 5; quantile_values = 6 { quantile = 1; value = 2 }; flags = 8 }. */
function protoSummaryPoint(r: ProtoReader, end: number): SummaryPoint {
  const p: SummaryPoint = { attributes: {}, timeMs: 0, flags: 0, count: 0, sum: 0, quantiles: [] };
  while (r.pos < end) {
    const t = r.tag();
    if (t === F7_LEN) protoKeyValue(r, p.attributes);
    else if (t === F3_FIXED64) p.timeMs = protoTimeMs(r);
    else if (t === F4_FIXED64) p.count = r.fixed64();
    else if (t === F5_FIXED64) p.sum = r.double();
    else if (t === (6 << 3 | 2)) {
      const qend = subEnd(r);
      let q = 0;
      let v = 0;
      while (r.pos < qend) {
        const qt = r.tag();
        if (qt === F1_FIXED64) q = r.double();
        else if (qt === F2_FIXED64) v = r.double();
        else r.skip(qt & 7);
      }
      checkEnd(r, qend, 'a ValueAtQuantile');
      p.quantiles.push([q, v]);
    } else if (t === F8_VARINT) p.flags = r.varint32();
    else r.skip(t & 7);
  }
  return p;
}

// ------------------------------------------------------------------ JSON

const TEMPORALITY_NAMES = ['AGGREGATION_TEMPORALITY_UNSPECIFIED', 'AGGREGATION_TEMPORALITY_DELTA', 'AGGREGATION_TEMPORALITY_CUMULATIVE'] as const;
const KINDS: readonly Kind[] = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];

/** Epoch ms of a JSON ns time (decimal string): the digits above the 6 lowest, exact. */
function jsonTimeMs(v: unknown, path: string): number {
  const ns = jsonNanos(v, path);
  return ns.length > 6 ? Number(ns.slice(0, -6)) : 0;
}

/** The OTLP/JSON request (already parsed): { resourceMetrics: [...] }. */
export function decodeMetricsJson(body: unknown, nowMs = Date.now()): DecodedMetrics {
  const root = jsonRoot(body, 'ExportMetricsServiceRequest');
  const resources: ResourceMetricsIn[] = [];
  const rms = jsonArray(root.resourceMetrics, 'resourceMetrics');
  for (let i = 0; i < rms.length; i++) {
    const path = `resourceMetrics[${i}]`;
    const rm = jsonObject(rms[i], path);
    if (rm === undefined) continue;
    const res: ResourceMetricsIn = { resource: jsonResource(rm.resource, `${path}.resource`), metrics: [] };
    const sms = jsonArray(rm.scopeMetrics, `${path}.scopeMetrics`);
    for (let j = 0; j < sms.length; j++) {
      const sm = jsonObject(sms[j], `${path}.scopeMetrics[${j}]`);
      const list = jsonArray(sm?.metrics, `${path}.scopeMetrics[${j}].metrics`);
      for (let k = 0; k < list.length; k++) {
        const mpath = `${path}.scopeMetrics[${j}].metrics[${k}]`;
        const mo = jsonObject(list[k], mpath);
        if (mo !== undefined) res.metrics.push(jsonMetric(mo, mpath));
      }
    }
    resources.push(res);
  }
  return translate(resources, nowMs);
}

function jsonMetric(o: Record<string, unknown>, path: string): MetricIn {
  const m: MetricIn = {
    name: jsonString(o.name, `${path}.name`),
    description: jsonString(o.description, `${path}.description`),
    unit: jsonString(o.unit, `${path}.unit`),
    kind: undefined,
    temporality: 0,
    monotonic: false,
    points: [],
  };
  for (const kind of KINDS) {
    const data = jsonObject(o[kind], `${path}.${kind}`);
    if (data === undefined) continue;
    const dpath = `${path}.${kind}`;
    m.kind = kind;
    m.temporality = jsonEnum(data.aggregationTemporality, `${dpath}.aggregationTemporality`, TEMPORALITY_NAMES);
    m.monotonic = jsonBool(data.isMonotonic, `${dpath}.isMonotonic`);
    const dps = jsonArray(data.dataPoints, `${dpath}.dataPoints`);
    m.points = dps.map((d, i) => jsonPoint(jsonObject(d, `${dpath}.dataPoints[${i}]`) ?? {}, kind, `${dpath}.dataPoints[${i}]`));
  }
  return m;
}

function jsonPoint(o: Record<string, unknown>, kind: Kind, path: string): AnyPoint {
  const base: PointBase = {
    attributes: jsonAttributes(o.attributes, `${path}.attributes`),
    timeMs: jsonTimeMs(o.timeUnixNano, `${path}.timeUnixNano`),
    flags: jsonUint32(o.flags, `${path}.flags`),
  };
  const sum = o.sum === undefined || o.sum === null ? undefined : jsonDouble(o.sum, `${path}.sum`);
  const count = jsonUint64(o.count, `${path}.count`);
  switch (kind) {
    case 'gauge':
    case 'sum': {
      const value = o.asDouble !== undefined && o.asDouble !== null ? jsonDouble(o.asDouble, `${path}.asDouble`)
        : o.asInt !== undefined && o.asInt !== null ? jsonDouble(o.asInt, `${path}.asInt`) : 0;
      return { ...base, value };
    }
    case 'histogram':
      return {
        ...base, count, sum,
        bucketCounts: jsonArray(o.bucketCounts, `${path}.bucketCounts`).map((c, i) => jsonUint64(c, `${path}.bucketCounts[${i}]`)),
        bounds: jsonArray(o.explicitBounds, `${path}.explicitBounds`).map((b, i) => jsonDouble(b, `${path}.explicitBounds[${i}]`)),
      };
    case 'exponentialHistogram': {
      const buckets = (v: unknown, p: string): Buckets => {
        const b = jsonObject(v, p);
        return {
          offset: jsonInt32(b?.offset, `${p}.offset`),
          counts: jsonArray(b?.bucketCounts, `${p}.bucketCounts`).map((c, i) => jsonUint64(c, `${p}.bucketCounts[${i}]`)),
        };
      };
      return {
        ...base, count, sum,
        scale: jsonInt32(o.scale, `${path}.scale`),
        zeroCount: jsonUint64(o.zeroCount, `${path}.zeroCount`),
        zeroThreshold: jsonDouble(o.zeroThreshold, `${path}.zeroThreshold`),
        positive: buckets(o.positive, `${path}.positive`),
        negative: buckets(o.negative, `${path}.negative`),
      };
    }
    case 'summary':
      return {
        ...base, count, sum: sum ?? 0,
        quantiles: jsonArray(o.quantileValues, `${path}.quantileValues`).map((q, i): [number, number] => {
          const qo = jsonObject(q, `${path}.quantileValues[${i}]`);
          return [jsonDouble(qo?.quantile, `${path}.quantileValues[${i}].quantile`), jsonDouble(qo?.value, `${path}.quantileValues[${i}].value`)];
        }),
      };
  }
}

// ------------------------------------------------------------------ translation

class Translation {
  readonly points: WritePoint[] = [];
  readonly meta = new Map<string, MetricMeta>();
  rejected = 0;
  readonly reasons: string[] = [];

  constructor(readonly nowMs: number) {}

  reject(points: number, reason: string): void {
    this.rejected += points;
    if (this.reasons.length < MAX_REASONS) this.reasons.push(reason);
  }
}

/** Decoded OTLP metrics -> points and metadata (the mapping at the top of the file). */
export function translate(resources: ResourceMetricsIn[], nowMs: number): DecodedMetrics {
  const tr = new Translation(nowMs);
  for (const res of resources) translateResource(tr, res);
  return { points: tr.points, meta: tr.meta, rejected: tr.rejected, reasons: tr.reasons };
}

const SERVICE_NAME = 'service.name';
const SERVICE_NAMESPACE = 'service.namespace';
const SERVICE_INSTANCE = 'service.instance.id';

function translateResource(tr: Translation, res: ResourceMetricsIn): void {
  const ra = res.resource.attributes;
  const has = (k: string) => Object.prototype.hasOwnProperty.call(ra, k);
  // job / instance as Prometheus derives them; they override same-named point attributes.
  const identity: Labels = {};
  if (has(SERVICE_NAME)) identity.job = has(SERVICE_NAMESPACE) ? `${attrText(ra[SERVICE_NAMESPACE])}/${attrText(ra[SERVICE_NAME])}` : attrText(ra[SERVICE_NAME]);
  if (has(SERVICE_INSTANCE)) identity.instance = attrText(ra[SERVICE_INSTANCE]);
  const first = tr.points.length;
  for (const m of res.metrics) translateMetric(tr, m, identity);
  if (tr.points.length > first) targetInfo(tr, ra, identity, first);
}

/**
 * One target_info series (value 1) for the resource, when it says more than job/instance: a sample
 * at every distinct time of the resource's points, so a join on job/instance finds it wherever the
 * data is. (Prometheus repeats it every 2.5 min from the earliest to the latest point instead; for a
 * backfill spanning months that is hundreds of thousands of samples, so we only use the points' times.)
 */
function targetInfo(tr: Translation, ra: Attributes, identity: Labels, firstPoint: number): void {
  if (identity.job === undefined && identity.instance === undefined) return;
  const other: Attributes = {};
  let n = 0;
  for (const k of Object.keys(ra)) {
    if (k === SERVICE_NAME || k === SERVICE_NAMESPACE || k === SERVICE_INSTANCE) continue;
    other[k] = ra[k];
    n++;
  }
  if (n === 0) return;
  const labels = labelsOf(other, identity);
  if (typeof labels === 'string') {
    tr.reject(0, `target_info: ${labels}`);
    return;
  }
  const times = new Set<number>();
  for (let i = firstPoint; i < tr.points.length; i++) times.add(tr.points[i].tsMs!);
  for (const tsMs of [...times].sort((a, b) => a - b)) tr.points.push({ name: 'target_info', labels, value: 1, tsMs });
  tr.meta.set('target_info', { type: 'gauge', help: 'Target metadata' });
}

/**
 * Prometheus labels of a point: its attributes (sanitized names; collisions merged with ';' in the
 * order of the original keys), then job/instance. A string is the reason the point is refused.
 */
function labelsOf(attributes: Attributes, identity: Labels): Labels | string {
  const keys = Object.keys(attributes);
  if (keys.length > 1) keys.sort();
  const out: Labels = {};
  let count = 0;
  for (const k of keys) {
    const name = promLabelName(k);
    if (name === '') return `attribute name ${JSON.stringify(k)} leaves no valid label name`;
    if (name.length > MAX_NAME_CHARS) return `attribute name ${JSON.stringify(k.slice(0, 40))}… is longer than ${MAX_NAME_CHARS} characters`;
    const v = attrText(attributes[k]);
    if (v.length > MAX_LABEL_VALUE_CHARS) return `attribute ${JSON.stringify(k)} has a value of ${v.length} characters > ${MAX_LABEL_VALUE_CHARS}`;
    if (Object.prototype.hasOwnProperty.call(out, name)) out[name] = `${out[name]};${v}`;
    else {
      if (name === '__proto__') Object.defineProperty(out, name, { value: v, enumerable: true, writable: true, configurable: true });
      else out[name] = v;
      count++;
    }
  }
  for (const k of Object.keys(identity)) {
    if (!Object.prototype.hasOwnProperty.call(out, k)) count++;
    out[k] = identity[k];
  }
  // +1: histogram buckets and summary quantiles add le / quantile.
  if (count + 1 > MAX_LABELS) return `${count} labels: more than the store's ${MAX_LABELS - 1} per point (drop high-cardinality attributes)`;
  return out;
}

function needsCumulative(m: MetricIn): boolean {
  return m.kind === 'sum' || m.kind === 'histogram' || m.kind === 'exponentialHistogram';
}

function translateMetric(tr: Translation, m: MetricIn, identity: Labels): void {
  if (m.kind === undefined || m.points.length === 0) return; // no data: nothing to store or reject
  if (needsCumulative(m) && m.temporality !== CUMULATIVE) {
    const which = m.temporality === 1 ? 'delta' : 'unspecified';
    tr.reject(m.points.length, `invalid temporality and type combination for metric ${JSON.stringify(m.name)}: ${which} ${m.kind} points are not stored (send cumulative temporality)`);
    return;
  }
  const counter = m.kind === 'sum' && m.monotonic;
  const namingType: NamingType = counter ? 'counter' : m.kind === 'gauge' ? 'gauge' : 'other';
  const type: MetricType = counter ? 'counter' : m.kind === 'gauge' || m.kind === 'sum' ? 'gauge' : m.kind === 'summary' ? 'summary' : 'histogram';
  const name = promMetricName(m.name, m.unit, namingType);
  if (name === '') {
    tr.reject(m.points.length, `metric name ${JSON.stringify(m.name)} leaves no valid Prometheus name`);
    return;
  }
  // The longest series name adds "_bucket" / "_count".
  const longest = name.length + (m.kind === 'gauge' || m.kind === 'sum' ? 0 : 7);
  if (longest > MAX_NAME_CHARS) {
    tr.reject(m.points.length, `metric name ${JSON.stringify(m.name.slice(0, 40))}… is longer than ${MAX_NAME_CHARS} characters as a Prometheus name`);
    return;
  }
  const before = tr.points.length;
  for (const p of m.points) {
    if ((p.flags & NO_RECORDED_VALUE) !== 0) continue;
    const labels = labelsOf(p.attributes, identity);
    if (typeof labels === 'string') {
      tr.reject(1, `metric ${JSON.stringify(m.name)}: ${labels}`);
      continue;
    }
    const tsMs = p.timeMs > 0 ? p.timeMs : tr.nowMs;
    switch (m.kind) {
      case 'gauge':
      case 'sum':
        tr.points.push({ name, labels, value: (p as NumberPoint).value, tsMs });
        break;
      case 'histogram':
        histogramSeries(tr.points, name, labels, tsMs, p as HistogramPoint);
        break;
      case 'exponentialHistogram':
        expHistogramSeries(tr.points, name, labels, tsMs, p as ExpHistogramPoint);
        break;
      case 'summary':
        summarySeries(tr.points, name, labels, tsMs, p as SummaryPoint);
        break;
    }
  }
  if (tr.points.length > before) {
    const meta: MetricMeta = { type };
    const unit = promUnit(m.unit);
    if (unit !== '') meta.unit = unit;
    if (m.description !== '') meta.help = m.description;
    tr.meta.set(name, meta);
  }
}

function withLabel(labels: Labels, k: string, v: string): Labels {
  return { ...labels, [k]: v };
}

function histogramSeries(out: WritePoint[], name: string, labels: Labels, tsMs: number, p: HistogramPoint): void {
  if (p.sum !== undefined) out.push({ name: `${name}_sum`, labels, value: p.sum, tsMs });
  out.push({ name: `${name}_count`, labels, value: p.count, tsMs });
  const bucket = `${name}_bucket`;
  let cumulative = 0;
  // counts has one more entry than bounds (the +Inf bucket); a shorter list is read as far as both go.
  const n = Math.min(p.bounds.length, p.bucketCounts.length);
  for (let i = 0; i < n; i++) {
    cumulative += p.bucketCounts[i];
    out.push({ name: bucket, labels: withLabel(labels, 'le', formatFloat(p.bounds[i])), value: cumulative, tsMs });
  }
  out.push({ name: bucket, labels: withLabel(labels, 'le', '+Inf'), value: p.count, tsMs });
}

/**
 * Exponential buckets as classic cumulative `le` buckets. With base = 2^(2^-scale), positive bucket
 * i holds values in (base^i, base^(i+1)], negative bucket i values in [-base^(i+1), -base^i), the
 * zero bucket [-zeroThreshold, zeroThreshold]. Walking from the most negative bucket up, each
 * bucket's upper boundary becomes an `le` and the running count its value.
 */
function expHistogramSeries(out: WritePoint[], name: string, labels: Labels, tsMs: number, p: ExpHistogramPoint): void {
  if (p.sum !== undefined) out.push({ name: `${name}_sum`, labels, value: p.sum, tsMs });
  out.push({ name: `${name}_count`, labels, value: p.count, tsMs });
  const bucket = `${name}_bucket`;
  const step = 2 ** -p.scale; // log2 of the base
  const boundary = (index: number) => 2 ** (index * step);
  let cumulative = 0;
  const seen = new Set<string>();
  const push = (le: number) => {
    const text = formatFloat(le);
    // Far-out indexes can round to the same double (or overflow): keep one series per le.
    if (!Number.isFinite(le) || seen.has(text)) return;
    seen.add(text);
    out.push({ name: bucket, labels: withLabel(labels, 'le', text), value: cumulative, tsMs });
  };
  const neg = p.negative;
  for (let k = neg.counts.length - 1; k >= 0; k--) {
    cumulative += neg.counts[k];
    push(-boundary(neg.offset + k));
  }
  cumulative += p.zeroCount;
  push(p.zeroThreshold);
  const pos = p.positive;
  for (let k = 0; k < pos.counts.length; k++) {
    cumulative += pos.counts[k];
    push(boundary(pos.offset + k + 1));
  }
  out.push({ name: bucket, labels: withLabel(labels, 'le', '+Inf'), value: p.count, tsMs });
}

function summarySeries(out: WritePoint[], name: string, labels: Labels, tsMs: number, p: SummaryPoint): void {
  out.push({ name: `${name}_sum`, labels, value: p.sum, tsMs });
  out.push({ name: `${name}_count`, labels, value: p.count, tsMs });
  for (const [q, v] of p.quantiles) out.push({ name, labels: withLabel(labels, 'quantile', formatFloat(q)), value: v, tsMs });
}
