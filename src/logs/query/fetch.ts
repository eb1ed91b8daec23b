// Coalesced block reads for the logs read task: the shared fetcher (src/storage/block-fetch.ts),
// used with absolute segment paths (no root).
export { BlockFetcher, COALESCE_GAP_BYTES, MAX_READ_BYTES, type BlockSpan } from '../../storage/block-fetch.js';
