// In-memory label postings: metric name → label name → value → sorted series ids. Rebuilt by the
// engine from the series table on open; consulted for every query's series selection.
//
// Matcher semantics are Prometheus': a series lacking a label has value "" for it, so `l=""`
// selects series without `l`, and `!=`/`!~` also select series lacking the label unless the
// value/regex matches "". Empty label values are not stored (they mean "absent").

import { QueryError } from './errors.js';
import { Interner } from './interner.js';
import { compileMatcher, matcherAccepts, type CompiledMatcher } from './matchers.js';
import {
  difference,
  EMPTY,
  intersect,
  postingAdd,
  postingIds,
  postingRemove,
  postingSize,
  unionAll,
  type Posting,
} from './postings.js';
import { SeriesRecords } from './series-records.js';
import type { Labels, Matcher } from './types.js';

/** The pseudo-label that matchers use to select metric names when `select` gets no name. */
export const METRIC_NAME_LABEL = '__name__';

interface LabelEntry {
  values: Map<number, Posting>;
  /** Series of the metric that have this label (lets "lacks the label" skip a union when 0 lack it). */
  seriesCount: number;
}

interface MetricEntry {
  sym: number;
  all: Posting | undefined;
  labels: Map<number, LabelEntry>;
}

/** How a matcher's selected set is built from postings (see `plan`). */
interface Step {
  m: CompiledMatcher;
  /** include: union of accepted values' postings; exclude: all minus union of rejected values'. */
  include: boolean;
  /** Estimated ids touched / values enumerated; cheap steps run first and shrink the candidates. */
  cost: number;
}

export class LabelIndex {
  private readonly syms = new Interner();
  private readonly metrics = new Map<string, MetricEntry>();
  private readonly records = new SeriesRecords();

  /** Number of series in the index. */
  get count(): number {
    return this.records.count;
  }

  has(id: number): boolean {
    return this.records.offsetOf(id) >= 0;
  }

