// Block-level dictionaries of resources and instrumentation scopes: an app has a handful of each,
// shared by thousands of spans, so each distinct one is stored once (as JSON text: attribute values
// keep JSON semantics and key order, exactly as span attributes do; lone surrogates survive as JSON
// escapes) and rows carry its index in their signature.
//   resource = JSON [attributes, droppedAttributesCount] or [attributes, dropped, schemaUrl]
//   scope    = JSON [name, version | null, schemaUrl | null, attributes, droppedAttributesCount]
import { ByteReader, ByteWriter } from '../../codec/columns/bytes.js';
import { utf8Slice } from '../../codec/columns/hex.js';
import type { Attributes, InstrumentationScope, SpanResource } from '../types.js';
import { invalidSpan, spanCorrupt } from './block-layout.js';

export function isU32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

function isPlainAttrs(a: unknown): a is Attributes {
  return typeof a === 'object' && a !== null && !Array.isArray(a);
}

function json(v: unknown, what: string): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch (err) {
    throw invalidSpan(`${what} cannot be serialized as JSON: ${(err as Error).message}`);
  }
  if (s === undefined) throw invalidSpan(`${what} cannot be serialized as JSON`);
  return s;
}

/** Distinct objects by content; the same object (the common case: an SDK shares them) is looked up by identity first. */
class JsonDict<T extends object> {
  private readonly byObject = new Map<T, number>();
  private readonly byText = new Map<string, number>();
  readonly texts: string[] = [];
  /** The first object seen of each distinct one. */
  readonly objects: T[] = [];

  constructor(private readonly textOf: (v: T) => string) {}

  id(v: T): number {
    let id = this.byObject.get(v);
    if (id !== undefined) return id;
    const text = this.textOf(v);
    id = this.byText.get(text);
    if (id === undefined) {
      id = this.texts.length;
      this.texts.push(text);
      this.objects.push(v);
      this.byText.set(text, id);
    }
    this.byObject.set(v, id);
    return id;
  }

  write(out: ByteWriter): void {
    const w = new ByteWriter(256);
    w.varint(this.texts.length);
    for (const t of this.texts) w.string(t);
    out.section(w);
  }
}

export function resourceText(r: SpanResource): string {
  if (typeof r !== 'object' || r === null) throw invalidSpan('resource is not an object');
  if (!isPlainAttrs(r.attributes)) throw invalidSpan('resource.attributes is not an object');
  if (!isU32(r.droppedAttributesCount)) throw invalidSpan('resource.droppedAttributesCount is not a u32');
  if (r.schemaUrl !== undefined && typeof r.schemaUrl !== 'string') throw invalidSpan('resource.schemaUrl is not a string');
  const parts: unknown[] = [r.attributes, r.droppedAttributesCount];
  if (r.schemaUrl !== undefined) parts.push(r.schemaUrl);
  return json(parts, 'resource');
}

export function scopeText(s: InstrumentationScope): string {
  if (typeof s !== 'object' || s === null) throw invalidSpan('scope is not an object');
  if (typeof s.name !== 'string') throw invalidSpan('scope.name is not a string');
  if (s.version !== undefined && typeof s.version !== 'string') throw invalidSpan('scope.version is not a string');
  if (s.schemaUrl !== undefined && typeof s.schemaUrl !== 'string') throw invalidSpan('scope.schemaUrl is not a string');
  if (!isPlainAttrs(s.attributes)) throw invalidSpan('scope.attributes is not an object');
  if (!isU32(s.droppedAttributesCount)) throw invalidSpan('scope.droppedAttributesCount is not a u32');
  return json([s.name, s.version ?? null, s.schemaUrl ?? null, s.attributes, s.droppedAttributesCount], 'scope');
}

export class ResourceDict extends JsonDict<SpanResource> {
  constructor() {
    super(resourceText);
  }
}

export class ScopeDict extends JsonDict<InstrumentationScope> {
  constructor() {
    super(scopeText);
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw spanCorrupt(`${what} is not valid JSON`);
  }
}

/**
 * A dictionary section read lazily: offsets now, each entry parsed (and frozen) the first time a
 * row asks for it. Every span of the block that has an entry shares its object (a copy each would
 * be most of a decode's garbage); frozen, so a caller that would mutate one fails loudly instead of
 * changing its neighbours.
 */
export class LazyTable<T> {
  private readonly at: Int32Array;
  private readonly len: Int32Array;
  private readonly items: (T | undefined)[];

  constructor(
    private readonly r: ByteReader,
    what: string,
    private readonly parse: (text: string) => T,
  ) {
    const n = r.bounded(`${what} count`, r.remaining);
    this.at = new Int32Array(n);
    this.len = new Int32Array(n);
    this.items = new Array<T | undefined>(n);
    for (let i = 0; i < n; i++) {
      const len = r.varint(what);
      this.at[i] = r.skip(len, what);
      this.len[i] = len;
    }
  }

  get size(): number {
    return this.at.length;
  }

  /** Entry i, or undefined when i is out of range. Throws CORRUPT for a bad entry. */
  get(i: number): T | undefined {
    const v = this.items[i];
    if (v !== undefined || !(i >= 0 && i < this.at.length)) return v;
    const item = this.parse(utf8Slice(this.r.buf, this.at[i], this.at[i] + this.len[i]));
    this.items[i] = item;
    return item;
  }
}

function parseResource(text: string): SpanResource {
  const v = parseJson(text, 'resource');
  if (!Array.isArray(v) || (v.length !== 2 && v.length !== 3)) throw spanCorrupt('resource is not a 2- or 3-array');
  const [attributes, dropped, schemaUrl] = v as unknown[];
  if (!isPlainAttrs(attributes) || !isU32(dropped) || (v.length === 3 && typeof schemaUrl !== 'string')) throw spanCorrupt('resource has a bad field');
  const res: SpanResource = { attributes: Object.freeze(attributes), droppedAttributesCount: dropped };
  if (v.length === 3) res.schemaUrl = schemaUrl as string;
  return Object.freeze(res);
}

function parseScope(text: string): InstrumentationScope {
  const v = parseJson(text, 'scope');
  if (!Array.isArray(v) || v.length !== 5) throw spanCorrupt('scope is not a 5-array');
  const [name, version, schemaUrl, attributes, dropped] = v as unknown[];
  if (typeof name !== 'string' || (version !== null && typeof version !== 'string') || (schemaUrl !== null && typeof schemaUrl !== 'string')
    || !isPlainAttrs(attributes) || !isU32(dropped)) throw spanCorrupt('scope has a bad field');
  // Key order as every reader of spans builds it: name, version?, schemaUrl?, attributes, droppedAttributesCount.
  const frozen = Object.freeze(attributes);
  const s: InstrumentationScope =
    version === null
      ? schemaUrl === null ? { name, attributes: frozen, droppedAttributesCount: dropped } : { name, schemaUrl: schemaUrl as string, attributes: frozen, droppedAttributesCount: dropped }
      : schemaUrl === null ? { name, version: version as string, attributes: frozen, droppedAttributesCount: dropped }
        : { name, version: version as string, schemaUrl: schemaUrl as string, attributes: frozen, droppedAttributesCount: dropped };
  return Object.freeze(s);
}

export function readResources(r: ByteReader): LazyTable<SpanResource> {
  return new LazyTable(r, 'resource', parseResource);
}

export function readScopes(r: ByteReader): LazyTable<InstrumentationScope> {
  return new LazyTable(r, 'scope', parseScope);
}
