// tl.logs.exporter(): an OpenTelemetry JS LogRecordExporter (sdk-logs 0.223) writing SDK log records
// into the logs engine. Each record becomes exactly the entry the OTLP logs route stores for the same
// record sent by the SDK's OTLP exporter: the fields are read as the OTLP decoder reads them and go
// through the route's own mapping (toLogInput in src/server/protocols/otlp-logs.ts: level from
// severity number/text, body as text, event name and scope as attributes, resource flattened).
// The one addition: the store's identity fills what the SDK resource leaves out (a default
// "unknown_service:..." service.name counts as left out).
import type { ReadableLogRecord, LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { ExportResult } from '@opentelemetry/core';
import type { LogInput, Resource } from '../logs/types.js';
import { flatResource, toLogInput } from '../server/protocols/otlp-logs.js';
import { hrTimeToNs } from '../traces/exporter.js';
import { fillIdentity } from './identity.js';
import { ExportTracker, settleResources } from './otel-export.js';
import { otelAttributes, otelValue } from './otel-values.js';

/** Where the exporter puts entries: the logs engine (writeBatch is all or nothing and may throw a typed LogsError). */
export interface LogSink {
  writeBatch(entries: LogInput[]): void;
  flush(): Promise<void>;
}

export interface LogExporterOptions {
  /** Report SUCCESS only after the sink's flush (WAL on disk). Default true: the SDK drops what it was told is exported. */
  durable?: boolean;
}

type SdkResource = ReadableLogRecord['resource'];

export class TimelessLogRecordExporter implements LogRecordExporter {
  private readonly tracker = new ExportTracker('TimelessLogRecordExporter');
  private readonly durable: boolean;
  /**
   * Flat, identity-filled resource per SDK resource object: the SDK shares one resource among all
   * records, and the engine caches its merged resources by object identity.
   */
  private readonly resources = new WeakMap<SdkResource, Resource>();

  constructor(
    private readonly sink: LogSink,
    private readonly identity: Readonly<Resource>,
    opts: LogExporterOptions = {},
  ) {
    this.durable = opts.durable ?? true;
  }

  export(logs: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    this.tracker.run(() => this.write(logs), resultCallback);
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

  private async write(logs: ReadableLogRecord[]): Promise<void> {
    await settleResources(logs.map((r) => r.resource));
    this.sink.writeBatch(logs.map((r) => readableLogToInput(r, this.resourceOf(r.resource))));
    if (this.durable) await this.sink.flush();
  }

  private resourceOf(resource: SdkResource): Resource {
    const hit = this.resources.get(resource);
    if (hit !== undefined) return hit;
    const flat = fillIdentity(flatResource({ attributes: otelAttributes(resource.attributes), droppedAttributesCount: 0 }, {}), this.identity);
    // A resource whose async attributes are still pending may change: only a settled one is cached.
    if (!resource.asyncAttributesPending) this.resources.set(resource, flat);
    return flat;
  }
}

/** One SDK record as the OTLP route would store it (with `resource` already flat and filled). */
export function readableLogToInput(record: ReadableLogRecord, resource: Resource): LogInput {
  const scope = record.instrumentationScope;
  const ctx = record.spanContext;
  return toLogInput(
    {
      timeNs: hrTimeToNs(record.hrTime),
      observedNs: hrTimeToNs(record.hrTimeObserved),
      severityNumber: record.severityNumber ?? 0,
      severityText: record.severityText ?? '',
      body: otelValue(record.body),
      attributes: otelAttributes(record.attributes),
      // OTLP carries ids as bytes; the decoder reads them back as lowercase hex.
      traceId: ctx?.traceId.toLowerCase() ?? '',
      spanId: ctx?.spanId.toLowerCase() ?? '',
      eventName: record.eventName ?? '',
    },
    resource,
    { name: scope.name, version: scope.version ?? '', attributes: {}, droppedAttributesCount: 0 },
  );
}
