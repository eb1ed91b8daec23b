// tl.traces.exporter(): an OpenTelemetry JS SpanExporter (sdk-trace-base 2.12) that hands SDK spans
// to the traces engine. The conversion keeps every field the SDK has (issue #5: full fidelity), and
// the span flags are computed as the SDK's own OTLP exporter computes them, so a span stored through
// this exporter equals the same span received over OTLP.
import { SpanKind as OtelSpanKind, SpanStatusCode, type Attributes as OtelAttributes, type HrTime, type Link } from '@opentelemetry/api';
import { ExportResultCode, globalErrorHandler, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { Attributes, AttrValue, SpanEventInput, SpanInput, SpanKind, SpanLinkInput, StatusCode } from './types.js';

/** Where the exporter puts spans: the traces engine (write is synchronous and may throw a typed error; flush makes them durable). */
export interface SpanSink {
  writeBatch(spans: SpanInput[]): void;
  flush(): Promise<void>;
}

export interface SpanExporterOptions {
  /** Report SUCCESS only after the sink's flush (WAL on disk). Default true: the SDK drops what it was told is exported. */
  durable?: boolean;
}

export class TimelessSpanExporter implements SpanExporter {
  private readonly sink: SpanSink;
  private readonly durable: boolean;
  /** Exports not yet reported; they never reject (a failure is a FAILED result). */
  private readonly pending = new Set<Promise<ExportResult>>();
  private isShutdown = false;

  constructor(sink: SpanSink, opts: SpanExporterOptions = {}) {
    this.sink = sink;
    this.durable = opts.durable ?? true;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.isShutdown) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('TimelessSpanExporter is shut down') });
      return;
    }
    const done = this.write(spans).then(
      (): ExportResult => ({ code: ExportResultCode.SUCCESS }),
      (error: unknown): ExportResult => ({ code: ExportResultCode.FAILED, error: asError(error) }),
    );
    this.pending.add(done);
    void done.then((result) => {
      this.pending.delete(done);
      // A throwing callback is the caller's bug; route it where the SDK routes its own errors
      // instead of leaving an unhandled rejection.
      try {
        resultCallback(result);
      } catch (err) {
        globalErrorHandler(asError(err));
      }
    });
  }

  /** Waits for the exports in flight, then makes everything written durable (also when durable is false). */
  async forceFlush(): Promise<void> {
    await Promise.all(this.pending);
    await this.sink.flush();
  }

  /** Refuses new exports and waits for the ones in flight. The sink belongs to the engine, which flushes it on close. */
  async shutdown(): Promise<void> {
    this.isShutdown = true;
    await Promise.all(this.pending);
  }

  private async write(spans: ReadableSpan[]): Promise<void> {
    // The SDK's processors already wait for async resource attributes; an exporter called directly
    // (or by another processor) must not store a resource that is missing them.
    const pendingResources = new Set(spans.map((s) => s.resource).filter((r) => r.asyncAttributesPending));
    if (pendingResources.size > 0) await Promise.all([...pendingResources].map((r) => r.waitForAsyncAttributes?.()));
    this.sink.writeBatch(spans.map(readableSpanToInput));
    if (this.durable) await this.sink.flush();
  }
}

/** OTel JS numbers kinds INTERNAL=0 ... CONSUMER=4 (no UNSPECIFIED); the store speaks names. */
const KIND_NAMES: Record<OtelSpanKind, SpanKind> = {
  [OtelSpanKind.INTERNAL]: 'internal',
  [OtelSpanKind.SERVER]: 'server',
  [OtelSpanKind.CLIENT]: 'client',
  [OtelSpanKind.PRODUCER]: 'producer',
  [OtelSpanKind.CONSUMER]: 'consumer',
};

const STATUS_NAMES: Record<SpanStatusCode, StatusCode> = {
  [SpanStatusCode.UNSET]: 'unset',
  [SpanStatusCode.OK]: 'ok',
  [SpanStatusCode.ERROR]: 'error',
};

// OTLP span/link flags bits 8-9 (trace.proto SpanFlags): "is the parent remote" is known, and its answer.
const FLAG_CONTEXT_HAS_IS_REMOTE = 0x100;
const FLAG_CONTEXT_IS_REMOTE = 0x200;

