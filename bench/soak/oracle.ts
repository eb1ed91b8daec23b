// The in-memory oracle: every item the driver sent (seq, timestamp, phase) and whether its request
// was acknowledged (a 2xx: the ingest routes answer after the WAL is synced, so acknowledged means
// durable). A Tally then judges what a read-back of the store returned.
import { METRIC_SERIES, SIGNALS, logEntry, metricValue, spanInput, spanStartNs, type Signal } from './items.js';

/**
 * 'pre': the backdated batch retention may drop; 'soak': the steady ingest, stamped now; 'fill': each
 * store process's warm-up burst (fill.ts), stamped minutes back. Neither 'soak' nor 'fill' is ever
 * old enough for retention: both must all be there.
 */
export type Phase = 'pre' | 'fill' | 'soak';

export interface Sent {
  tsMs: number;
  phase: Phase;
  /** Date.now() when its request was acknowledged; undefined = unacknowledged (failed or cut by the kill). */
  ackedAtMs?: number;
}

export class Oracle {
  readonly sent: Record<Signal, Map<number, Sent>> = { metrics: new Map(), logs: new Map(), spans: new Map() };
  private readonly nextSeq: Record<Signal, number> = { metrics: 0, logs: 0, spans: 0 };
  /** phase|s|tsMs -> seq: how a stored metric point is identified. */
  private readonly metricKeys = new Map<string, number>();

  constructor(readonly runId: string) {}

  /** New sequence numbers for a batch; metrics batches are whole rounds over the series. */
  issue(signal: Signal, count: number, tsMs: number | ((i: number) => number), phase: Phase): number[] {
    if (signal === 'metrics' && count % METRIC_SERIES !== 0) throw new RangeError('soak: a metrics batch is a whole number of series rounds');
    const seqs: number[] = [];
    for (let i = 0; i < count; i++) {
      const seq = this.nextSeq[signal]++;
      const t = typeof tsMs === 'number' ? tsMs : tsMs(i);
      this.sent[signal].set(seq, { tsMs: t, phase });
      if (signal === 'metrics') this.metricKeys.set(`${phase}|${seq % METRIC_SERIES}|${t}`, seq);
      seqs.push(seq);
    }
    return seqs;
  }

  ack(signal: Signal, seqs: number[], atMs: number): void {
    for (const seq of seqs) this.sent[signal].get(seq)!.ackedAtMs = atMs;
  }

  metricSeq(phase: string, s: string, tsMs: number): number | undefined {
    return this.metricKeys.get(`${phase}|${s}|${tsMs}`);
  }

  counts(): Record<Signal, { sent: number; acknowledged: number }> {
    const out = {} as Record<Signal, { sent: number; acknowledged: number }>;
    for (const s of SIGNALS) {
      let acknowledged = 0;
      let sent = 0;
      for (const v of this.sent[s].values()) {
        if (v.phase !== 'soak') continue;
        sent++;
        if (v.ackedAtMs !== undefined) acknowledged++;
      }
      out[s] = { sent, acknowledged };
    }
    return out;
  }
}

export interface StoredLog {
  tsNs: bigint;
  level: string;
  message: string;
  attributes: Record<string, unknown>;
}

export interface StoredSpan {
  traceId: string;
  spanId: string;
  name: string;
  kind: string;
  startNs: bigint;
  endNs: bigint;
  status: { code: string };
  attributes: Record<string, unknown>;
}

export interface TallyResult {
  lost: number;
  duplicated: number;
  corrupted: number;
  /** Unacknowledged soak items found (allowed: the store may have synced before the kill). */
  unackedPresent: number;
  /** Pre-soak (backdated) items still present / dropped by retention. */
  preKept: number;
  preDropped: number;
  /** Items in the store without the soak's identity (e.g. the store's own runtime metrics): ignored. */
  foreign: number;
  /** The first few problems, for the report. */
  examples: string[];
}

