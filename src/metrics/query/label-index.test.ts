// LabelIndex: a Prometheus matcher-semantics table, seeded properties against a brute-force oracle
// (every series' labels checked one by one), add/remove/replace, listing APIs and matcher errors.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../bench/gen/prng.js';
import { QueryError } from './errors.js';
import { LabelIndex } from './label-index.js';
import type { Labels, Matcher } from './types.js';

interface Series {
  id: number;
  name: string;
  labels: Labels;
}

/** Brute force: check every series, with an absent label read as "". */
function oracle(series: Series[], name: string | undefined, matchers: Matcher[]): number[] {
  return series
    .filter((s) => name === undefined || s.name === name)
    .filter((s) =>
      matchers.every((m) => {
        const v = m.label === '__name__' ? s.name : (s.labels[m.label] ?? '');
        if (m.op === '=') return v === m.value;
        if (m.op === '!=') return v !== m.value;
        const full = new RegExp(`^(?:${m.value})$`, 's').test(v);
        return m.op === '=~' ? full : !full;
      }),
    )
    .map((s) => s.id)
    .sort((a, b) => a - b);
}

const TABLE_SERIES: Series[] = [
  { id: 1, name: 'http_requests', labels: { method: 'GET', code: '200', path: '/a' } },
  { id: 2, name: 'http_requests', labels: { method: 'GET', code: '500', path: '/b' } },
  { id: 3, name: 'http_requests', labels: { method: 'POST', code: '200' } },
  { id: 4, name: 'http_requests', labels: { method: 'PUT', code: '201', path: '' } },
  { id: 5, name: 'http_requests', labels: { code: '200', path: '/a\nb' } },
  { id: 6, name: 'cpu', labels: { core: '0' } },
];

function tableIndex(): LabelIndex {
  const idx = new LabelIndex();
  for (const s of TABLE_SERIES) idx.add(s.id, s.name, s.labels);
  return idx;
}

