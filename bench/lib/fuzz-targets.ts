// The decoders the fuzz run feeds, by name, so a fuzz worker thread can rebuild them (functions do
// not cross thread boundaries; corpora do).
import { decodeSeries } from '../../src/codec/series.js';
import { decompress } from '../../src/codec/lz.js';
import type { FuzzTarget } from './fuzz.js';

export type FuzzTargetName = 'decodeSeries' | 'decompress';

export const FUZZ_DECODERS: Record<FuzzTargetName, FuzzTarget['decode']> = {
  decodeSeries(bytes) {
    const out = decodeSeries(bytes);
    return out.tsMs.length === out.values.length ? null : `decodeSeries returned ${out.tsMs.length} timestamps but ${out.values.length} values`;
  },
  decompress(bytes) {
    return decompress(bytes) instanceof Uint8Array ? null : 'decompress returned a non-Uint8Array';
  },
};
