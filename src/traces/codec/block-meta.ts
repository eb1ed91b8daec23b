// What the index learns about a span block (SpanBlockMeta): time and duration ranges, the trace
// ids, the kinds and statuses present, index terms and attribute keys. Mask and terms come from the
// engine's own collector (span-meta.ts, terms.ts), so a compacted block indexes exactly what the
// RAW block it replaces did; this file adds the ranges and the keys.
import { SpanMetaCollector } from '../span-meta.js';
import { DEFAULT_INDEXED_SPAN_ATTRIBUTES } from '../terms.js';
import type { Span, SpanResource } from '../types.js';

export interface SpanBlockMeta {
  count: number;
  /** Smallest / largest startNs. */
  tMinNs: bigint;
  tMaxNs: bigint;
  /** Smallest / largest endNs - startNs. */
  minDurationNs: bigint;
  maxDurationNs: bigint;
  /** Distinct trace ids, ascending. */
  traceIds: string[];
  /** blocks.mask: bit SPAN_KINDS index (0-5) per kind present, bit 6 + STATUS_CODES index per status present (schema.ts). */
  mask: number;
  /**
   * Distinct index terms, sorted (terms.ts): `service=<resource service.name>`, `name=<span name>`,
   * `attr:<key>=<value>` for the indexed keys (the span's attribute, else its resource's; scalar
   * values of at most TERM_VALUE_MAX_CHARS only).
   */
  terms: string[];
  /** Keys of span attributes and of resource attributes present, sorted (field names for queries). */
  keys: string[];
}

/** Indexed attribute keys unless the caller passes its own list (terms.ts: http method/route/status, rpc, messaging, db). */
export const DEFAULT_INDEXED_KEYS: readonly string[] = DEFAULT_INDEXED_SPAN_ATTRIBUTES;

export class MetaCollector {
  private readonly index: SpanMetaCollector;
  /** Attribute shape ids used by span attributes (their keys are the block's keys). */
  readonly spanShapes = new Set<number>();

  constructor(indexedKeys: readonly string[]) {
    this.index = new SpanMetaCollector(indexedKeys);
  }

  row(s: Span): void {
    this.index.add(s);
  }

  get mask(): number {
    return this.index.mask;
  }

  /** Terms and keys, given the block's distinct resources and the keys of each span-attribute shape. */
  result(resources: readonly SpanResource[], shapeKeys: (id: number) => string[]): { terms: string[]; keys: string[] } {
    const keys = new Set<string>();
    for (const r of resources) for (const k of Object.keys(r.attributes)) keys.add(k);
    for (const id of this.spanShapes) for (const k of shapeKeys(id)) keys.add(k);
    return { terms: this.index.terms(), keys: [...keys].sort() };
  }
}
