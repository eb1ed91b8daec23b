// The operations table (schema.ts step 2): which services exist and which span names (with kinds)
// each has, for services() / operations() and Jaeger's lists. Rows are upserted in the seal commit
// from the chunk's collector; queries add the hot tail's (not yet committed) operations.
import type Database from 'better-sqlite3';
import { SPAN_KINDS, type SpanKind } from './types.js';
import type { Operation } from './span-meta.js';

const NS_PER_MS = 1_000_000n;

export interface OperationRow {
  service: string;
  name: string;
  kind: SpanKind;
}

export class OperationsTable {
  private readonly upsert;
  private readonly all;
  private readonly ofService;
  private readonly dropOlder;

  constructor(db: Database.Database) {
    this.upsert = db.prepare(
      `INSERT INTO operations (service, name, kind, last_seen_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (service, name, kind) DO UPDATE SET last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)`,
    );
    this.all = db.prepare('SELECT service, name, kind FROM operations ORDER BY service, name, kind').raw(true);
    this.ofService = db.prepare('SELECT service, name, kind FROM operations WHERE service = ? ORDER BY name, kind').raw(true);
    this.dropOlder = db.prepare('DELETE FROM operations WHERE last_seen_ms < ?');
  }

  /** Caller owns the transaction (the seal commit). */
  add(ops: Iterable<Operation>): void {
    for (const o of ops) this.upsert.run(o.service, o.name, SPAN_KINDS.indexOf(o.kind), Number(o.lastStartNs / NS_PER_MS));
  }

  list(service?: string): OperationRow[] {
    const rows = (service === undefined ? this.all.all() : this.ofService.all(service)) as Array<[string, string, number]>;
    return rows.map(([s, name, kind]) => ({ service: s, name, kind: SPAN_KINDS[kind] ?? 'unspecified' }));
  }

  /** Age retention: operations not seen since `horizonMs` go. */
  dropOlderThan(horizonMs: number): number {
    return this.dropOlder.run(horizonMs).changes;
  }
}

/** Merges rows (already sorted) with more operations; sorted by service, name, kind, distinct. */
export function mergeOperations(rows: OperationRow[], more: Iterable<Operation>): OperationRow[] {
  const seen = new Map<string, OperationRow>();
  for (const r of rows) seen.set(`${r.service}\u0000${r.name}\u0000${r.kind}`, r);
  for (const o of more) {
    const k = `${o.service}\u0000${o.name}\u0000${o.kind}`;
    if (!seen.has(k)) seen.set(k, { service: o.service, name: o.name, kind: o.kind });
  }
  return [...seen.values()].sort((a, b) => (a.service !== b.service ? (a.service < b.service ? -1 : 1) : a.name !== b.name ? (a.name < b.name ? -1 : 1) : SPAN_KINDS.indexOf(a.kind) - SPAN_KINDS.indexOf(b.kind)));
}