  /**
   * Adds series `id`. Re-adding an id replaces its previous name/labels. Labels with an empty
   * value and a `__name__` label are ignored (the name is the separate `name` argument).
   */
  add(id: number, name: string, labels: Labels): void {
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
      throw new QueryError('BAD_QUERY', `series id ${id} must be an integer in [0, 2^32)`);
    }
    if (typeof name !== 'string' || name === '') {
      throw new QueryError('BAD_QUERY', `series ${id}: metric name must be a non-empty string`);
    }
    if (this.has(id)) this.remove(id);
    const keys = Object.keys(labels)
      .filter((k) => k !== METRIC_NAME_LABEL && labels[k] !== '' && labels[k] !== undefined && labels[k] !== null)
      .sort();
    let metric = this.metrics.get(name);
    if (!metric) {
      metric = { sym: this.syms.intern(name), all: undefined, labels: new Map() };
      this.metrics.set(name, metric);
    } else {
      this.syms.intern(name); // one reference per series, released in remove()
    }
    metric.all = postingAdd(metric.all, id);
    const pairs = new Array<number>(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      const labelSym = this.syms.intern(keys[i]);
      const valueSym = this.syms.intern(String(labels[keys[i]]));
      pairs[2 * i] = labelSym;
      pairs[2 * i + 1] = valueSym;
      let entry = metric.labels.get(labelSym);
      if (!entry) {
        entry = { values: new Map(), seriesCount: 0 };
        metric.labels.set(labelSym, entry);
      }
      entry.seriesCount++;
      entry.values.set(valueSym, postingAdd(entry.values.get(valueSym), id));
    }
    this.records.put(id, metric.sym, pairs);
  }

  /** Removes series `id`; returns false if it was not in the index. */
  remove(id: number): boolean {
    const rec = this.records.delete(id);
    if (!rec) return false;
    const name = this.syms.str(rec[0]);
    const metric = this.metrics.get(name) as MetricEntry;
    metric.all = postingRemove(metric.all, id);
    for (let p = 2; p < rec.length; p += 2) {
      const labelSym = rec[p];
      const valueSym = rec[p + 1];
      const entry = metric.labels.get(labelSym) as LabelEntry;
      const left = postingRemove(entry.values.get(valueSym), id);
      if (left === undefined) entry.values.delete(valueSym);
      else entry.values.set(valueSym, left);
      if (--entry.seriesCount === 0) metric.labels.delete(labelSym);
      this.syms.release(labelSym);
      this.syms.release(valueSym);
    }
    if (metric.all === undefined) this.metrics.delete(name);
    this.syms.release(rec[0]);
    return true;
  }

  /** Metric name of series `id`, or undefined. */
  metricOf(id: number): string | undefined {
    const at = this.records.offsetOf(id);
    return at < 0 ? undefined : this.syms.str(this.records.raw[at]);
  }

  /** Labels of series `id` (keys in sorted order, a fresh object), or undefined. */
  labelsOf(id: number): Labels | undefined {
    const at = this.records.offsetOf(id);
    if (at < 0) return undefined;
    const d = this.records.raw;
    const out: Labels = {};
    for (let i = 0, p = at + 2; i < d[at + 1]; i++, p += 2) out[this.syms.str(d[p])] = this.syms.str(d[p + 1]);
    return out;
  }

  /** Metric names, sorted. */
  metricNames(): string[] {
    return [...this.metrics.keys()].sort();
  }

  /** Label names of one metric (or of all metrics), sorted. */
  labelNames(name?: string): string[] {
    const out = new Set<string>();
    for (const metric of this.metricsFor(name)) for (const labelSym of metric.labels.keys()) out.add(this.syms.str(labelSym));
    return [...out].sort();
  }

  /**
   * Distinct values of `label`, sorted, over the series of metric `name` (all metrics when
   * undefined) that match `matchers`.
   */
  labelValues(name: string | undefined, label: string, matchers: readonly Matcher[] = []): string[] {
    const labelSym = this.syms.lookup(label);
    if (matchers.length === 0) {
      const out = new Set<string>();
      if (labelSym === undefined) return [];
      for (const metric of this.metricsFor(name)) {
        const entry = metric.labels.get(labelSym);
        if (entry) for (const v of entry.values.keys()) out.add(this.syms.str(v));
      }
      return [...out].sort();
    }
    const ids = this.selectIds(name, matchers); // validates matchers even when the label is unknown
    if (labelSym === undefined) return [];
    const seen = new Set<number>();
    for (let i = 0; i < ids.length; i++) {
      const v = this.records.valueSym(this.records.offsetOf(ids[i]), labelSym);
      if (v >= 0) seen.add(v);
    }
    return [...seen].map((v) => this.syms.str(v)).sort();
  }

  /**
   * Series ids (ascending) of metric `name` matching every matcher. With `name` undefined, every
   * metric is considered and `__name__` matchers select metric names.
   */
  select(name: string | undefined, matchers: readonly Matcher[] = []): number[] {
    return Array.from(this.selectIds(name, matchers));
  }

  /** As `select`, returning the ids as a Uint32Array (no copy into a JS array). */
  selectIds(name: string | undefined, matchers: readonly Matcher[] = []): Uint32Array {
    const compiled = matchers.map(compileMatcher); // first, so bad matchers fail even on unknown metrics
    const nameMatchers = compiled.filter((m) => m.label === METRIC_NAME_LABEL);
    const labelMatchers = compiled.filter((m) => m.label !== METRIC_NAME_LABEL);
    const parts: Uint32Array[] = [];
    for (const metric of this.metricsFor(name)) {
      const metricName = this.syms.str(metric.sym);
      if (!nameMatchers.every((m) => matcherAccepts(m, metricName))) continue;
      const ids = this.selectInMetric(metric, labelMatchers);
      if (ids.length > 0) parts.push(ids);
    }
    // A single part may be a view into a live posting: copy so later index changes cannot alter it.
    return parts.length === 1 ? parts[0].slice() : unionAll(parts);
  }

  private metricsFor(name: string | undefined): MetricEntry[] {
    if (name === undefined) return [...this.metrics.values()];
    const m = this.metrics.get(name);
    return m ? [m] : [];
  }

  private selectInMetric(metric: MetricEntry, matchers: CompiledMatcher[]): Uint32Array {
    const all = postingIds(metric.all);
    const steps = matchers.map((m) => this.plan(metric, m));
    // Includes first (they shrink the set from nothing), cheapest first; then excludes.
    steps.sort((a, b) => Number(b.include) - Number(a.include) || a.cost - b.cost);
    let ids: Uint32Array | undefined;
    for (const step of steps) {
      const labelSym = this.syms.lookup(step.m.label);
      const entry = labelSym === undefined ? undefined : metric.labels.get(labelSym);
      if (ids !== undefined && ids.length === 0) return EMPTY;
      // Once few candidates remain, checking their own labels beats enumerating postings/values.
      if (ids !== undefined && ids.length * 2 < step.cost) {
        ids = this.filterByRecord(ids, labelSym, step.m);
        continue;
      }
      const set = this.matchedValuesUnion(metric, entry, step);
      if (step.include) ids = ids === undefined ? set : intersect(ids, set);
      else ids = difference(ids ?? all, set);
    }
    return ids ?? all;
  }

  /**
   * Decides how to build one matcher's set. A matcher's positive form accepts a set of present
   * values and possibly "" (absent). If it does not accept "", the set is the union of the accepted
   * values' postings ("include"); if it does, it is everything except the rejected values' postings
   * ("exclude"). Negation (`!=`, `!~`) swaps the roles of accepted and rejected.
   */
  private plan(metric: MetricEntry, m: CompiledMatcher): Step {
    const labelSym = this.syms.lookup(m.label);
    const entry = labelSym === undefined ? undefined : metric.labels.get(labelSym);
    const acceptsEmpty = m.matchesEmpty !== m.negative;
    const include = !acceptsEmpty;
    let cost: number;
    if (m.exact && m.value !== '') {
      const sym = this.syms.lookup(m.value);
      cost = sym === undefined || !entry ? 0 : postingSize(entry.values.get(sym));
    } else {
      // Regexes (and `=""` / `!=""`) enumerate the label's distinct values.
      cost = entry ? entry.values.size + entry.seriesCount : 0;
    }
    return { m, include, cost };
  }

  /** The union of postings of the values that decide this step (accepted for include, rejected for exclude). */
  private matchedValuesUnion(metric: MetricEntry, entry: LabelEntry | undefined, step: Step): Uint32Array {
    if (!entry) return EMPTY;
    const { m } = step;
    if (m.exact) {
      if (m.value !== '') {
        // `=v` includes v; `!=v` excludes v (`=v` never accepts "" for v ≠ "").
        const sym = this.syms.lookup(m.value);
        return sym === undefined ? EMPTY : postingIds(entry.values.get(sym));
      }
      // `=""` excludes / `!=""` includes every present value: the series that have the label.
      if (entry.seriesCount === postingSize(metric.all)) return postingIds(metric.all);
    }
    // Include wants the values the matcher accepts; exclude wants the values it rejects.
    const lists: Uint32Array[] = [];
    for (const [valueSym, posting] of entry.values) {
      if (matcherAccepts(m, this.syms.str(valueSym)) === step.include) lists.push(postingIds(posting));
    }
    return unionAll(lists);
  }

  private filterByRecord(ids: Uint32Array, labelSym: number | undefined, m: CompiledMatcher): Uint32Array {
    const out = new Uint32Array(ids.length);
    let n = 0;
    for (let i = 0; i < ids.length; i++) {
      const at = this.records.offsetOf(ids[i]);
      const v = labelSym === undefined ? -1 : this.records.valueSym(at, labelSym);
      if (matcherAccepts(m, v < 0 ? '' : this.syms.str(v))) out[n++] = ids[i];
    }
    return out.subarray(0, n);
  }
}
