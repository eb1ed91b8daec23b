// The logs hot tail: storage/hot-chunks.ts (records kept once, in a shared buffer per chunk, handed
// to the WAL in slices and to the sealing worker as they are; cut chunks queryable until their
// commit) with entry records (codec/entry-record.ts). A chunk collects its block's index meta as
// entries arrive (levels, terms, keys: hot-meta.ts), so sealing it as a RAW block needs no decode
// anywhere. Queries decode a chunk's records lazily (`entries`), once per record, and keep the
// decoded objects with the chunk.
import type { Buffer } from 'node:buffer';
import { HotChunkBase, HotChunkList, MIN_CHUNK_CAPACITY } from '../storage/hot-chunks.js';
import { decodeEntryRecords, EntryRecordWriter } from './codec/entry-record.js';
import { HotMeta } from './hot-meta.js';
import type { LogEntry, Resource } from './types.js';

export class HotChunk extends HotChunkBase<EntryRecordWriter> {
  /** Bit i = some entry has level LOG_LEVELS[i]. */
  levelMask = 0;
  /** Index terms and keys of the entries so far. */
  readonly meta: HotMeta;
  private readonly decoded: LogEntry[] = [];
  private decodedBytes = 0;
  /** Resource of the last decoded record (the next one may chain to it). */
  private lastResource: Resource | undefined;

  constructor(capacity = MIN_CHUNK_CAPACITY, indexedAttributes: readonly string[] = [], reuse?: Buffer) {
    // Chained resources: a chunk's records repeat one resource object; each WAL slice restarts the
    // chain (takeUnlogged), so a WAL record decodes on its own, and a chunk from its start.
    super(new EntryRecordWriter(capacity, true, true, reuse));
    this.meta = new HotMeta(indexedAttributes);
  }

  /**
   * The entries, decoded from the records on first use (only the ones appended since the last call):
   * a stable prefix, index i = seqs[i]. Each entry object is the caller's to read, not to mutate.
   */
  get entries(): LogEntry[] {
    const end = this.writer.byteLength;
    if (this.decodedBytes < end) {
      const { entries, lastResource } = decodeEntryRecords(this.writer.bytes().subarray(this.decodedBytes, end), this.lastResource);
      for (let i = 0; i < entries.length; i++) this.decoded.push(entries[i]);
      this.decodedBytes = end;
      this.lastResource = lastResource;
    }
    return this.decoded;
  }
}

export class HotTail extends HotChunkList<HotChunk> {
  constructor(indexedAttributes: readonly string[] = []) {
    super((capacity, reuse) => new HotChunk(capacity, indexedAttributes, reuse));
  }

  /** Appends one entry (its record is encoded here; throws the codec's error and keeps nothing on bad input). */
  append(entry: LogEntry, seq: number): void {
    const c = this.active;
    const w = c.writer;
    const before = w.byteLength;
    w.append(entry, seq);
    this.track(c, entry, seq, w.byteLength - before);
  }

  /** Appends an entry whose record was encoded already (`record` = exactly its bytes, seq included). */
  appendEncoded(entry: LogEntry, seq: number, record: Uint8Array): void {
    const c = this.active;
    c.writer.appendEncoded(record, 1);
    this.track(c, entry, seq, record.length);
  }

  private track(c: HotChunk, entry: LogEntry, seq: number, recordBytes: number): void {
    c.track(seq, recordBytes, entry.tsNs);
    c.levelMask |= 1 << ((entry.severityNumber - 1) >> 2);
    c.meta.add(entry.attributes, entry.resource);
  }

  /** Entries in memory (active + sealing chunks). */
  get entries(): number {
    return this.events;
  }
}
