import { describe, expect, it } from 'vitest';
import { Prng } from '../../../bench/gen/prng.js';
import { nastyMessage } from '../../../test/logs-random-entries.js';
import { ByteReader } from './bytes.js';
import { bufferView } from './hex.js';
import { StringColumnsDecoder, StringColumnsEncoder } from './string-columns.js';
import { parseTemplate, tokenize, VarSink } from './templates.js';

/** Template with readable placeholders. */
function shown(s: string): string {
  const t = tokenize(s, new VarSink());
  return t.replace(/[\u0010-\u0017]/g, (c) => ['\\', 'INT', 'PAD', 'DEC', 'HEX', 'UUID', 'STR', 'SUB'][c.charCodeAt(0) - 0x10]
    .replace(/^([A-Z]+)$/, '<$1>'));
}

/** Strings through the real encoder and decoder (templates + slot columns). */
function roundTrip(strings: string[]): string[] {
  const enc = new StringColumnsEncoder();
  for (const s of strings) enc.add(s);
  const { templates, slots } = enc.finish();
  const tb = bufferView(templates.view().slice());
  const sb = bufferView(slots.view().slice());
  // Two buffers: the decoder reads slots from the buffer it is given, so join them.
  const joined = Buffer.concat([tb, sb]);
  const dec = new StringColumnsDecoder(joined, new ByteReader(joined, 0, tb.length), new ByteReader(joined, tb.length, joined.length));
  // The decoder needs each string's template id: a second encoder run gives the same ids.
  const enc2 = new StringColumnsEncoder();
  return strings.map((s) => dec.read(enc2.add(s)));
}

describe('templates', () => {
  it('splits typical lines into templates and typed variables', () => {
    expect(shown('GET /api/items/123 200 12.3ms')).toBe('GET /api/items/<INT> <INT> <DEC>ms');
    expect(shown('user 007 at 10.0.3.17:5432')).toBe('user <PAD> at <INT>.<INT>.<INT>.<INT>:<INT>');
    expect(shown('req 550e8400-e29b-41d4-a716-446655440000 trace e3b0c44298fc1c149afbf4c8996fb924')).toBe('req <UUID> trace <HEX>');
    expect(shown('id=req-3ae9x2 v2 Win64 x86 -5 -0 1.50')).toBe('id=req-<STR> v<INT> Win<INT> x<INT> <INT> -<INT> <DEC>');
    expect(shown('2024-04-25T12:34:56.789Z')).toBe('<INT>-<PAD>-<INT>T<INT>:<INT>:<DEC>Z');
    expect(shown('{"method":"GET","n":5,"e":"a\\"b"}')).toBe('{"method":"<SUB>","n":<INT>,"e":"a\\"b"}');
    expect(shown('12345678901234567890 1e5 3ae')).toBe('<STR> <INT>e<INT> <STR>');
    // Placeholder chars in the text are escaped (shown as a backslash before them).
    expect(shown('\u0011 \u0010')).toBe('\\<INT> \\\\');
  });

  it('parses escaped templates back', () => {
    expect(parseTemplate('a\u0011b\u0010\u0013c')).toEqual({ lits: ['a', 'b\u0013c'], types: [1] });
    expect(parseTemplate('x\u0010')).toBeUndefined();
    expect(parseTemplate('x\u0010y')).toBeUndefined();
  });

  it('round-trips every string exactly (seeded nasty strings, repeats included)', () => {
    const rng = new Prng(77);
    const strings: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const r = rng.float();
      if (r < 0.2 && strings.length > 0) strings.push(strings[rng.int(0, strings.length - 1)]);
      else if (r < 0.3) strings.push(JSON.stringify({ a: nastyMessage(rng), n: rng.int(-5, 5e6), s: [nastyMessage(rng), 'GET'] }));
      else strings.push(nastyMessage(rng));
    }
    expect(roundTrip(strings)).toEqual(strings);
  });

  it('round-trips numbers at the edges of each kind', () => {
    const strings: string[] = [];
    for (const d of ['0', '9', '10', '99999999999999', '999999999999999', '9999999999999999', '0000000000000', '00000000000000', '000000000000000']) {
      strings.push(d, `-${d}`, `${d}.5`, `0.${d}`, `-0.${d}`, `x${d}`, `${d}ms`);
    }
    strings.push('1.2.3.4', '1.2.', '.5', '5.', '-.5', '--5', '-5-', 'a-5', '5-a', '1.5.', '1..5', '-0.0', '-00.1');
    // uuids: version 4 (packed), other versions and variants (raw), repeats (references).
    for (const u of ['00000000-0000-4000-8000-000000000000', 'ffffffff-ffff-4fff-bfff-ffffffffffff', 'ffffffff-ffff-1fff-cfff-ffffffffffff',
      '12345678-9abc-4def-7012-3456789abcde', '00000000-0000-4000-8000-000000000000', 'ffffffff-ffff-1fff-cfff-ffffffffffff']) {
      strings.push(u, `id ${u}`);
    }
    expect(roundTrip(strings)).toEqual(strings);
  });
});
