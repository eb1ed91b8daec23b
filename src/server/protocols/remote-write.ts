// Prometheus remote write 1.0 (prometheus.WriteRequest), decoded with ProtoReader and encoded by a
// small writer here. The messages used (prompb/types.proto, remote.proto):
//   WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2;
//                  repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }            // timestamp in ms
//   MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
// The ingest path (decodeWriteRequestPoints) goes straight to WritePoint objects and reuses one
// labels object per series across requests (SeriesCache), keyed by the series' label bytes.
// Exemplars are skipped (the store keeps none). Native histograms are refused and counted: the
// store has no native-histogram type, and dropping them silently would hide data loss.
import { ProtoReader, ProtobufError, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './protobuf.js';
import { hashBytes, SeriesCache, type CachedSeries } from './series-cache.js';
import type { Labels, MetricType, WritePoint } from '../../metrics/types.js';

export interface RemoteSample {
  tsMs: number;
  value: number;
}

export interface RemoteSeries {
  /** Every label as sent, `__name__` included. */
  labels: Record<string, string>;
  samples: RemoteSample[];
  /** Native histogram samples in the series (not decoded: the store cannot hold them). */
  histograms: number;
  exemplars: number;
}

/** Prometheus' MetricMetadata.MetricType enum, by number. */
export const REMOTE_METRIC_TYPES = ['unknown', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset'] as const;
export type RemoteMetricType = (typeof REMOTE_METRIC_TYPES)[number];

export interface RemoteMetadata {
  type: RemoteMetricType;
  family: string;
  help: string;
  unit: string;
}

export interface WriteRequest {
  series: RemoteSeries[];
  metadata: RemoteMetadata[];
}

/**
 * The store's type for a remote metadata type: gauge histograms are histograms; info and stateset
 * series are gauges (value 1 / 0 per OpenMetrics).
 */
export function storeMetricType(t: RemoteMetricType): MetricType {
  switch (t) {
    case 'counter':
    case 'gauge':
    case 'histogram':
    case 'summary':
      return t;
    case 'gaugehistogram':
      return 'histogram';
    case 'info':
    case 'stateset':
      return 'gauge';
    default:
      return 'unknown';
  }
}

// ------------------------------------------------------------------ decoding

/** What one TimeSeries holds, with its samples in the walker's scratch arrays. */
interface SeriesView {
  /** Byte range of the label fields (tags included) when they are contiguous, else -1/-1. */
  labelStart: number;
  labelEnd: number;
  /** Every label field's [start, end) of its Label message, for the slow path. */
  labelMsgs: number[];
  n: number;
  tsMs: Float64Array;
  values: Float64Array;
  histograms: number;
  exemplars: number;
}

function fieldPastEnd(what: string, end: number): ProtobufError {
  return new ProtobufError(`${what} runs past the end of its enclosing message (byte ${end})`);
}

/** A length-delimited field's [start, end), checked against the enclosing message's end. */
function subMessage(r: ProtoReader, end: number, what: string): number {
  const n = r.len();
  const subEnd = r.pos + n;
  if (subEnd > end) throw fieldPastEnd(what, end);
  return subEnd;
}

class Walker {
  private view: SeriesView = {
    labelStart: -1,
    labelEnd: -1,
    labelMsgs: [],
    n: 0,
    tsMs: new Float64Array(64),
    values: new Float64Array(64),
    histograms: 0,
    exemplars: 0,
  };

  /** Walks a WriteRequest, calling onSeries per TimeSeries (the view is reused) and onMetadata. */
  walk(bytes: Uint8Array, onSeries: (v: SeriesView, r: ProtoReader) => void, onMetadata: (m: RemoteMetadata) => void): void {
    const r = new ProtoReader(bytes);
    while (r.pos < r.end) {
      const tag = r.tag();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 1 && wire === WIRE_LEN) {
        const end = subMessage(r, r.end, 'TimeSeries');
        this.series(r, end);
        onSeries(this.view, r);
        r.pos = end;
      } else if (field === 3 && wire === WIRE_LEN) {
        const end = subMessage(r, r.end, 'MetricMetadata');
        onMetadata(readMetadata(r, end));
        r.pos = end;
      } else {
        r.skip(wire);
      }
    }
  }

  private series(r: ProtoReader, end: number): void {
    const v = this.view;
    v.labelStart = -1;
    v.labelEnd = -1;
    v.labelMsgs.length = 0;
    v.n = 0;
    v.histograms = 0;
    v.exemplars = 0;
    let contiguous = true;
    while (r.pos < end) {
      const fieldStart = r.pos;
      const tag = r.tag();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 1 && wire === WIRE_LEN) {
        const msgEnd = subMessage(r, end, 'Label');
        if (v.labelStart < 0) v.labelStart = fieldStart;
        else if (v.labelEnd !== fieldStart) contiguous = false;
        v.labelMsgs.push(r.pos, msgEnd);
        r.pos = msgEnd;
        v.labelEnd = msgEnd;
      } else if (field === 2 && wire === WIRE_LEN) {
        const msgEnd = subMessage(r, end, 'Sample');
        let value = 0;
        let ts = 0;
        while (r.pos < msgEnd) {
          const t = r.tag();
          const w = t & 7;
          if (t >>> 3 === 1 && w === WIRE_FIXED64) value = r.double();
          else if (t >>> 3 === 2 && w === WIRE_VARINT) ts = r.varint64();
          else r.skip(w);
        }
        if (r.pos !== msgEnd) throw fieldPastEnd('a Sample field', msgEnd);
        if (v.n === v.tsMs.length) this.grow();
        v.tsMs[v.n] = ts;
        v.values[v.n] = value;
        v.n++;
      } else if (field === 3 && wire === WIRE_LEN) {
        r.pos = subMessage(r, end, 'Exemplar');
        v.exemplars++;
      } else if (field === 4 && wire === WIRE_LEN) {
        r.pos = subMessage(r, end, 'Histogram');
        v.histograms++;
      } else {
        r.skip(wire);
      }
      if (r.pos > end) throw fieldPastEnd('a TimeSeries field', end);
    }
    if (!contiguous) {
      v.labelStart = -1;
      v.labelEnd = -1;
    }
  }

  private grow(): void {
    const v = this.view;
    const ts = new Float64Array(v.tsMs.length * 2);
    const vals = new Float64Array(v.values.length * 2);
    ts.set(v.tsMs);
    vals.set(v.values);
    v.tsMs = ts;
    v.values = vals;
  }
}

