// CLP-style message templates: a string splits into a template (its constant text, with one
// placeholder char per variable) and typed variables. Blocks store each distinct template once and
// each variable in a column of its (template, slot), where same-kind values sit together: status
// codes repeat, durations share a scale, ids are raw bytes instead of hex text.
//
// Round trip is exact for every well-formed string: a token only becomes a typed variable when its
// canonical formatting reproduces it char for char ("007" is a zero-padded int of width 3, "1.50" a
// decimal with 2 fraction digits, "-0" stays text); anything else stays template text.
//
// Variable types (placeholder char = 0x10 + type):
//   INT    1  -?[1-9][0-9]{0,14} | 0           signed value (|v| < 1e15)
//   PADINT 2  [0-9]{1,14} with a leading zero   value * 16 + width
//   DEC    3  -?(0|[1-9][0-9]*)\.[0-9]+, <= 14 digits in all, not -0.0...
//                                              zigzag(mantissa) * 16 + fraction digits
//   HEX    4  [0-9a-f]{6,} with a digit and a letter (an alnum run)    the hex text
//   UUID   5  8-4-4-4-12 lowercase hex          the uuid text
//   STR    6  a digit run too long for INT/PADINT, or an alnum run mixing letters and digits
//             that is not a word+number, number+unit or date-time (opaque ids)   the text
//   SUB    7  the content of a double-quoted string that is not an object key ("GET" in
//             {"method":"GET"}), without backslashes: a string instance of its own (its template
//             id), so JSON lines keep one template while their string values vary
// Template text chars 0x10..0x17 are escaped as 0x10 + char.

export const VT_INT = 1;
export const VT_PADINT = 2;
export const VT_DEC = 3;
export const VT_HEX = 4;
export const VT_UUID = 5;
export const VT_STR = 6;
export const VT_SUB = 7;
export const VT_MAX = 7;
/** Last char code that is a placeholder (escaped when it is template text). */
const PH_LAST = 0x10 + VT_MAX;

const ESC = 0x10;
const ESC_CHAR = '\u0010';
const PH = ['', '\u0011', '\u0012', '\u0013', '\u0014', '\u0015', '\u0016', '\u0017'];

// Alnum classes as bits (0 = not alnum): a run's OR tells digits / hex letters / other letters apart.
const B_DIGIT = 1;
const B_HEXLETTER = 2;
const B_LETTER = 4;
const BITS = new Uint8Array(128);
for (let c = 48; c <= 57; c++) BITS[c] = B_DIGIT;
for (let c = 97; c <= 102; c++) BITS[c] = B_HEXLETTER;
for (let c = 103; c <= 122; c++) BITS[c] = B_LETTER;
for (let c = 65; c <= 90; c++) BITS[c] = B_LETTER;

/** Variables of the strings scanned since the last reset, in order (flat, reused). */
export class VarSink {
  n = 0;
  types = new Uint8Array(1024);
  /** INT: the value; PADINT/DEC: the packed value (see the file comment). */
  nums = new Float64Array(1024);
  /** HEX/UUID/STR: the text ('' for numeric types). */
  strs: string[] = [];
  /** Where each variable's text starts and ends in its string (valid until the next scan). */
  starts = new Int32Array(1024);
  ends = new Int32Array(1024);

  reset(): void {
    this.n = 0;
    this.strs.length = 0;
  }

  private grow(): void {
    const cap = this.types.length * 2;
    const t = new Uint8Array(cap);
    t.set(this.types);
    this.types = t;
    const v = new Float64Array(cap);
    v.set(this.nums);
    this.nums = v;
    const a = new Int32Array(cap);
    a.set(this.starts);
    this.starts = a;
    const b = new Int32Array(cap);
    b.set(this.ends);
    this.ends = b;
  }

  num(type: number, v: number, start: number, end: number): void {
    if (this.n === this.types.length) this.grow();
    const i = this.n++;
    this.types[i] = type;
    this.nums[i] = v;
    this.strs[i] = '';
    this.starts[i] = start;
    this.ends[i] = end;
  }

  str(type: number, text: string, start: number, end: number): void {
    if (this.n === this.types.length) this.grow();
    const i = this.n++;
    this.types[i] = type;
    this.nums[i] = 0;
    this.strs[i] = text;
    this.starts[i] = start;
    this.ends[i] = end;
  }
}

