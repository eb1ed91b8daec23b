// Bit-exact comparison of float columns: `===` would call NaN != NaN and -0 == +0, and would not
// see a changed NaN payload, so compare the raw 64-bit patterns instead.

/** Index of the first point whose bits differ, -1 when equal, or -2 when the lengths differ. */
export function firstBitMismatch(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return -2;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length * 2);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i >> 1;
  return -1;
}

export function sameBits(a: Float64Array, b: Float64Array): boolean {
  return firstBitMismatch(a, b) === -1;
}
