// A tiny protobuf writer for hand-built OTLP test vectors (test/otlp-decode.test.ts,
// test/server-otlp.test.ts): messages are built bottom-up as byte arrays, so a vector reads like
// the .proto it encodes. Independent of the decoder under test and of the OTel serializers.

import { Prng } from '../bench/gen/prng.js';

export type Bytes = number[];

export function varint(v: number | bigint): Bytes {
  let n = BigInt.asUintN(64, BigInt(v));
  const out: Bytes = [];
  while (n >= 0x80n) {
    out.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  out.push(Number(n));
  return out;
}

export function tag(field: number, wire: number): Bytes {
  return varint((field << 3) | wire);
}

/** A varint field (int32/int64/uint32/uint64/bool/enum). */
export function fVarint(field: number, v: number | bigint | boolean): Bytes {
  return [...tag(field, 0), ...varint(typeof v === 'boolean' ? (v ? 1 : 0) : v)];
}

/** A sint32 field (zigzag). */
export function fSint(field: number, v: number): Bytes {
  return [...tag(field, 0), ...varint(((v << 1) ^ (v >> 31)) >>> 0)];
}

export function fixed64Bytes(v: number | bigint): Bytes {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)));
  return [...b];
}

export function fFixed64(field: number, v: number | bigint): Bytes {
  return [...tag(field, 1), ...fixed64Bytes(v)];
}

export function fFixed32(field: number, v: number): Bytes {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return [...tag(field, 5), ...b];
}

export function doubleBytes(v: number): Bytes {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return [...b];
}

export function fDouble(field: number, v: number): Bytes {
  return [...tag(field, 1), ...doubleBytes(v)];
}

/** A length-delimited field holding raw bytes or an embedded message. */
export function fBytes(field: number, bytes: Bytes | Uint8Array): Bytes {
  return [...tag(field, 2), ...varint(bytes.length), ...bytes];
}

export function fString(field: number, s: string): Bytes {
  return fBytes(field, [...Buffer.from(s, 'utf8')]);
}

/** An embedded message from its fields. */
export function fMsg(field: number, ...fields: Bytes[]): Bytes {
  return fBytes(field, fields.flat());
}

export function hexBytes(hex: string): Bytes {
  return [...Buffer.from(hex, 'hex')];
}

// ------------------------------------------------------------------ common.proto shapes

export type Any = { s: string } | { b: boolean } | { i: number | bigint } | { d: number } | { arr: Any[] } | { kv: Array<[string, Any]> } | { bytes: Bytes } | null;

/** AnyValue message body. */
export function anyValue(v: Any): Bytes {
  if (v === null) return [];
  if ('s' in v) return fString(1, v.s);
  if ('b' in v) return fVarint(2, v.b);
  if ('i' in v) return fVarint(3, v.i);
  if ('d' in v) return fDouble(4, v.d);
  if ('arr' in v) return fMsg(5, ...v.arr.map((x) => fMsg(1, anyValue(x))));
  if ('kv' in v) return fMsg(6, ...v.kv.map(([k, x]) => keyValue(1, k, x)));
  return fBytes(7, v.bytes);
}

/** A KeyValue field. */
export function keyValue(field: number, key: string, v: Any): Bytes {
  return fMsg(field, fString(1, key), fMsg(2, anyValue(v)));
}

export function strAttrs(field: number, attrs: Record<string, string | number | boolean>): Bytes {
  return Object.entries(attrs).flatMap(([k, v]) =>
    keyValue(field, k, typeof v === 'string' ? { s: v } : typeof v === 'boolean' ? { b: v } : Number.isInteger(v) ? { i: v } : { d: v }));
}

export function u8(bytes: Bytes): Uint8Array {
  return Uint8Array.from(bytes);
}

/** Seeded floats in [0, 1) (bench/gen/prng.ts) for the fuzz runs: failures reproduce. */
export function prng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.float();
}
