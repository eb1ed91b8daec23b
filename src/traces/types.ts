// The traces engine's public shapes (issue #5, DESIGN.md §6): the whole OpenTelemetry span model,
// every field kept (the Elixir stack drops links, trace state and flags; we do not). Timestamps are
// epoch nanoseconds as bigint (an ns timestamp does not fit a double exactly); the write side also
// takes milliseconds. Ids are lowercase hex, as OTLP/JSON and the OTel JS SDK spell them.
import type { AttrValue, Attributes } from '../codec/columns/attr-types.js';
import type { WriteErrorStats } from '../storage/write-errors.js';

export type { AttrValue, Attributes };

/**
 * OTel span kinds by name. The OTel JS enum (INTERNAL=0 ... CONSUMER=4) and the OTLP proto enum
 * (UNSPECIFIED=0, INTERNAL=1 ... CONSUMER=5) number them differently, so the store speaks names and
 * each adapter (exporter, OTLP receiver) maps its own numbers.
 */
export type SpanKind = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export const SPAN_KINDS: readonly SpanKind[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

/** OTel status codes by name (OTLP: UNSET=0, OK=1, ERROR=2). */
export type StatusCode = 'unset' | 'ok' | 'error';
export const STATUS_CODES: readonly StatusCode[] = ['unset', 'ok', 'error'];

export interface SpanStatus {
  code: StatusCode;
  /** Present only when non-empty (OTel: a description is meaningful for 'error' only). */
  message?: string;
}

export interface SpanEvent {
  name: string;
  timeNs: bigint;
  attributes: Attributes;
  droppedAttributesCount: number;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  /** W3C tracestate of the linked context; present only when non-empty. */
  traceState?: string;
  /** W3C trace flags of the linked context (OTLP Link.flags, 32 bits). */
  flags: number;
  attributes: Attributes;
  droppedAttributesCount: number;
}

export interface InstrumentationScope {
  name: string;
  /** Present only when non-empty. */
  version?: string;
  /** Present only when non-empty. */
  schemaUrl?: string;
  attributes: Attributes;
  droppedAttributesCount: number;
}

export interface SpanResource {
  /** service.name, host.name, telemetry.sdk.*, process.* ... (any attribute value, as OTel allows). */
  attributes: Attributes;
  droppedAttributesCount: number;
  /** Present only when non-empty. */
  schemaUrl?: string;
}

/** One stored span, as queries return it: every OTel field as written. */
export interface Span {
  /** 32 lowercase hex chars, not all zero. */
  traceId: string;
  /** 16 lowercase hex chars, not all zero. */
  spanId: string;
  /** Absent for a root span. */
  parentSpanId?: string;
  name: string;
  kind: SpanKind;
  startNs: bigint;
  /** >= startNs. */
  endNs: bigint;
  status: SpanStatus;
  attributes: Attributes;
  events: SpanEvent[];
  links: SpanLink[];
  resource: SpanResource;
  scope: InstrumentationScope;
  /** W3C tracestate; present only when non-empty. */
  traceState?: string;
  /** W3C trace flags + OTLP span flags (bits 8-9: parent is remote), 32 bits. */
  flags: number;
  droppedAttributesCount: number;
  droppedEventsCount: number;
  droppedLinksCount: number;
}

/** An event as tl.traces.write() accepts it. */
export interface SpanEventInput {
  name: string;
  timeNs?: bigint | string;
  timeMs?: number;
  attributes?: Attributes;
  droppedAttributesCount?: number;
}

export interface SpanLinkInput {
  traceId: string;
  spanId: string;
  traceState?: string;
  flags?: number;
  attributes?: Attributes;
  droppedAttributesCount?: number;
}

/** What tl.traces.write() accepts: the Span shape with defaults and ms alternatives. */
export interface SpanInput {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** Default 'internal' (the OTel API default). */
  kind?: SpanKind;
  /** Epoch ns (bigint or decimal string) or ms (may be fractional); ns wins. */
  startNs?: bigint | string;
  startMs?: number;
  endNs?: bigint | string;
  endMs?: number;
  /** Default { code: 'unset' }. */
  status?: { code?: StatusCode; message?: string };
  attributes?: Attributes;
  events?: SpanEventInput[];
  links?: SpanLinkInput[];
  /** Merged over the engine's default resource attributes (service.name, host.name). */
  resource?: { attributes?: Attributes; droppedAttributesCount?: number; schemaUrl?: string };
  /** Default { name: '' }. */
  scope?: { name?: string; version?: string; schemaUrl?: string; attributes?: Attributes; droppedAttributesCount?: number };
  traceState?: string;
  /** Default 1 (sampled): a span that reached an exporter was sampled. */
  flags?: number;
  droppedAttributesCount?: number;
  droppedEventsCount?: number;
  droppedLinksCount?: number;
}

/** Span search (tl.traces.query): every given field must hold. */
export interface TraceQuery {
  /** resource service.name */
  service?: string;
  /** Span name (exact). */
  name?: string;
  kind?: SpanKind;
  status?: StatusCode;
  minDurationMs?: number;
  maxDurationMs?: number;
  /** Attribute equality (span attributes first, then resource attributes); values compared as strings. */
  attributes?: Record<string, string | number | boolean>;
  traceId?: string;
  /** Start-time range, inclusive from, exclusive to; ns takes precedence over ms. */
  fromMs?: number;
  toMs?: number;
  fromNs?: bigint;
  toNs?: bigint;
  /** Page size, default 100, at most 10,000. */
  limit?: number;
  /** Opaque cursor from a previous answer: continues after its last span. */
  cursor?: string;
}

export interface SkippedBlock {
  /** Segment file (relative to spans/) and offset of the block that could not be read. */
  file: string;
  offset: number;
  code: string;
  message: string;
}

export interface TraceQueryResult {
  /** Newest start first. */
  spans: Span[];
  cursor?: string;
  skipped: SkippedBlock[];
  blocksScanned: number;
}

/** A span of tl.traces.trace() with its children, in start order. */
export interface SpanNode {
  span: Span;
  children: SpanNode[];
}

export interface TraceResult {
  traceId: string;
  /** Every stored span of the trace, in start order (ties: span id). */
  spans: Span[];
  /** Spans whose parent is absent (the root, and orphans whose parent was never stored), in start order. */
  roots: SpanNode[];
  skipped: SkippedBlock[];
}

export interface TracesRetentionOptions {
  /** Spans older than this are dropped. Default 7 days. */
  maxAgeSec?: number;
  /** Oldest blocks are dropped until spans/ fits. Default 512 MiB. */
  maxBytes?: number;
}

export interface TracesOptions {
  /** Resource attributes stamped on spans that do not set them (service.name, host.name). */
  resource?: Attributes;
  /** Attribute keys indexed as terms, beyond the built-in http.* keys. */
  indexedAttributes?: string[];
  /** Seal the hot tail after this many spans or this long (default 1,000 ms). */
  sealSpans?: number;
  sealIntervalMs?: number;
  /** Bound on unsealed spans' memory (hot tail + WAL buffer); past it write() throws BACKPRESSURE. */
  maxPendingBytes?: number;
  compaction?: boolean;
}

export interface TracesStats {
  spans: number;
  blocks: number;
  hotSpans: number;
  dataBytes: number;
  diskBytes: number;
  rawBytes: number;
  compressionRatio: number;
  bytesPerSpan: number;
  oldestNs?: bigint;
  newestNs?: bigint;
  walBytes: number;
  pendingBytes: number;
  corruptBlocks: number;
  /** Failed disk writes (WAL frames, seals, compaction) since open, and the last one. */
  writeErrors: WriteErrorStats;
}

export interface TracesRetentionReport {
  blocksDeleted: number;
  spansDeleted: number;
  filesDeleted: number;
  bytesFreed: number;
}