function isUuidAt(s: string, i: number): boolean {
  if (i + 36 > s.length) return false;
  for (let k = 0; k < 36; k++) {
    const c = s.charCodeAt(i + k);
    if (k === 8 || k === 13 || k === 18 || k === 23) {
      if (c !== 45) return false;
    } else if (c >= 128 || (BITS[c] !== B_DIGIT && BITS[c] !== B_HEXLETTER)) return false;
  }
  return true;
}

/**
 * Finds the variables of s (appended to sink, with their positions) and returns a 32-bit hash of
 * its template (the text between variables, and the variable types), as an int32. Pure function of s. The
 * template itself is only materialized for new templates (templateText), and matched against
 * known ones without allocating (sameTemplate).
 */
export function scan(s: string, sink: VarSink): number {
  const n = s.length;
  // The template hash, FNV-1a over the text chars and one mark per variable type, is built as we
  // go: chars [0, lit) are in h; text is hashed on sight when nothing is pending before it, and
  // otherwise when the next variable (or the end) flushes [lit, start).
  let h = 0x811c9dc5;
  let lit = 0;
  let i = 0;
  let backslash = -1; // the next '\\' at or after i (n: none), found lazily
  while (i < n) {
    const c = s.charCodeAt(i);
    const bits = c < 128 ? BITS[c] : 0;
    if (bits === 0) {
      if (c === 34 && (i === 0 || s.charCodeAt(i - 1) !== 92)) {
        // A quoted string without escapes: a SUB variable when it is a value, template text when it
        // is an object key (followed by ':'). With escapes, quotes are just text.
        const q = s.indexOf('"', i + 1);
        if (backslash <= i) {
          backslash = s.indexOf('\\', i + 1);
          if (backslash < 0) backslash = n;
        }
        if (q > i && backslash > q) {
          if (s.charCodeAt(q + 1) === 58) {
            i = q + 1; // a key: text, flushed later
            continue;
          }
          if (q > i + 1) {
            h = flush(s, h, lit, i + 1, VT_SUB);
            sink.num(VT_SUB, 0, i + 1, q); // value: the template id, set by the caller
            lit = q;
            i = q + 1;
            continue;
          }
        }
      } else if (c === 45 && i + 1 < n && digitAt(s, i + 1) && (i === 0 || !alnumAt(s, i - 1))) {
        // A sign, if the run after it is all digits ("-5", not "-5ms" or "-1a2b3c").
        let j = i + 1;
        while (j < n && digitAt(s, j)) j++;
        if (j === n || !alnumAt(s, j)) {
          const v = sink.n;
          i = number(s, i, i + 1, j, true, sink);
          h = flush(s, h, lit, sink.starts[v], sink.types[v]);
          lit = i;
          continue;
        }
      }
      if (lit === i) {
        h = Math.imul(h ^ c, 0x01000193);
        lit = i + 1;
      }
      i++;
      continue;
    }
    // An alnum run [i, j); its text hashed on the way in case it turns out to be plain text.
    let j = i;
    let mask = 0;
    let hRun = h;
    for (; j < n; j++) {
      const d = s.charCodeAt(j);
      const b = d < 128 ? BITS[d] : 0;
      if (b === 0) break;
      mask |= b;
      hRun = Math.imul(hRun ^ d, 0x01000193);
    }
    if ((mask & B_DIGIT) === 0) {
      if (lit === i) {
        h = hRun;
        lit = j;
      }
      i = j; // plain word: template text
      continue;
    }
    const hexOnly = (mask & B_LETTER) === 0;
    if (j - i === 8 && hexOnly && j < n && s.charCodeAt(j) === 45 && isUuidAt(s, i)) {
      h = flush(s, h, lit, i, VT_UUID);
      sink.str(VT_UUID, s.slice(i, i + 36), i, i + 36);
      i += 36;
      lit = i;
      continue;
    }
    if (hexOnly && (mask & B_HEXLETTER) !== 0 && j - i >= 6) {
      h = flush(s, h, lit, i, VT_HEX);
      sink.str(VT_HEX, s.slice(i, j), i, j);
      i = j;
      lit = i;
      continue;
    }
    if (!splittable(s, i, j)) {
      // An opaque id ("req-3ae", "x2k8p", "a1b2"): split up, its letters would become template
      // text and every distinct id a new template.
      h = flush(s, h, lit, i, VT_STR);
      sink.str(VT_STR, s.slice(i, j), i, j);
      i = j;
      lit = i;
      continue;
    }
    // A word with a number, a number with a unit, a date-time ("Win64", "x86", "12ms", "25T12"):
    // the letters stay template text, the digits become numbers.
    let p = i;
    while (p < j) {
      if (!digitAt(s, p)) {
        p++;
        continue;
      }
      let q = p;
      while (q < j && digitAt(s, q)) q++;
      const v = sink.n;
      p = number(s, p, p, q, q === j, sink);
      h = flush(s, h, lit, sink.starts[v], sink.types[v]);
      lit = p;
    }
    i = p; // p > j when a fraction took us past the run
  }
  h = flush(s, h, lit, n, 0);
  return h | 0; // int32: a Smi key in the template map
}

