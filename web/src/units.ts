// Value units of chart axes and legends. A metric's unit comes from its metadata when it was defined,
// else from the Prometheus naming convention (suffixes _bytes, _seconds, _ratio ...), so a heap chart
// reads "12.5 MiB" and a latency chart "250 ms" without per-metric configuration.
import { formatBytes, formatCompact, formatDurationMs, formatNumber } from './format.js';

export type Unit = 'bytes' | 'seconds' | 'ms' | 'ratio' | 'percent' | 'plain';

const META_UNITS: Record<string, Unit> = {
  by: 'bytes', b: 'bytes', byte: 'bytes', bytes: 'bytes',
  s: 'seconds', sec: 'seconds', second: 'seconds', seconds: 'seconds',
  ms: 'ms', millisecond: 'ms', milliseconds: 'ms',
  ratio: 'ratio', '1': 'ratio',
  '%': 'percent', percent: 'percent',
};

/** The unit of a metric: its declared unit when known, else its name's suffix (counter suffixes ignored). */
export function unitOf(name: string, metaUnit?: string): Unit {
  const declared = metaUnit === undefined ? undefined : META_UNITS[metaUnit.trim().toLowerCase()];
  if (declared !== undefined) return declared;
  const base = name.replace(/_(total|sum|count|bucket|created)$/, '');
  if (/_bytes$/.test(base)) return 'bytes';
  if (/_seconds$/.test(base)) return 'seconds';
  if (/_(ms|milliseconds)$/.test(base)) return 'ms';
  if (/_ratio$/.test(base)) return 'ratio';
  if (/_percent$/.test(base)) return 'percent';
  return 'plain';
}

/** One value in its unit, compact enough for an axis tick. */
export function formatUnit(v: number, unit: Unit): string {
  if (v === 0) return '0';
  switch (unit) {
    case 'bytes':
      return formatBytes(v);
    case 'seconds':
      return formatDurationMs(v * 1000);
    case 'ms':
      return formatDurationMs(v);
    case 'ratio':
      return `${formatNumber(v * 100, 1)}%`;
    case 'percent':
      return `${formatNumber(v, 1)}%`;
    default:
      return formatCompact(v);
  }
}
