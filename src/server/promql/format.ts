// Number formatting exactly as Prometheus' API writes it (Go's strconv): sample values in vectors and
// matrices use %f below 1e21 and down to 1e-6, %e outside ("1e-07", "1.5e+21"); scalar results and
// count_values labels always use %f ("0.0000001"); infinities are "+Inf"/"-Inf".

/** Go's FormatFloat(v, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatFloatF(v: number): string {
  const special = specialValue(v);
  if (special !== undefined) return special;
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  return expandExponent(s.slice(0, e), Number(s.slice(e + 1)));
}

/** NaN, ±Inf and ±0 as Go writes them; undefined for every other value. */
function specialValue(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  return undefined;
}

/** "d.ddd" × 10^exp written out in positional notation. */
function expandExponent(mantissa: string, exp: number): string {
  const neg = mantissa.startsWith('-');
  const m = neg ? mantissa.slice(1) : mantissa;
  const dot = m.indexOf('.');
  const digits = dot < 0 ? m : m.slice(0, dot) + m.slice(dot + 1);
  const intLen = (dot < 0 ? m.length : dot) + exp;
  let out: string;
  if (intLen <= 0) out = '0.' + '0'.repeat(-intLen) + digits;
  else if (intLen >= digits.length) out = digits + '0'.repeat(intLen - digits.length);
  else out = digits.slice(0, intLen) + '.' + digits.slice(intLen);
  return neg ? '-' + out : out;
}

/** A sample value as Prometheus' JSON API writes it. */
export function formatSampleValue(v: number): string {
  const special = specialValue(v);
  if (special !== undefined) return special;
  // JavaScript switches to exponent notation at the same bounds (< 1e-6, >= 1e21); only Go's
  // two-digit minimum exponent differs.
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const exp = s.slice(e + 1);
  const sign = exp[0] === '-' ? '-' : '+';
  const digits = exp.replace(/^[+-]/, '');
  return `${s.slice(0, e)}e${sign}${digits.length < 2 ? '0' + digits : digits}`;
}

/** Milliseconds as Prometheus' float seconds (at most 3 decimals). */
export function formatTimestamp(ms: number): string {
  return String(ms / 1000);
}