/** Hashes text [from, to) into h, then the mark of a variable of `type` (0: none, at the end). */
function flush(s: string, h: number, from: number, to: number, type: number): number {
  for (let y = from; y < to; y++) h = Math.imul(h ^ s.charCodeAt(y), 0x01000193);
  return type === 0 ? h : Math.imul(h ^ (0x10000 | type), 0x01000193);
}

function digitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

function alnumAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c < 128 && BITS[c] !== 0;
}

/** Text chars 0x10..0x17 escaped (they would read as placeholders). */
function escapeText(t: string): string {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= ESC && c <= PH_LAST) {
      let out = '';
      for (let j = 0; j < t.length; j++) {
        const d = t.charCodeAt(j);
        out += d >= ESC && d <= PH_LAST ? ESC_CHAR + t[j] : t[j];
      }
      return out;
    }
  }
  return t;
}

/** The template text of the string whose variables are sink[v0, sink.n) (after scan). */
export function templateText(s: string, sink: VarSink, v0: number): string {
  let tpl = '';
  let at = 0;
  for (let x = v0; x < sink.n; x++) {
    tpl += escapeText(s.slice(at, sink.starts[x])) + PH[sink.types[x]];
    at = sink.ends[x];
  }
  return tpl + escapeText(s.slice(at));
}

/** Whether the string whose variables are sink[v0, sink.n) has template p (no allocation). */
export function sameTemplate(s: string, sink: VarSink, v0: number, p: ParsedTemplate): boolean {
  const nv = sink.n - v0;
  const { lits, types } = p;
  if (types.length !== nv) return false;
  let at = 0;
  for (let k = 0; k <= nv; k++) {
    const end = k < nv ? sink.starts[v0 + k] : s.length;
    const lit = lits[k];
    if (end - at !== lit.length || (lit.length > 0 && !s.startsWith(lit, at))) return false;
    if (k < nv) {
      if (types[k] !== sink.types[v0 + k]) return false;
      at = sink.ends[v0 + k];
    }
  }
  return true;
}

/** Template text and variables of s in one call (tests and tools; the block encoder uses scan). */
export function tokenize(s: string, sink: VarSink): string {
  const v0 = sink.n;
  scan(s, sink);
  return templateText(s, sink, v0);
}

/** Units that follow numbers ("12ms", "4KB", "3rd"): lowercase. */
const UNITS = new Set([
  'ns', 'us', 'ms', 's', 'sec', 'secs', 'm', 'min', 'mins', 'h', 'hr', 'hrs', 'd', 'day', 'days', 'w', 'y',
  'b', 'k', 'kb', 'mb', 'gb', 'tb', 'pb', 'kib', 'mib', 'gib', 'tib', 'bytes', 'x', 'px', 'pt', 'em', 'rem',
  'st', 'nd', 'rd', 'th', 'hz', 'khz', 'mhz', 'ghz', 'fps', 'rps', 'qps', 'bps', 'kbps', 'mbps', 'gbps', 'c', 'f',
]);

/**
 * Whether the alnum run [i, j) with a digit splits into template text + numbers: a word then a
 * number ("Win64", "v2"), a number then a unit ("12ms"), or number-letter-number with one letter
 * ("25T12" in ISO times, "1920x1080"). Anything else alternating letters and digits is an id.
 */