function readMetadata(r: ProtoReader, end: number): RemoteMetadata {
  const m: RemoteMetadata = { type: 'unknown', family: '', help: '', unit: '' };
  while (r.pos < end) {
    const tag = r.tag();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === WIRE_VARINT) m.type = REMOTE_METRIC_TYPES[r.varint32()] ?? 'unknown';
    else if (field === 2 && wire === WIRE_LEN) m.family = r.string();
    else if (field === 4 && wire === WIRE_LEN) m.help = r.string();
    else if (field === 5 && wire === WIRE_LEN) m.unit = r.string();
    else r.skip(wire);
    if (r.pos > end) throw fieldPastEnd('a MetricMetadata field', end);
  }
  return m;
}

/** Labels of one series (every Label message in `msgs`), `__name__` included; duplicate names throw. */
function readLabels(r: ProtoReader, msgs: number[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let k = 0; k < msgs.length; k += 2) {
    r.pos = msgs[k];
    const end = msgs[k + 1];
    let name = '';
    let value = '';
    while (r.pos < end) {
      const tag = r.tag();
      const wire = tag & 7;
      if (tag >>> 3 === 1 && wire === WIRE_LEN) name = r.string();
      else if (tag >>> 3 === 2 && wire === WIRE_LEN) value = r.string();
      else r.skip(wire);
      if (r.pos > end) throw fieldPastEnd('a Label field', end);
    }
    if (Object.prototype.hasOwnProperty.call(out, name)) throw new LabelError(`duplicate label name ${JSON.stringify(name)}`);
    // A plain-object key that would set the prototype instead of a label: refused, not dropped.
    if (name === '__proto__') throw new LabelError('label name "__proto__" is not supported');
    out[name] = value;
  }
  return out;
}

/** A series whose labels are unusable (rejected with its samples, not a malformed body). */
class LabelError extends Error {}

/** Decodes a whole WriteRequest (tests, tools; the ingest route uses decodeWriteRequestPoints). */
export function decodeWriteRequest(bytes: Uint8Array): WriteRequest {
  const series: RemoteSeries[] = [];
  const metadata: RemoteMetadata[] = [];
  new Walker().walk(
    bytes,
    (v, r) => {
      const samples: RemoteSample[] = new Array(v.n);
      for (let i = 0; i < v.n; i++) samples[i] = { tsMs: v.tsMs[i], value: v.values[i] };
      let labels: Record<string, string>;
      try {
        labels = readLabels(r, v.labelMsgs);
      } catch (err) {
        if (err instanceof LabelError) throw new ProtobufError(err.message);
        throw err;
      }
      series.push({ labels, samples, histograms: v.histograms, exemplars: v.exemplars });
    },
    (m) => metadata.push(m),
  );
  return { series, metadata };
}