function sameAttrs(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/**
 * Judges one full read-back of one signal. `eligible(sent)` says which acknowledged items must be
 * there (all of them for the live store; those acknowledged before the backup started, for a backup).
 */
export class Tally {
  private readonly seen = new Set<number>();
  private duplicated = 0;
  private corrupted = 0;
  private foreign = 0;
  private readonly examples: string[] = [];

  constructor(
    private readonly oracle: Oracle,
    private readonly signal: Signal,
  ) {}

  private note(msg: string): void {
    if (this.examples.length < 5) this.examples.push(`${this.signal}: ${msg}`);
  }

  /** Returns the seq if the item is new and known, else counts the problem. */
  private identify(seq: number | undefined, what: string): number | undefined {
    if (seq === undefined || !this.oracle.sent[this.signal].has(seq)) {
      this.corrupted++;
      this.note(`stored item nobody sent: ${what}`);
      return undefined;
    }
    if (this.seen.has(seq)) {
      this.duplicated++;
      this.note(`seq ${seq} seen twice`);
      return undefined;
    }
    this.seen.add(seq);
    return seq;
  }

  private mismatch(seq: number, msg: string): void {
    this.corrupted++;
    this.note(`seq ${seq}: ${msg}`);
  }

  metricPoint(labels: Record<string, string>, tsMs: number, value: number): void {
    if (labels.phase === undefined || labels.s === undefined) {
      this.foreign++;
      return;
    }
    const seq = this.identify(this.oracle.metricSeq(labels.phase, labels.s, tsMs), `${JSON.stringify(labels)} @${tsMs}`);
    if (seq === undefined) return;
    const want = metricValue(seq);
    if (!Object.is(value, want)) this.mismatch(seq, `value ${value}, sent ${want}`);
  }

  log(e: StoredLog): void {
    const seqAttr = e.attributes.seq;
    if (typeof seqAttr !== 'string') {
      this.foreign++;
      return;
    }
    const seq = this.identify(Number(seqAttr), `log seq=${seqAttr}`);
    if (seq === undefined) return;
    const s = this.oracle.sent.logs.get(seq)!;
    const want = logEntry(seq, s.tsMs, s.phase);
    if (e.tsNs !== BigInt(s.tsMs) * 1_000_000n) return this.mismatch(seq, `tsNs ${e.tsNs}, sent ${s.tsMs} ms`);
    if (e.level !== want.level) return this.mismatch(seq, `level ${e.level}, sent ${String(want.level)}`);
    if (e.message !== want.message) return this.mismatch(seq, `message '${e.message}'`);
    if (!sameAttrs(e.attributes, want.attributes!)) this.mismatch(seq, `attributes ${JSON.stringify(e.attributes)}`);
  }

  span(sp: StoredSpan): void {
    const seqAttr = sp.attributes.seq;
    if (typeof seqAttr !== 'string') {
      this.foreign++;
      return;
    }
    const seq = this.identify(Number(seqAttr), `span seq=${seqAttr}`);
    if (seq === undefined) return;
    const s = this.oracle.sent.spans.get(seq)!;
    const want = spanInput(seq, s.tsMs, s.phase, this.oracle.runId);
    if (sp.traceId !== want.traceId || sp.spanId !== want.spanId) return this.mismatch(seq, `ids ${sp.traceId}/${sp.spanId}`);
    if (sp.startNs !== spanStartNs(seq, s.tsMs) || String(sp.endNs) !== want.endNs) return this.mismatch(seq, `times ${sp.startNs}..${sp.endNs}`);
    if (sp.name !== want.name || sp.kind !== want.kind || sp.status.code !== want.status!.code) return this.mismatch(seq, `name/kind/status ${sp.name}/${sp.kind}/${sp.status.code}`);
    if (!sameAttrs(sp.attributes, want.attributes!)) this.mismatch(seq, `attributes ${JSON.stringify(sp.attributes)}`);
  }

  result(eligible: (sent: Sent) => boolean): TallyResult {
    let lost = 0;
    let unackedPresent = 0;
    let preKept = 0;
    let preDropped = 0;
    for (const [seq, s] of this.oracle.sent[this.signal]) {
      const present = this.seen.has(seq);
      if (s.phase === 'pre') {
        if (present) preKept++;
        else preDropped++;
      } else if (s.ackedAtMs === undefined) {
        if (present) unackedPresent++;
      } else if (!present && eligible(s)) {
        lost++;
        this.note(`seq ${seq} acknowledged but missing`);
      }
    }
    return { lost, duplicated: this.duplicated, corrupted: this.corrupted, unackedPresent, preKept, preDropped, foreign: this.foreign, examples: this.examples };
  }
}