function splittable(s: string, i: number, j: number): boolean {
  let segments = 1;
  for (let k = i + 1; k < j; k++) if (digitAt(s, k) !== digitAt(s, k - 1)) segments++;
  if (segments === 1) return true; // all digits
  const startsWithDigit = digitAt(s, i);
  if (segments === 2) {
    if (!startsWithDigit) return true;
    let k = i;
    while (digitAt(s, k)) k++;
    return j - k <= 5 && UNITS.has(s.slice(k, j).toLowerCase());
  }
  if (segments === 3 && startsWithDigit) {
    let k = i;
    while (digitAt(s, k)) k++;
    return digitAt(s, k + 1);
  }
  return false;
}

/**
 * Parses the number whose digits are [d0, d1) (a maximal digit run; `start` is d0 or the index of
 * its '-' sign), pushes one variable (with the '-' only when the value keeps it) and returns where
 * it ends. `fractionOk`: the digit run ends its
 * alnum run, so ".123" may follow as a fraction.
 */
function number(s: string, start: number, d0: number, d1: number, fractionOk: boolean, sink: VarSink): number {
  const neg = start < d0;
  const intDigits = d1 - d0;
  const canonicalInt = intDigits === 1 || s.charCodeAt(d0) !== 48;
  if (fractionOk && canonicalInt && d1 + 1 < s.length && s.charCodeAt(d1) === 46 && digitAt(s, d1 + 1)) {
    let f1 = d1 + 1;
    while (f1 < s.length && digitAt(s, f1)) f1++;
    const fracDigits = f1 - d1 - 1;
    // "10.0.3.17" and "1.2.3" are dotted sequences, not decimals: their parts stay separate ints
    // (checked on both sides: "86.233" ends "81.53.86.233").
    const dotted = (f1 + 1 < s.length && s.charCodeAt(f1) === 46 && digitAt(s, f1 + 1))
      || (d0 >= 2 && s.charCodeAt(d0 - 1) === 46 && digitAt(s, d0 - 2));
    if (!dotted && intDigits + fracDigits <= 14) {
      let m = 0;
      for (let x = d0; x < d1; x++) m = m * 10 + (s.charCodeAt(x) - 48);
      for (let x = d1 + 1; x < f1; x++) m = m * 10 + (s.charCodeAt(x) - 48);
      const signed = neg && m !== 0; // "-0.0" keeps its '-' as text
      sink.num(VT_DEC, (signed ? m * 2 - 1 : m * 2) * 16 + fracDigits, signed ? start : d0, f1);
      return f1;
    }
  }
  if (canonicalInt && intDigits <= 15) {
    let v = 0;
    for (let x = d0; x < d1; x++) v = v * 10 + (s.charCodeAt(x) - 48);
    const signed = neg && v !== 0; // "-0" keeps its '-' as text
    sink.num(VT_INT, signed ? -v : v, signed ? start : d0, d1);
    return d1;
  }
  if (intDigits <= 14) {
    let v = 0;
    for (let x = d0; x < d1; x++) v = v * 10 + (s.charCodeAt(x) - 48);
    sink.num(VT_PADINT, v * 16 + intDigits, d0, d1); // unsigned: a '-' stays text
    return d1;
  }
  sink.str(VT_STR, s.slice(d0, d1), d0, d1);
  return d1;
}

/** A template split for decoding: literal text around each variable, and the variable types. */
export interface ParsedTemplate {
  /** lits.length === types.length + 1 */
  lits: string[];
  types: number[];
}

/** Splits a template (unescaping its text). Returns undefined when it is malformed. */
export function parseTemplate(tpl: string): ParsedTemplate | undefined {
  const lits: string[] = [];
  const types: number[] = [];
  let cur = '';
  let from = 0;
  for (let i = 0; i < tpl.length; i++) {
    const c = tpl.charCodeAt(i);
    if (c < ESC || c > PH_LAST) continue;
    cur += tpl.slice(from, i);
    if (c === ESC) {
      if (i + 1 >= tpl.length) return undefined;
      const e = tpl.charCodeAt(i + 1);
      if (e < ESC || e > PH_LAST) return undefined;
      cur += tpl[i + 1];
      i++;
      from = i + 1;
      continue;
    }
    lits.push(cur);
    types.push(c - ESC);
    cur = '';
    from = i + 1;
  }
  lits.push(cur + tpl.slice(from));
  return { lits, types };
}