export interface DecodedPoints {
  points: WritePoint[];
  /** Samples refused while decoding (native histograms, series without a usable name). */
  rejected: number;
  /** The first few reasons, for the answer. */
  reasons: string[];
  metadata: RemoteMetadata[];
}

const MAX_REASONS = 5;

function cachedSeriesOf(labels: Record<string, string>): CachedSeries {
  const name = labels.__name__;
  const rest: Labels = {};
  for (const k in labels) if (k !== '__name__') rest[k] = labels[k];
  // Frozen: the engine and the forwarder see this object on every later request of the series.
  Object.freeze(rest);
  if (name === undefined || name === '') return { name: '', labels: rest, error: `series ${JSON.stringify(labels)} has no __name__ label` };
  return { name, labels: rest };
}

/**
 * The ingest path: every float sample as a WritePoint, labels without `__name__` (the metric name
 * goes in `name`), one labels object per distinct series reused across calls through `cache`.
 * A malformed message throws ProtobufError (the whole body is refused); unusable series and native
 * histograms are counted in `rejected` with reasons.
 */
export function decodeWriteRequestPoints(bytes: Uint8Array, cache: SeriesCache): DecodedPoints {
  const points: WritePoint[] = [];
  const reasons: string[] = [];
  const metadata: RemoteMetadata[] = [];
  let rejected = 0;
  let histogramSeries = 0;
  let histogramSamples = 0;
  new Walker().walk(
    bytes,
    (v, r) => {
      let s: CachedSeries | undefined;
      let hash = 0;
      // The series' label bytes are its identity: equal bytes, equal labels.
      const keyed = v.labelStart >= 0;
      if (keyed) {
        hash = hashBytes(bytes, v.labelStart, v.labelEnd);
        s = cache.getBytes(bytes, v.labelStart, v.labelEnd, hash);
      }
      if (s === undefined) {
        try {
          s = cachedSeriesOf(readLabels(r, v.labelMsgs));
        } catch (err) {
          if (!(err instanceof LabelError)) throw err;
          s = { name: '', labels: {}, error: err.message };
        }
        if (keyed) cache.setBytes(bytes, v.labelStart, v.labelEnd, s, hash);
      }
      if (v.histograms > 0) {
        histogramSeries++;
        histogramSamples += v.histograms;
        rejected += v.histograms;
      }
      if (s.error !== undefined) {
        rejected += v.n;
        if (v.n > 0 && reasons.length < MAX_REASONS) reasons.push(`${v.n} samples refused: ${s.error}`);
        return;
      }
      const { name, labels } = s;
      for (let i = 0; i < v.n; i++) points.push({ name, labels, value: v.values[i], tsMs: v.tsMs[i] });
    },
    (m) => metadata.push(m),
  );
  if (histogramSamples > 0) {
    reasons.unshift(
      `${histogramSamples} native histogram samples in ${histogramSeries} series refused: native histograms are not supported; ` +
        'send classic histograms (_bucket/_sum/_count series) instead',
    );
    if (reasons.length > MAX_REASONS) reasons.length = MAX_REASONS;
  }
  return { points, rejected, reasons, metadata };
}

// ------------------------------------------------------------------ encoding

function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** A timestamp's int64 varint size (negative numbers take 10 bytes, as two's complement). */
function int64Size(n: number): number {
  return n < 0 ? 10 : varintSize(n);
}

