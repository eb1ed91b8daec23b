// The series catalog: (name, labels) → series id, metric metadata, and the label postings.
// SQLite (`series`, `metric_meta`) is the durable copy; this is the in-memory one the write path
// uses. New series are defined in the WAL at once (durable with the next flush) and inserted into
// SQLite in batches (before any block row references them), so creating 100 k series costs no
// SQLite round trip per series.
import type Database from 'better-sqlite3';
import { LabelIndex } from './query/label-index.js';
import { canonicalLabels, checkName, seriesKey } from './labels.js';
import { SeriesKeyMap } from './series-keys.js';
import type { Labels, MetricMeta, MetricType } from './types.js';
import { MetricsError } from './errors.js';

/**
 * Object-cache value: the series id when the labels object was written with one metric name (the
 * usual case: a number, no allocation; the name is checked against the catalog), else name → id.
 */
type CacheEntry = number | Map<string, number>;

const METRIC_TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary', 'unknown'];

export class Catalog {
  readonly index = new LabelIndex();
  /** Canonical key → id; holds hashes, not key strings (series-keys.ts). */
  private readonly byKey = new SeriesKeyMap();
  /** Confirms a key-map hit: the candidate's key rebuilt from the postings equals the wanted key. */
  private readonly keyOf = (key: string) => (id: number): boolean => seriesKey(this.nameOf(id), this.labelsOf(id)) === key;
  /**
   * Fast path: callers that reuse a labels object skip sorting and stringifying. The cache is keyed
   * by object identity, so a labels object must not be mutated after it was written with (documented
   * on write()).
   */
  private readonly byObject = new WeakMap<object, CacheEntry>();
  /**
   * Series not yet in SQLite: ids and creation times only (name and labels are in the postings),
   * so 100 k new series do not hold 100 k objects and JSON strings until the first seal.
   */
  private pendingIds: number[] = [];
  private pendingCreatedMs: number[] = [];
  private readonly meta = new Map<string, MetricMeta>();
  private nextId = 1;

  /** Called once per new series (the engine appends a WAL define record). */
  onDefine: (id: number, name: string, labels: Labels) => void = () => {};

  get size(): number {
    return this.byKey.size;
  }

  get maxId(): number {
    return this.nextId - 1;
  }

  /** Loads every series and metric_meta row (one scan each) and rebuilds the postings. */
  load(db: Database.Database): void {
    const rows = db.prepare('SELECT id, name, labels_json, key FROM series ORDER BY id').raw().iterate() as Iterable<
      [number, string, string, string]
    >;
    for (const [id, name, labelsJson, key] of rows) {
      this.byKey.set(key, id);
      this.index.add(id, name, JSON.parse(labelsJson) as Labels);
      if (id >= this.nextId) this.nextId = id + 1;
    }
    for (const row of db.prepare('SELECT name, type, unit, help FROM metric_meta').all() as Array<{
      name: string;
      type: MetricType;
      unit: string | null;
      help: string | null;
    }>) {
      this.meta.set(row.name, { type: row.type, unit: row.unit ?? undefined, help: row.help ?? undefined });
    }
  }

  /** Series id for (name, labels), creating the series if new. Throws INVALID_NAME / INVALID_LABELS. */
  resolve(name: string, labels: Labels): number {
    const cachedId = this.cached(name, labels);
    if (cachedId >= 0) return cachedId;
    checkName(name);
    const sorted = canonicalLabels(labels);
    const key = seriesKey(name, sorted);
    let id = this.byKey.get(key, this.keyOf(key));
    if (id === undefined) id = this.create(name, sorted, key);
    if (typeof labels === 'object' && labels !== null) {
      const hit = this.byObject.get(labels);
      if (hit === undefined) this.byObject.set(labels, id);
      else if (typeof hit === 'number') this.byObject.set(labels, new Map([[this.nameOf(hit), hit], [name, id]]));
      else hit.set(name, id);
    }
    return id;
  }

