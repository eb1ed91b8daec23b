// tl.metrics.exporter(): an OpenTelemetry JS PushMetricExporter (sdk-metrics 2.12) writing SDK
// metrics into the metrics engine. The SDK's ResourceMetrics is read into the OTLP route's decoded
// model (what the OTLP decoder would produce for the same data sent by the SDK's OTLP exporter) and
// goes through the route's own translation (translate in src/server/protocols/otlp-metrics.ts), so
// the series, values and metadata are the ones the OTLP route stores: Prometheus names with unit
// and _total suffixes, histograms as _bucket{le}/_sum/_count, exponential histograms as classic
// buckets, job/instance from the resource, the rest of the resource on target_info.
// The one addition: the store's identity fills what the SDK resource leaves out (a default
// "unknown_service:..." service.name counts as left out), which gives every series its `job`.
import type { ExportResult } from '@opentelemetry/core';
import type {
  AggregationTemporality, DataPoint, ExponentialHistogram, Histogram, InstrumentType, MetricData, PushMetricExporter, ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { MetricsError } from '../metrics/errors.js';
import type { MetricMeta, WritePoint } from '../metrics/types.js';
import {
  translate, type AnyPoint, type ExpHistogramPoint, type HistogramPoint, type Kind, type MetricIn, type NumberPoint, type ResourceMetricsIn,
} from '../server/protocols/otlp-metrics.js';
import { hrTimeToNs } from '../traces/exporter.js';
import { fillIdentity, type Identity } from './identity.js';
import { ExportTracker, settleResources } from './otel-export.js';
import { otelAttributes } from './otel-values.js';

/** Where the exporter puts points: the metrics engine (writeBatch is all or nothing and may throw a typed MetricsError). */
export interface MetricSink {
  writeBatch(points: WritePoint[]): void;
  flush(): Promise<void>;
  metricMeta(name: string): MetricMeta | undefined;
  defineMetric(name: string, meta: MetricMeta): void;
}

export interface MetricExporterOptions {
  /** Report SUCCESS only after the sink's flush (WAL on disk). Default true: the SDK drops what it was told is exported. */
  durable?: boolean;
}

// sdk-metrics' enums are runtime values of a devDependency: their numbers are spelled here.
// DataPointType: HISTOGRAM 0, EXPONENTIAL_HISTOGRAM 1, GAUGE 2, SUM 3.
const KINDS: Record<number, Kind> = { 0: 'histogram', 1: 'exponentialHistogram', 2: 'gauge', 3: 'sum' };
// AggregationTemporality: DELTA 0, CUMULATIVE 1; OTLP's numbers are DELTA 1, CUMULATIVE 2.
const SDK_CUMULATIVE = 1 as AggregationTemporality.CUMULATIVE;
const OTLP_TEMPORALITY: Record<number, number> = { 0: 1, 1: 2 };

export class TimelessMetricExporter implements PushMetricExporter {
  private readonly tracker = new ExportTracker('TimelessMetricExporter');
  private readonly durable: boolean;

  constructor(
    private readonly sink: MetricSink,
    private readonly identity: Readonly<Identity>,
    opts: MetricExporterOptions = {},
  ) {
    this.durable = opts.durable ?? true;
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    this.tracker.run(() => this.write(metrics), resultCallback);
  }

  /**
   * Always cumulative. The store keeps Prometheus-style series, whose counters and histogram buckets
   * are running totals: a delta point cannot be stored as such (summing deltas needs the previous
   * total, which a restarted app no longer has). The OTLP route refuses delta sums and histograms for
   * the same reason, as Prometheus does.
   */
  selectAggregationTemporality(_instrumentType: InstrumentType): AggregationTemporality {
    return SDK_CUMULATIVE;
  }

  /** Waits for the exports in flight, then makes everything written durable (also when durable is false). */
  async forceFlush(): Promise<void> {
    await this.tracker.drain();
    await this.sink.flush();
  }

  /** Refuses new exports and waits for the ones in flight. The sink belongs to the engine, which flushes it on close. */
  async shutdown(): Promise<void> {
    await this.tracker.shutdown();
  }

  private async write(metrics: ResourceMetrics): Promise<void> {
    await settleResources([metrics.resource]);
    const d = translate([resourceMetricsIn(metrics, this.identity)], Date.now());
    if (d.points.length > 0) {
      // As the OTLP route: type/unit/help of the families written; only changes reach the catalog.
      for (const [name, want] of d.meta) {
        const have = this.sink.metricMeta(name);
        if (have !== undefined && have.type === want.type && (have.unit ?? '') === (want.unit ?? '') && (have.help ?? '') === (want.help ?? '')) continue;
        this.sink.defineMetric(name, want);
      }
      this.sink.writeBatch(d.points);
      if (this.durable) await this.sink.flush();
    }
    // What translate refused (a delta point from a reader that ignored selectAggregationTemporality,
    // a name nothing survives of) is not retried by the SDK: FAILED makes it visible (the SDK logs it).
    if (d.rejected > 0) {
      throw new MetricsError('INVALID_VALUE', `timeless: ${d.rejected} metric data point(s) not stored: ${d.reasons.join('; ')}`);
    }
  }
}

/** The SDK's ResourceMetrics as the OTLP decoder reads the same data sent by the SDK's OTLP exporter. */
export function resourceMetricsIn(rm: ResourceMetrics, identity: Readonly<Identity>): ResourceMetricsIn {
  const metrics: MetricIn[] = [];
  for (const sm of rm.scopeMetrics) for (const m of sm.metrics) metrics.push(metricIn(m));
  return {
    resource: { attributes: fillIdentity(otelAttributes(rm.resource.attributes), identity), droppedAttributesCount: 0 },
    metrics,
  };
}

function metricIn(m: MetricData): MetricIn {
  const kind = KINDS[m.dataPointType];
  const out: MetricIn = {
    name: m.descriptor.name,
    description: m.descriptor.description ?? '',
    unit: m.descriptor.unit ?? '',
    kind,
    // A gauge has no temporality on the wire (0); the others carry the SDK's, translated.
    temporality: kind === 'gauge' ? 0 : OTLP_TEMPORALITY[m.aggregationTemporality] ?? 0,
    monotonic: kind === 'sum' && 'isMonotonic' in m ? m.isMonotonic : false,
    points: [],
  };
  const points: AnyPoint[] = out.points;
  switch (kind) {
    case 'gauge':
    case 'sum':
      for (const p of m.dataPoints as DataPoint<number>[]) points.push({ ...pointBase(p), value: p.value } satisfies NumberPoint);
      break;
    case 'histogram':
      for (const p of m.dataPoints as DataPoint<Histogram>[]) {
        const h = p.value;
        points.push({ ...pointBase(p), count: h.count, sum: h.sum, bucketCounts: h.buckets.counts, bounds: h.buckets.boundaries } satisfies HistogramPoint);
      }
      break;
    case 'exponentialHistogram':
      for (const p of m.dataPoints as DataPoint<ExponentialHistogram>[]) {
        const h = p.value;
        points.push({
          ...pointBase(p),
          count: h.count,
          sum: h.sum,
          scale: h.scale,
          zeroCount: h.zeroCount,
          // The SDK's OTLP exporter sends no zero_threshold: the decoder reads 0.
          zeroThreshold: 0,
          positive: { offset: h.positive.offset, counts: h.positive.bucketCounts },
          negative: { offset: h.negative.offset, counts: h.negative.bucketCounts },
        } satisfies ExpHistogramPoint);
      }
      break;
    default:
      break; // an unknown DataPointType (a future SDK): nothing the OTLP route would store either
  }
  return out;
}

function pointBase(p: DataPoint<unknown>): { attributes: ReturnType<typeof otelAttributes>; timeMs: number; flags: number } {
  // time_unix_nano is the point's end time; the decoder floors it to ms exactly (through a bigint).
  return { attributes: otelAttributes(p.attributes), timeMs: Number(hrTimeToNs(p.endTime) / 1_000_000n), flags: 0 };
}