class ProtoWriter {
  readonly buf: Buffer;
  pos = 0;
  private readonly view: DataView;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, size);
  }

  varint(n: number): void {
    const b = this.buf;
    while (n >= 128) {
      b[this.pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    b[this.pos++] = n;
  }

  int64(n: number): void {
    if (n >= 0) {
      this.varint(n);
      return;
    }
    let x = BigInt.asUintN(64, BigInt(n));
    for (let i = 0; i < 9; i++) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }

  double(v: number): void {
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  string(s: string, bytes: number): void {
    this.varint(bytes);
    this.buf.write(s, this.pos, bytes, 'utf8');
    this.pos += bytes;
  }
}

const TAG_TIMESERIES = (1 << 3) | WIRE_LEN;
const TAG_LABEL = (1 << 3) | WIRE_LEN;
const TAG_SAMPLE = (2 << 3) | WIRE_LEN;
const TAG_LABEL_NAME = (1 << 3) | WIRE_LEN;
const TAG_LABEL_VALUE = (2 << 3) | WIRE_LEN;
const TAG_SAMPLE_VALUE = (1 << 3) | WIRE_FIXED64;
const TAG_SAMPLE_TS = (2 << 3) | WIRE_VARINT;

/**
 * Encodes series as a WriteRequest (not compressed: wrap with snappyCompress for the wire). Labels
 * are written sorted by name as remote write requires; labels with empty values are left out (empty
 * means absent). Timestamps must be integer milliseconds.
 */
export function encodeWriteRequest(series: Array<{ labels: Record<string, string>; samples: Array<{ tsMs: number; value: number }> }>): Uint8Array {
  // Pass 1: sizes (every length prefix must be known before its message is written).
  const labelNames: string[][] = [];
  const byteLens: number[] = [];
  const seriesSizes: number[] = [];
  let total = 0;
  for (const s of series) {
    const names = Object.keys(s.labels)
      .filter((k) => s.labels[k] !== '' && s.labels[k] !== undefined)
      .sort();
    labelNames.push(names);
    let size = 0;
    for (const k of names) {
      const nb = Buffer.byteLength(k, 'utf8');
      const vb = Buffer.byteLength(s.labels[k], 'utf8');
      byteLens.push(nb, vb);
      const msg = 1 + varintSize(nb) + nb + 1 + varintSize(vb) + vb;
      size += 1 + varintSize(msg) + msg;
    }
    for (const p of s.samples) {
      if (!Number.isSafeInteger(p.tsMs)) throw new RangeError(`encodeWriteRequest: tsMs must be an integer number of milliseconds, got ${String(p.tsMs)}`);
      const msg = 9 + 1 + int64Size(p.tsMs);
      size += 1 + varintSize(msg) + msg;
    }
    seriesSizes.push(size);
    total += 1 + varintSize(size) + size;
  }
  // Pass 2: write.
  const w = new ProtoWriter(total);
  let bl = 0;
  series.forEach((s, i) => {
    w.buf[w.pos++] = TAG_TIMESERIES;
    w.varint(seriesSizes[i]);
    for (const k of labelNames[i]) {
      const nb = byteLens[bl++];
      const vb = byteLens[bl++];
      w.buf[w.pos++] = TAG_LABEL;
      w.varint(1 + varintSize(nb) + nb + 1 + varintSize(vb) + vb);
      w.buf[w.pos++] = TAG_LABEL_NAME;
      w.string(k, nb);
      w.buf[w.pos++] = TAG_LABEL_VALUE;
      w.string(s.labels[k], vb);
    }
    for (const p of s.samples) {
      w.buf[w.pos++] = TAG_SAMPLE;
      w.varint(9 + 1 + int64Size(p.tsMs));
      w.buf[w.pos++] = TAG_SAMPLE_VALUE;
      w.double(p.value);
      w.buf[w.pos++] = TAG_SAMPLE_TS;
      w.int64(p.tsMs);
    }
  });
  if (w.pos !== total) throw new Error(`encodeWriteRequest: wrote ${w.pos} bytes, sized ${total}`);
  return w.buf;
}

/** Encodes MetricMetadata entries (the forwarder and tests send them in their own request). */
export function encodeMetadata(entries: RemoteMetadata[]): Uint8Array {
  const parts: Array<{ fields: Array<[number, string, number]>; type: number; size: number }> = [];
  let total = 0;
  for (const m of entries) {
    const type = Math.max(0, REMOTE_METRIC_TYPES.indexOf(m.type));
    const fields: Array<[number, string, number]> = [];
    let size = type > 0 ? 1 + varintSize(type) : 0;
    for (const [field, text] of [[2, m.family], [4, m.help], [5, m.unit]] as Array<[number, string]>) {
      if (text === '') continue;
      const b = Buffer.byteLength(text, 'utf8');
      fields.push([field, text, b]);
      size += 1 + varintSize(b) + b;
    }
    parts.push({ fields, type, size });
    total += 1 + varintSize(size) + size;
  }
  const w = new ProtoWriter(total);
  for (const p of parts) {
    w.buf[w.pos++] = (3 << 3) | WIRE_LEN;
    w.varint(p.size);
    if (p.type > 0) {
      w.buf[w.pos++] = (1 << 3) | WIRE_VARINT;
      w.varint(p.type);
    }
    for (const [field, text, b] of p.fields) {
      w.buf[w.pos++] = (field << 3) | WIRE_LEN;
      w.string(text, b);
    }
  }
  return w.buf;
}