describe('LabelIndex matcher semantics', () => {
  const cases: Array<[string, Matcher[], number[]]> = [
    ['no matchers = every series of the metric', [], [1, 2, 3, 4, 5]],
    ['= value', [{ label: 'method', op: '=', value: 'GET' }], [1, 2]],
    ['= unknown value', [{ label: 'method', op: '=', value: 'DELETE' }], []],
    ['= on unknown label', [{ label: 'nope', op: '=', value: 'x' }], []],
    ['="" selects series lacking the label (and empty = absent)', [{ label: 'path', op: '=', value: '' }], [3, 4]],
    ['="" on an unknown label selects all', [{ label: 'nope', op: '=', value: '' }], [1, 2, 3, 4, 5]],
    ['!= keeps series lacking the label', [{ label: 'method', op: '!=', value: 'GET' }], [3, 4, 5]],
    ['!="" selects series that have the label', [{ label: 'path', op: '!=', value: '' }], [1, 2, 5]],
    ['=~ is fully anchored', [{ label: 'method', op: '=~', value: 'P' }], []],
    ['=~ alternation', [{ label: 'method', op: '=~', value: 'POST|PUT' }], [3, 4]],
    ['=~ anchoring wraps alternation as a group', [{ label: 'code', op: '=~', value: '2|20' }], []],
    ['=~ matching "" includes series lacking the label', [{ label: 'method', op: '=~', value: 'GET|' }], [1, 2, 5]],
    ['=~ .* matches everything', [{ label: 'method', op: '=~', value: '.*' }], [1, 2, 3, 4, 5]],
    ['=~ .+ requires the label', [{ label: 'method', op: '=~', value: '.+' }], [1, 2, 3, 4]],
    ['. matches newline (Prometheus (?s))', [{ label: 'path', op: '=~', value: '/a.b' }], [5]],
    ['!~ keeps series lacking the label', [{ label: 'method', op: '!~', value: 'G.*' }], [3, 4, 5]],
    ['!~ matching "" drops series lacking the label', [{ label: 'method', op: '!~', value: 'GET|' }], [3, 4]],
    ['!~ .* selects nothing', [{ label: 'code', op: '!~', value: '.*' }], []],
    [
      'several matchers intersect',
      [
        { label: 'code', op: '=', value: '200' },
        { label: 'method', op: '!=', value: 'POST' },
      ],
      [1, 5],
    ],
    [
      'include + exclude + regex',
      [
        { label: 'code', op: '=~', value: '2..' },
        { label: 'path', op: '!=', value: '' },
        { label: 'method', op: '!~', value: 'PO.*' },
      ],
      [1, 5],
    ],
  ];
  for (const [title, matchers, expected] of cases) {
    it(title, () => {
      const idx = tableIndex();
      expect(idx.select('http_requests', matchers)).toEqual(expected);
      expect(oracle(TABLE_SERIES, 'http_requests', matchers)).toEqual(expected); // the table agrees with the oracle
    });
  }

  it('unknown metric selects nothing', () => {
    expect(tableIndex().select('nope', [])).toEqual([]);
  });

  it('without a name, __name__ matchers pick metrics', () => {
    const idx = tableIndex();
    expect(idx.select(undefined, [{ label: '__name__', op: '=~', value: 'http_.*' }])).toEqual([1, 2, 3, 4, 5]);
    expect(idx.select(undefined, [{ label: 'code', op: '=', value: '200' }])).toEqual([1, 3, 5]);
    expect(idx.select(undefined, [{ label: '__name__', op: '!=', value: 'http_requests' }])).toEqual([6]);
    expect(idx.select(undefined, [{ label: 'core', op: '=', value: '' }])).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('LabelIndex matcher errors', () => {
  it('an invalid regex is a BAD_MATCHER QueryError naming the label', () => {
    const idx = tableIndex();
    for (const op of ['=~', '!~'] as const) {
      let err: unknown;
      try {
        idx.select('http_requests', [{ label: 'path', op, value: '(unclosed' }]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(QueryError);
      expect((err as QueryError).code).toBe('BAD_MATCHER');
      expect((err as QueryError).message).toContain('path');
    }
  });

  it('bad matchers fail even for an unknown metric, and in labelValues', () => {
    const idx = tableIndex();
    expect(() => idx.select('nope', [{ label: 'a', op: '=~', value: '[' }])).toThrow(/BAD_MATCHER/);
    expect(() => idx.labelValues('nope', 'a', [{ label: 'a', op: '=~', value: '*' }])).toThrow(/BAD_MATCHER/);
  });

  it('unknown op, empty label and non-string value are BAD_MATCHER', () => {
    const idx = tableIndex();
    const bad = [
      { label: 'a', op: '==', value: 'x' },
      { label: '', op: '=', value: 'x' },
      { label: 'a', op: '=', value: 3 },
    ] as unknown as Matcher[];
    for (const m of bad) {
      expect(() => idx.select('http_requests', [m])).toThrow(QueryError);
      try {
        idx.select('http_requests', [m]);
      } catch (e) {
        expect((e as QueryError).code).toBe('BAD_MATCHER');
      }
    }
  });
});

describe('LabelIndex listings', () => {
  it('metricNames, labelNames, labelValues, labelsOf, metricOf, count', () => {
    const idx = tableIndex();
    expect(idx.count).toBe(6);
    expect(idx.metricNames()).toEqual(['cpu', 'http_requests']);
    expect(idx.labelNames('http_requests')).toEqual(['code', 'method', 'path']);
    expect(idx.labelNames()).toEqual(['code', 'core', 'method', 'path']);
    expect(idx.labelNames('nope')).toEqual([]);
    expect(idx.labelValues('http_requests', 'code')).toEqual(['200', '201', '500']);
    expect(idx.labelValues('http_requests', 'code', [{ label: 'method', op: '=', value: 'GET' }])).toEqual(['200', '500']);
    expect(idx.labelValues(undefined, 'core')).toEqual(['0']);
    expect(idx.labelValues('http_requests', 'nope')).toEqual([]);
    expect(idx.labelsOf(4)).toEqual({ code: '201', method: 'PUT' });
    expect(Object.keys(idx.labelsOf(1) as Labels)).toEqual(['code', 'method', 'path']);
    expect(idx.labelsOf(99)).toBeUndefined();
    expect(idx.metricOf(6)).toBe('cpu');
  });

  it('remove drops postings, names and values; re-add replaces labels', () => {
    const idx = tableIndex();
    expect(idx.remove(6)).toBe(true);
    expect(idx.remove(6)).toBe(false);
    expect(idx.metricNames()).toEqual(['http_requests']);
    expect(idx.labelNames()).toEqual(['code', 'method', 'path']);
    idx.remove(3);
    expect(idx.labelValues('http_requests', 'method')).toEqual(['GET', 'PUT']);
    idx.add(1, 'http_requests', { method: 'PATCH' });
    expect(idx.labelsOf(1)).toEqual({ method: 'PATCH' });
    expect(idx.select('http_requests', [{ label: 'method', op: '=', value: 'GET' }])).toEqual([2]);
    expect(idx.select('http_requests', [{ label: 'path', op: '=', value: '/a' }])).toEqual([]);
    expect(idx.count).toBe(4);
  });

  it('returned ids do not change when the index changes later', () => {
    const idx = tableIndex();
    const ids = idx.selectIds('http_requests', [{ label: 'method', op: '=', value: 'GET' }]);
    idx.remove(1);
    idx.add(7, 'http_requests', { method: 'GET' });
    expect(Array.from(ids)).toEqual([1, 2]);
  });

  it('rejects ids outside u32 and empty names', () => {
    const idx = new LabelIndex();
    expect(() => idx.add(-1, 'a', {})).toThrow(/BAD_QUERY/);
    expect(() => idx.add(1.5, 'a', {})).toThrow(/BAD_QUERY/);
    expect(() => idx.add(1, '', {})).toThrow(/BAD_QUERY/);
  });

  it('large sparse ids work', () => {
    const idx = new LabelIndex();
    idx.add(0xfffffff0, 'm', { a: 'x' });
    idx.add(3, 'm', { a: 'x' });
    expect(idx.select('m', [{ label: 'a', op: '=', value: 'x' }])).toEqual([3, 0xfffffff0]);
    expect(idx.labelsOf(0xfffffff0)).toEqual({ a: 'x' });
  });
});

describe('LabelIndex seeded property: select equals brute force', () => {
  const LABELS = ['job', 'instance', 'code', 'path', 'le'];
  const VALUES: Record<string, string[]> = {
    job: ['api', 'worker', 'cron'],
    instance: Array.from({ length: 40 }, (_, i) => `host-${i}`),
    code: ['200', '201', '404', '500', ''],
    path: ['/', '/users', '/users/:id', '/health'],
    le: ['0.1', '1', '10', '+Inf'],
  };
  const REGEXES = ['host-1.*', '2..', '/users.*', '.*', '.+', '', 'api|', '(a|w).*', '[0-9]+', '\\+Inf|1'];

  function randomMatcher(rng: Prng): Matcher {
    const label = rng.float() < 0.1 ? 'missing' : rng.pick(LABELS);
    const op = rng.pick(['=', '!=', '=~', '!~'] as const);
    if (op === '=' || op === '!=') {
      const vals = VALUES[label] ?? ['x'];
      return { label, op, value: rng.float() < 0.15 ? '' : rng.pick(vals) };
    }
    return { label, op, value: rng.pick(REGEXES) };
  }

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`seed ${seed}: adds, removes, re-adds, random matcher sets`, () => {
      const rng = new Prng(seed);
      const idx = new LabelIndex();
      const live = new Map<number, Series>();
      let nextId = rng.int(0, 5);
      for (let op = 0; op < 3000; op++) {
        const r = rng.float();
        if (r < 0.7 || live.size === 0) {
          const labels: Labels = {};
          for (const l of LABELS) if (rng.float() < 0.75) labels[l] = rng.pick(VALUES[l]);
          const name = rng.pick(['a', 'b', 'c']);
          // Mostly ascending ids (as the engine allocates), sometimes a reused or out-of-order one.
          const id = rng.float() < 0.9 ? nextId++ : rng.int(0, nextId + 10);
          idx.add(id, name, labels);
          const clean: Labels = {};
          for (const [k, v] of Object.entries(labels)) if (v !== '') clean[k] = v;
          live.set(id, { id, name, labels: clean });
        } else {
          const ids = [...live.keys()];
          const id = rng.pick(ids);
          expect(idx.remove(id)).toBe(true);
          live.delete(id);
        }
        if (op % 50 === 0) {
          const all = [...live.values()];
          const matchers = Array.from({ length: rng.int(0, 3) }, () => randomMatcher(rng));
          const name = rng.float() < 0.2 ? undefined : rng.pick(['a', 'b', 'c', 'zz']);
          expect(idx.select(name, matchers)).toEqual(oracle(all, name, matchers));
          expect(idx.count).toBe(live.size);
          const label = rng.pick(LABELS);
          const expectValues = [
            ...new Set(
              oracle(all, name, matchers)
                .map((id) => live.get(id)?.labels[label])
                .filter((v): v is string => v !== undefined),
            ),
          ].sort();
          expect(idx.labelValues(name, label, matchers)).toEqual(expectValues);
        }
      }
      for (const s of live.values()) expect(idx.labelsOf(s.id)).toEqual(s.labels);
    });
  }

  it('small candidate sets filter by record and agree with postings (many distinct values)', () => {
    const rng = new Prng(42);
    const idx = new LabelIndex();
    const all: Series[] = [];
    for (let id = 0; id < 5000; id++) {
      const labels = { pod: `pod-${id}`, zone: rng.pick(['a', 'b', 'c']), ver: rng.pick(['1', '2']) };
      idx.add(id, 'm', labels);
      all.push({ id, name: 'm', labels });
    }
    const sets: Matcher[][] = [
      [{ label: 'pod', op: '=', value: 'pod-17' }, { label: 'zone', op: '=~', value: 'a|b' }],
      [{ label: 'pod', op: '=~', value: 'pod-1.' }, { label: 'ver', op: '!=', value: '2' }],
      [{ label: 'pod', op: '!~', value: 'pod-[0-8].*' }, { label: 'zone', op: '=', value: 'c' }],
      [{ label: 'zone', op: '=', value: 'a' }, { label: 'pod', op: '=~', value: 'pod-4.*' }],
    ];
    for (const m of sets) expect(idx.select('m', m)).toEqual(oracle(all, 'm', m));
  });
});
