// The index meta of a set of spans (a hot chunk on the main thread, a compacted block in the pool):
// blocks.mask (kinds and status codes present: schema.ts) and the terms (terms.ts). One collector
// for both, so a RAW block and the columnar block compaction makes of it index the same terms.
// Cheap by construction: names and resources are looked at once per distinct value/object,
// attributes only for indexed keys.
import { kindBit, statusBit } from './schema.js';
import { attrTerm, indexedValue, nameTerm, serviceTerm } from './terms.js';
import type { Attributes, Span, SpanKind, SpanResource } from './types.js';

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

export class SpanMetaCollector {
  /** blocks.mask: kinds and status codes present. */
  mask = 0;
  private readonly termSet = new Set<string>();
  private readonly names = new Set<string>();
  private readonly resources = new Set<SpanResource>();
  private lastResource: SpanResource | undefined;
  private lastService = '';
  /** (service, name, kind) -> newest start (ns): the operations table's rows. */
  readonly operations = new Map<string, Operation>();

  constructor(private readonly indexed: readonly string[]) {}

  add(span: Span): void {
    this.mask |= kindBit(span.kind) | statusBit(span.status.code);
    if (!this.names.has(span.name)) {
      this.names.add(span.name);
      const t = nameTerm(span.name);
      if (t !== undefined) this.termSet.add(t);
    }
    const resource = span.resource.attributes;
    if (span.resource !== this.lastResource) {
      this.lastResource = span.resource;
      if (!this.resources.has(span.resource)) {
        this.resources.add(span.resource);
        const t = serviceTerm(resource);
        if (t !== undefined) this.termSet.add(t);
      }
      this.lastService = serviceName(resource);
    }
    const opKey = `${this.lastService}\u0000${span.kind}\u0000${span.name}`;
    const op = this.operations.get(opKey);
    if (op === undefined) this.operations.set(opKey, { service: this.lastService, name: span.name, kind: span.kind, lastStartNs: span.startNs });
    else if (span.startNs > op.lastStartNs) op.lastStartNs = span.startNs;
    const indexed = this.indexed;
    for (let i = 0; i < indexed.length; i++) {
      const t = attrTerm(indexed[i], indexedValue(indexed[i], span.attributes, resource));
      if (t !== undefined) this.termSet.add(t);
    }
  }

  terms(): string[] {
    return [...this.termSet].sort();
  }
}
