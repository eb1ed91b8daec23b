// What the evaluator needs from a store: the raw samples of every series a selector matches, over
// one time range. The evaluator fetches each selector once for the whole query range and steps
// through the samples in memory. `timelessStorage` adapts tl.metrics (query() without stepMs
// returns raw points, both ends inclusive).
import type { LabelMatcher } from '../../metrics/types.js';
import type { TimelessMetrics } from '../../store.js';
import { compileRe2 } from './regex.js';
import { compareLabels, METRIC_NAME, type Labels } from './values.js';

export interface SeriesData {
  /** Every label, the metric name under `__name__`. */
  labels: Labels;
  /** Sample times (ms) ascending, and their values. */
  tsMs: ArrayLike<number>;
  values: ArrayLike<number>;
}

export interface PromStorage {
  /** Series matching every matcher, with their samples in [fromMs, toMs], sorted by labels. */
  select(matchers: readonly LabelMatcher[], fromMs: number, toMs: number): Promise<SeriesData[]>;
}

/** Label value as a matcher sees it: absent is "". */
function valueOf(labels: Labels, name: string): string {
  return labels[name] ?? '';
}

export function matcherAccepts(m: LabelMatcher, value: string): boolean {
  switch (m.op) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return compileRe2(m.value).anchored.test(value);
    case '!~':
      return !compileRe2(m.value).anchored.test(value);
  }
}

/**
 * Splits matchers into what the store evaluates (exact matches, and regexes whose JavaScript
 * translation needs no flags) and what is checked here afterwards (regexes with (?i) and such).
 */
export function storeMatchers(matchers: readonly LabelMatcher[]): { store: LabelMatcher[]; post: LabelMatcher[]; name?: string } {
  const store: LabelMatcher[] = [];
  const post: LabelMatcher[] = [];
  let name: string | undefined;
  for (const m of matchers) {
    if (m.label === METRIC_NAME && m.op === '=' && name === undefined) {
      name = m.value;
      continue;
    }
    if (m.op === '=~' || m.op === '!~') {
      const re = compileRe2(m.value);
      if (re.flags === '') store.push({ label: m.label, op: m.op, value: re.source });
      else post.push(m);
    } else {
      store.push(m);
    }
  }
  if (name === undefined && !store.some((m) => m.label === METRIC_NAME)) store.push({ label: METRIC_NAME, op: '=~', value: '.+' });
  return { store, post, name };
}

export function timelessStorage(metrics: Pick<TimelessMetrics, 'query'>): PromStorage {
  return {
    async select(matchers, fromMs, toMs) {
      const { store, post, name } = storeMatchers(matchers);
      const res = await metrics.query({ name, matchers: store, fromMs: Math.floor(fromMs), toMs: Math.floor(toMs) });
      const out: SeriesData[] = [];
      for (const s of res) {
        const labels: Labels = Object.freeze({ [METRIC_NAME]: s.name, ...s.labels });
        if (post.length > 0 && !post.every((m) => matcherAccepts(m, valueOf(labels, m.label)))) continue;
        out.push({ labels, tsMs: s.tsMs, values: s.values });
      }
      out.sort((a, b) => compareLabels(a.labels, b.labels));
      return out;
    },
  };
}
