// The hand-written protobuf reader shared by the OTLP and remote_write decoders: every wire type
// skipped exactly (unknown fields are legal), varints at their edges, and typed errors on truncation.
import { describe, expect, it } from 'vitest';
import { ProtoReader, ProtobufError, WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from '../src/server/protocols/protobuf.js';

function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
const tag = (field: number, wire: number) => varint(BigInt((field << 3) | wire));

describe('ProtoReader', () => {
  it('skips unknown fields of every wire type and lands on the next field', () => {
    const bytes = new Uint8Array([
      ...tag(9, WIRE_VARINT), ...varint(300n),
      ...tag(10, WIRE_LEN), ...varint(3n), 1, 2, 3,
      ...tag(11, WIRE_FIXED64), 1, 2, 3, 4, 5, 6, 7, 8,
      ...tag(12, WIRE_FIXED32), 1, 2, 3, 4,
      // a length-delimited field whose length needs a 2-byte varint
      ...tag(13, WIRE_LEN), ...varint(200n), ...new Array(200).fill(7),
      ...tag(1, WIRE_VARINT), ...varint(42n),
    ]);
    const r = new ProtoReader(bytes);
    let found = -1;
    while (!r.done) {
      const t = r.tag();
      if (t >>> 3 === 1) found = r.varint32();
      else r.skip(t & 7);
    }
    expect(found).toBe(42);
    expect(r.pos).toBe(bytes.length);
  });

  it('reads varints at their edges, int64 negatives and 64-bit bigints', () => {
    for (const n of [0n, 1n, 127n, 128n, 2n ** 31n, 2n ** 32n + 5n, 2n ** 53n - 1n]) {
      expect(new ProtoReader(new Uint8Array(varint(n))).varint64()).toBe(Number(n));
      expect(new ProtoReader(new Uint8Array(varint(n))).varintBig()).toBe(n);
    }
    for (const n of [-1n, -2n, -(2n ** 40n)]) expect(new ProtoReader(new Uint8Array(varint(n))).varint64()).toBe(Number(n));
    expect(new ProtoReader(new Uint8Array(varint(2n ** 64n - 1n))).varintBig()).toBe(2n ** 64n - 1n);
  });

  it('throws ProtobufError on truncation, overlong varints and lengths past the end', () => {
    const cases: Array<[number[], (r: ProtoReader) => unknown]> = [
      [[0x80], (r) => r.varint32()],
      [new Array(11).fill(0xff), (r) => r.varint64()],
      [[5, 1, 2], (r) => r.bytes()],
      [[1, 2, 3], (r) => r.double()],
      [[1], (r) => r.fixed32()],
      [[0], (r) => r.tag()],
      [[...tag(1, 3)], (r) => r.skip(r.tag() & 7)],
      [[...tag(1, WIRE_LEN), 9, 1], (r) => (r.tag(), r.skip(WIRE_LEN))],
    ];
    for (const [bytes, read] of cases) expect(() => read(new ProtoReader(new Uint8Array(bytes))), JSON.stringify(bytes)).toThrow(ProtobufError);
  });
});
