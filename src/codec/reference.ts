// Plain-TypeScript twins of every wasm codec: byte-compatible with build/*.wasm, used as the test
// oracle (wasm output must equal these bytes) and as the "plain" peer in the bench.
export * from './reference/series.js';
export * from './reference/lz.js';
export * from './reference/crc32c.js';
