// OTel JS SDK values -> the store's attribute values, exactly as they arrive when the same SDK data
// goes through the SDK's OTLP exporter (@opentelemetry/otlp-transformer's toAnyValue) and the
// server's OTLP decoder (src/server/protocols/otlp-common.ts). The log and metric exporters use this
// so an app gets the same stored data whether it exports in-process or over OTLP/HTTP:
// - strings and booleans as is; numbers as is, except NaN / ±Infinity, which become "NaN" /
//   "Infinity" / "-Infinity" (OTLP/JSON's spelling; the stores keep finite JSON numbers);
// - Uint8Array -> base64 text (OTLP/JSON's spelling of bytes);
// - arrays element by element, plain objects (kvlist) key by key;
// - undefined / null (an empty AnyValue on the wire) -> null.
import { Buffer } from 'node:buffer';
import type { AttrValue, Attributes } from '../codec/columns/attr-types.js';

export type { AttrValue, Attributes };

/** One SDK value (attribute value, log body) as the store keeps it. */
export function otelValue(v: unknown): AttrValue {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : String(v);
    case 'object': {
      if (v === null) return null;
      if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
      if (Array.isArray(v)) return v.map(otelValue);
      return otelAttributes(v as Record<string, unknown>);
    }
    default:
      return null; // undefined, and what the transformer sends as an empty AnyValue (functions, bigint, symbols)
  }
}

/** An SDK attributes object (every own key, as the transformer sends every key). */
export function otelAttributes(attrs: Readonly<Record<string, unknown>> | undefined): Attributes {
  const out: Attributes = {};
  if (attrs === undefined || attrs === null) return out;
  for (const k of Object.keys(attrs)) {
    const v = otelValue(attrs[k]);
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  }
  return out;
}
