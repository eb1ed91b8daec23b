// The index meta of a set of spans (a hot chunk on the main thread, a compacted block in the pool):
// blocks.mask (kinds and status codes present: schema.ts), the terms (terms.ts) and the operations
// (service, span name, kind). One collector for both, so a RAW block and the columnar block
// compaction makes of it index the same terms. It runs once per written span on the host thread,
// so the per-span work allocates nothing: names, values and operations go into sets and maps of
// what the span already holds, and term strings are built once per distinct value in terms().
import { SPAN_KINDS, STATUS_CODES, type AttrValue, type Attributes, type Span, type SpanKind, type SpanResource } from './types.js';
import { attrTerm, nameTerm, serviceTerm } from './terms.js';

/** One (service, span name, kind) seen, with its newest start. */
export interface Operation {
  service: string;
  name: string;
  kind: SpanKind;
  lastStartNs: bigint;
}

/** The service a resource names ('' when it has no string service.name). */
export function serviceName(resource: Attributes): string {
  const v = resource['service.name'];
  return typeof v === 'string' ? v : '';
}

/** blocks.mask bits by name (schema.ts: kinds bits 0-5, status codes bits 6-8). */
const KIND_BIT: Record<string, number> = Object.fromEntries(SPAN_KINDS.map((k, i) => [k, 1 << i]));
const STATUS_BIT: Record<string, number> = Object.fromEntries(STATUS_CODES.map((c, i) => [c, 1 << (6 + i)]));

const has = Object.prototype.hasOwnProperty;

/** A resource seen: its service, and the values of indexed keys it holds (undefined where absent). */
interface ResourceInfo {
  service: string;
  indexed: Array<AttrValue | undefined>;
  /** Operations of this resource's service: span name -> one slot per kind (SPAN_KINDS order). */
  ops: Map<string, Array<Operation | undefined>>;
}

export class SpanMetaCollector {
  /** blocks.mask: kinds and status codes present. */
  mask = 0;
  private readonly names = new Set<string>();
  private readonly resources = new Map<SpanResource, ResourceInfo>();
  private readonly byService = new Map<string, Map<string, Array<Operation | undefined>>>();
  private lastResource: SpanResource | undefined;
  private lastInfo: ResourceInfo | undefined;
  /** Values seen per indexed key (index i = indexed[i]). */
  private readonly values: Array<Set<AttrValue>>;
  private readonly ops: Operation[] = [];

  constructor(private readonly indexed: readonly string[]) {
    this.values = indexed.map(() => new Set<AttrValue>());
  }

  add(span: Span): void {
    this.mask |= KIND_BIT[span.kind] | STATUS_BIT[span.status.code];
    this.names.add(span.name);
    let info = this.lastInfo;
    if (span.resource !== this.lastResource || info === undefined) {
      info = this.resourceInfo(span.resource);
      this.lastResource = span.resource;
      this.lastInfo = info;
    }
    let slots = info.ops.get(span.name);
    if (slots === undefined) {
      slots = new Array(SPAN_KINDS.length).fill(undefined);
      info.ops.set(span.name, slots);
    }
    const k = SPAN_KINDS.indexOf(span.kind);
    const op = slots[k];
    if (op === undefined) {
      const fresh = { service: info.service, name: span.name, kind: span.kind, lastStartNs: span.startNs };
      slots[k] = fresh;
      this.ops.push(fresh);
    } else if (span.startNs > op.lastStartNs) op.lastStartNs = span.startNs;
    // As the query matcher looks them up: the span's own attribute, else its resource's.
    const a = span.attributes;
    const indexed = this.indexed;
    for (let i = 0; i < indexed.length; i++) {
      const key = indexed[i];
      const v = a[key];
      if (v !== undefined || has.call(a, key)) {
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') this.values[i].add(v);
      } else {
        const r = info.indexed[i];
        if (r !== undefined) this.values[i].add(r);
      }
    }
  }

  private resourceInfo(resource: SpanResource): ResourceInfo {
    let info = this.resources.get(resource);
    if (info !== undefined) return info;
    const attrs = resource.attributes;
    const service = serviceName(attrs);
    let ops = this.byService.get(service);
    if (ops === undefined) {
      ops = new Map();
      this.byService.set(service, ops);
    }
    info = { service, indexed: this.indexed.map((key) => (has.call(attrs, key) ? attrs[key] : undefined)), ops };
    this.resources.set(resource, info);
    return info;
  }

  terms(): string[] {
    const out = new Set<string>();
    for (const n of this.names) {
      const t = nameTerm(n);
      if (t !== undefined) out.add(t);
    }
    for (const r of this.resources.keys()) {
      const t = serviceTerm(r.attributes);
      if (t !== undefined) out.add(t);
    }
    this.values.forEach((set, i) => {
      for (const v of set) {
        const t = attrTerm(this.indexed[i], v);
        if (t !== undefined) out.add(t);
      }
    });
    return [...out].sort();
  }

  /** The (service, name, kind) operations seen, each with its newest start. */
  operations(): readonly Operation[] {
    return this.ops;
  }
}