/**
 * As @opentelemetry/otlp-transformer's buildSpanFlagsFrom: the low 8 bits are the W3C trace flags,
 * HAS_IS_REMOTE is always set (the SDK always knows), IS_REMOTE when the context (the parent's for a
 * span, the linked one for a link) came from another process. A root span gets HAS_IS_REMOTE and not
 * IS_REMOTE, exactly as the SDK's OTLP exporter sends it.
 */
function otlpFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | FLAG_CONTEXT_HAS_IS_REMOTE | (isRemote ? FLAG_CONTEXT_IS_REMOTE : 0);
}

/** Converts one finished SDK span to what tl.traces.write() accepts, keeping every field. */
export function readableSpanToInput(span: ReadableSpan): SpanInput {
  const ctx = span.spanContext();
  const parent = span.parentSpanContext;
  const { status, resource, instrumentationScope: scope } = span;
  // Optional fields are set only when non-empty: that is how the span model spells absence.
  return {
    // Lowercase: the SDK accepts uppercase hex in a propagated context; the store's ids are lowercase.
    traceId: ctx.traceId.toLowerCase(),
    spanId: ctx.spanId.toLowerCase(),
    ...(parent?.spanId ? { parentSpanId: parent.spanId.toLowerCase() } : {}),
    name: span.name,
    kind: KIND_NAMES[span.kind] ?? 'unspecified',
    startNs: hrTimeToNs(span.startTime),
    endNs: hrTimeToNs(span.endTime),
    status: { code: STATUS_NAMES[status.code] ?? 'unset', ...(status.message ? { message: status.message } : {}) },
    attributes: toAttributes(span.attributes),
    events: span.events.map(toEvent),
    links: span.links.map(toLink),
    resource: {
      attributes: toAttributes(resource.attributes),
      // The SDK's Resource counts no dropped attributes (its OTLP exporter sends 0 too).
      droppedAttributesCount: 0,
      ...(resource.schemaUrl ? { schemaUrl: resource.schemaUrl } : {}),
    },
    scope: {
      name: scope.name,
      ...(scope.version ? { version: scope.version } : {}),
      ...(scope.schemaUrl ? { schemaUrl: scope.schemaUrl } : {}),
      // The SDK's InstrumentationScope has no attributes; the store's scope does.
      attributes: {},
      droppedAttributesCount: 0,
    },
    ...traceStateField(ctx.traceState?.serialize()),
    flags: otlpFlags(ctx.traceFlags, parent?.isRemote),
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

function toEvent(event: TimedEvent): SpanEventInput {
  return {
    name: event.name,
    timeNs: hrTimeToNs(event.time),
    attributes: toAttributes(event.attributes),
    droppedAttributesCount: event.droppedAttributesCount ?? 0,
  };
}

function toLink(link: Link): SpanLinkInput {
  return {
    traceId: link.context.traceId.toLowerCase(),
    spanId: link.context.spanId.toLowerCase(),
    flags: otlpFlags(link.context.traceFlags, link.context.isRemote),
    attributes: toAttributes(link.attributes),
    droppedAttributesCount: link.droppedAttributesCount ?? 0,
    ...traceStateField(link.context.traceState?.serialize()),
  };
}

/** W3C tracestate, present only when non-empty. */
function traceStateField(serialized: string | undefined): { traceState?: string } {
  return serialized ? { traceState: serialized } : {};
}

/**
 * HrTime [seconds, nanoseconds] to epoch ns, in bigint so nothing is rounded through a double.
 * The SDK's own times are integers; Math.round only keeps a hand-made fractional HrTime (the API
 * accepts any) from making BigInt() throw and failing the whole batch.
 */
export function hrTimeToNs(time: HrTime): bigint {
  return BigInt(Math.round(time[0])) * 1_000_000_000n + BigInt(Math.round(time[1]));
}

/**
 * OTel attributes to the store's: an undefined value means "not set" and is dropped; arrays may hold
 * null/undefined members (the API allows them) and keep their positions as null. NaN and ±Infinity
 * (the SDK accepts them; the store's attribute values are JSON's) become the strings OTLP/JSON spells
 * them with ("NaN", "Infinity", "-Infinity"): one such value must not fail the whole export batch.
 */
function toAttributes(attrs: OtelAttributes | undefined): Attributes {
  const out: Attributes = {};
  if (!attrs) return out;
  for (const key of Object.keys(attrs)) {
    const value = attrs[key];
    if (value === undefined) continue;
    out[key] = Array.isArray(value) ? value.map((v): AttrValue => finite(v ?? null)) : finite(value);
  }
  return out;
}

function finite<T>(v: T): T | string {
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