  /** The id when this labels object was already written with under this name, else -1. */
  cached(name: string, labels: Labels): number {
    const hit = typeof labels === 'object' && labels !== null ? this.byObject.get(labels) : undefined;
    if (hit === undefined) return -1;
    if (typeof hit === 'number') return this.index.metricOf(hit) === name ? hit : -1;
    return hit.get(name) ?? -1;
  }

  /** Throws what resolve() would throw, without creating anything. */
  check(name: string, labels: Labels): void {
    if (this.cached(name, labels) >= 0) return;
    checkName(name);
    canonicalLabels(labels);
  }

  /** Id of an existing series or undefined (no creation). */
  lookup(name: string, labels: Labels): number | undefined {
    const key = seriesKey(name, canonicalLabels(labels));
    return this.byKey.get(key, this.keyOf(key));
  }

  private create(name: string, sorted: Labels, key: string): number {
    const id = this.nextId++;
    this.register(id, name, sorted, key);
    this.onDefine(id, name, sorted);
    return id;
  }

  /** WAL replay: a series defined in the WAL, possibly not yet in SQLite. */
  define(id: number, name: string, labels: Labels): void {
    const key = seriesKey(name, labels);
    const existing = this.byKey.get(key, this.keyOf(key));
    if (existing !== undefined) return;
    this.register(id, name, labels, key);
    if (id >= this.nextId) this.nextId = id + 1;
  }

  private register(id: number, name: string, sorted: Labels, key: string): void {
    this.byKey.set(key, id);
    this.index.add(id, name, sorted);
    this.pendingIds.push(id);
    this.pendingCreatedMs.push(Date.now());
  }

  /** Inserts series not yet in SQLite; call inside the transaction that adds block rows. */
  insertPending(db: Database.Database): void {
    if (this.pendingIds.length === 0) return;
    const stmt = db.prepare(
      'INSERT OR IGNORE INTO series (id, name, labels_json, key, created_ms, sealed_seq) VALUES (?, ?, ?, ?, ?, 0)',
    );
    for (let i = 0; i < this.pendingIds.length; i++) {
      const id = this.pendingIds[i];
      const name = this.nameOf(id);
      const labels = this.labelsOf(id); // sorted by label name, as when the series was defined
      stmt.run(id, name, JSON.stringify(labels), seriesKey(name, labels), this.pendingCreatedMs[i]);
    }
    this.pendingIds = [];
    this.pendingCreatedMs = [];
  }

  get pendingCount(): number {
    return this.pendingIds.length;
  }

  defineMetric(db: Database.Database, name: string, meta: MetricMeta): void {
    checkName(name);
    if (meta === null || typeof meta !== 'object' || !METRIC_TYPES.includes(meta.type)) {
      throw new MetricsError('INVALID_VALUE', `metric type must be one of ${METRIC_TYPES.join(', ')}, got ${String(meta?.type)}`);
    }
    for (const k of ['unit', 'help'] as const) {
      if (meta[k] !== undefined && typeof meta[k] !== 'string') {
        throw new MetricsError('INVALID_VALUE', `metric ${k} must be a string when given`);
      }
    }
    db.prepare(
      `INSERT INTO metric_meta (name, type, unit, help) VALUES (?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET type = excluded.type, unit = excluded.unit, help = excluded.help`,
    ).run(name, meta.type, meta.unit ?? null, meta.help ?? null);
    this.meta.set(name, { type: meta.type, unit: meta.unit, help: meta.help });
  }

  metaOf(name: string): MetricMeta | undefined {
    return this.meta.get(name);
  }

  /** Metric names with data or metadata, sorted. */
  metricNames(): string[] {
    const names = new Set(this.index.metricNames());
    return [...names].sort();
  }

  nameOf(id: number): string {
    return this.index.metricOf(id) ?? '';
  }

  labelsOf(id: number): Labels {
    return this.index.labelsOf(id) ?? {};
  }
}
