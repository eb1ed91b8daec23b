// The index meta of a hot chunk, collected on the main thread while entries are appended, so that a
// RAW block (schema.ts CODEC_LOG_RAW_V1) can be indexed without any worker decoding it: index terms
// ('service=' / 'host=' of each distinct resource, 'attr:<key>=<value>' for indexed keys, exactly as
// codec/block.ts computes them for a columnar block) and the resource keys present. Cheap by
// construction: resources are looked at once per distinct resource object (entries share the few
// merged objects normalize.ts hands out); attributes only when keys are indexed. The attribute keys
// come from the seal task (codec/record-keys.ts, a byte scan in the pool): walking every entry's
// attributes here cost ~0.5 µs per entry on the main thread.
import { TERM_VALUE_MAX_CHARS } from './codec/block.js';
import type { Attributes, Resource } from './types.js';

const has = Object.prototype.hasOwnProperty;

export class HotMeta {
  private readonly termSet = new Set<string>();
  private readonly keySet = new Set<string>();
  private readonly resources = new Set<Resource>();
  private lastResource: Resource | undefined;

  constructor(private readonly indexed: readonly string[]) {}

  add(attributes: Attributes, resource: Resource): void {
    if (resource !== this.lastResource) {
      this.lastResource = resource;
      if (!this.resources.has(resource)) {
        this.resources.add(resource);
        addTerm(this.termSet, 'service=', resource['service.name']);
        addTerm(this.termSet, 'host=', resource['host.name']);
        for (const k in resource) this.keySet.add(k);
      }
    }
    const indexed = this.indexed;
    for (let i = 0; i < indexed.length; i++) {
      const key = indexed[i];
      // As the query matcher looks it up: a nested or null attribute shadows the resource.
      const v = has.call(attributes, key) ? attributes[key] : has.call(resource, key) ? resource[key] : undefined;
      addTerm(this.termSet, `attr:${key}=`, v);
    }
  }

  terms(): string[] {
    return [...this.termSet].sort();
  }

  /** Resource keys + the given attribute keys, sorted. */
  keys(attributeKeys: readonly string[]): string[] {
    return [...new Set([...this.keySet, ...attributeKeys])].sort();
  }
}

function addTerm(terms: Set<string>, prefix: string, v: unknown): void {
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  if (s !== undefined && s.length <= TERM_VALUE_MAX_CHARS) terms.add(prefix + s);
}
