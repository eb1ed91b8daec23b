// The server's own counters (requests, ingested items per signal and protocol, rejections), rendered
// with the store's stats on GET /metrics in the Prometheus text format.

type Key = string;

function labelKey(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}="${escapeLabel(labels[k])}"`).join(',');
}

export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export interface CounterFamily {
  help: string;
  values: Map<Key, number>;
}

export class SelfMetrics {
  private readonly counters = new Map<string, CounterFamily>();

  /** Adds n to a counter (created on first use; names end in _total by convention). */
  inc(name: string, help: string, labels: Record<string, string>, n = 1): void {
    let fam = this.counters.get(name);
    if (fam === undefined) this.counters.set(name, (fam = { help, values: new Map() }));
    const k = labelKey(labels);
    fam.values.set(k, (fam.values.get(k) ?? 0) + n);
  }

  get(name: string, labels: Record<string, string>): number {
    return this.counters.get(name)?.values.get(labelKey(labels)) ?? 0;
  }

  /** Counter families as exposition text. */
  render(): string {
    let out = '';
    for (const [name, fam] of [...this.counters].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      out += `# HELP ${name} ${fam.help}\n# TYPE ${name} counter\n`;
      for (const [k, v] of fam.values) out += `${name}${k === '' ? '' : `{${k}}`} ${v}\n`;
    }
    return out;
  }
}

/** One gauge family as exposition text. */
export function gaugeText(name: string, help: string, samples: Array<[Record<string, string>, number | null | undefined]>): string {
  let out = `# HELP ${name} ${help}\n# TYPE ${name} gauge\n`;
  for (const [labels, v] of samples) {
    if (v === null || v === undefined) continue;
    const k = labelKey(labels);
    out += `${name}${k === '' ? '' : `{${k}}`} ${formatValue(v)}\n`;
  }
  return out;
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
