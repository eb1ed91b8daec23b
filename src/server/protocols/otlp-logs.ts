// OTLP ExportLogsServiceRequest (opentelemetry/proto/collector/logs/v1) -> LogInput[], from protobuf
// or JSON. The mapping onto the store's entry (src/logs/types.ts):
// - time: time_unix_nano, else observed_time_unix_nano, else the store's now (both 0 = unknown);
// - level: severity_number 1..24 as is (its OTel range names the level); 0 (unspecified) takes
//   the level from severity_text when that is a level word (WARNING, Err, CRITICAL...), else info;
//   an out-of-range number is passed on and the store rejects that record (partialSuccess);
// - severity_text: kept as attribute `severity_text` when it is not just the level's name;
// - body: a string as is; other scalars as text; arrays and maps as JSON text; bytes as base64;
// - attributes as sent (AnyValue -> JSON-like values, otlp-common.ts); event_name as `event.name`,
//   the scope's name/version as `otel.scope.name` / `otel.scope.version` (the OTel convention for
//   formats without a scope), unless the record's own attributes already use those keys;
// - resource: flat, as the logs store keeps it (nested values as JSON text);
// - trace_id/span_id as lowercase hex (the store checks them; empty/all-zero = none).
// Dropped: flags (the record's W3C trace flags) and dropped_attributes_count (no place in the entry).
import type { LogInput, LogLevel, Resource } from '../../logs/types.js';
import type { ProtoReader } from './protobuf.js';
import {
  attrText, checkEnd, emptyScope, jsonAnyValue, jsonArray, jsonAttributes, jsonEnum, jsonId, jsonNanos, jsonObject, jsonResource, jsonRoot,
  jsonScope, jsonString, protoAnyValue, protoHex, protoKeyValue, protoReader, protoString, protoResource, protoScope, setAttr, subEnd,
  type AttrValue, type Attributes, type OtlpResource, type OtlpScope,
} from './otlp-common.js';

export interface DecodedLogs {
  entries: LogInput[];
  /** Records the decoder refused itself (none today: the store checks every field). */
  rejected: number;
  reasons: string[];
}

const LEVEL_NAMES: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** Level words of common loggers (lowercase) -> level, for records without a severity number. */
const TEXT_LEVELS: Record<string, LogLevel> = {
  trace: 'trace', finest: 'trace', verbose: 'trace',
  debug: 'debug', fine: 'debug', finer: 'debug', dbg: 'debug',
  info: 'info', information: 'info', informational: 'info', notice: 'info',
  warn: 'warn', warning: 'warn',
  error: 'error', err: 'error', severe: 'error',
  fatal: 'fatal', critical: 'fatal', crit: 'fatal', alert: 'fatal', emerg: 'fatal', emergency: 'fatal', panic: 'fatal',
};

/** The store's level input for (severity_number, severity_text), and whether the text is worth keeping. */
function levelOf(severityNumber: number, severityText: string): { level: LogLevel | number; keepText: boolean } {
  if (severityNumber !== 0) {
    const name = severityNumber >= 1 && severityNumber <= 24 ? LEVEL_NAMES[(severityNumber - 1) >> 2] : undefined;
    return { level: severityNumber, keepText: severityText !== '' && severityText.toLowerCase() !== name };
  }
  if (severityText === '') return { level: 'info', keepText: false };
  const lower = severityText.trim().toLowerCase();
  const level = Object.prototype.hasOwnProperty.call(TEXT_LEVELS, lower) ? TEXT_LEVELS[lower] : undefined;
  return level === undefined ? { level: 'info', keepText: true } : { level, keepText: lower !== level };
}

/** Resource attributes, flat: scalars as is, nested values as JSON text, empty values dropped. */
export function flatResource(res: OtlpResource, into: Resource): Resource {
  for (const k of Object.keys(res.attributes)) {
    const v = res.attributes[k];
    if (v === null) continue;
    const flat = typeof v === 'object' ? JSON.stringify(v) : v;
    if (k === '__proto__') Object.defineProperty(into, k, { value: flat, enumerable: true, writable: true, configurable: true });
    else into[k] = flat;
  }
  return into;
}

/** Adds the keys the record's own attributes do not set. */
function addIfAbsent(attributes: Attributes, key: string, value: string): void {
  if (value !== '' && !Object.prototype.hasOwnProperty.call(attributes, key)) setAttr(attributes, key, value);
}

/** One OTLP LogRecord's fields, decoded (also what tl.logs.exporter() builds from an SDK record). */
export interface RecordFields {
  timeNs: bigint | string;
  observedNs: bigint | string;
  severityNumber: number;
  severityText: string;
  body: AttrValue;
  attributes: Attributes;
  traceId: string;
  spanId: string;
  eventName: string;
}

/** The store's entry for a record: the single mapping of the OTLP route and tl.logs.exporter(). */
export function toLogInput(f: RecordFields, resource: Resource, scope: OtlpScope): LogInput {
  const { level, keepText } = levelOf(f.severityNumber, f.severityText);
  const attributes = f.attributes;
  if (keepText) addIfAbsent(attributes, 'severity_text', f.severityText);
  addIfAbsent(attributes, 'event.name', f.eventName);
  addIfAbsent(attributes, 'otel.scope.name', scope.name);
  addIfAbsent(attributes, 'otel.scope.version', scope.version);
  const tsNs = isZero(f.timeNs) ? (isZero(f.observedNs) ? undefined : f.observedNs) : f.timeNs;
  return { tsNs, level, message: attrText(f.body), attributes, traceId: f.traceId, spanId: f.spanId, resource };
}

function isZero(ns: bigint | string): boolean {
  return ns === 0n || ns === '0';
}

// ------------------------------------------------------------------ protobuf

const F1_LEN = (1 << 3) | 2;
const F2_LEN = (2 << 3) | 2;
const F3_LEN = (3 << 3) | 2;
const F1_FIXED64 = (1 << 3) | 1;
const F2_VARINT = (2 << 3) | 0;
const F5_LEN = (5 << 3) | 2;
const F6_LEN = (6 << 3) | 2;
const F9_LEN = (9 << 3) | 2;
const F10_LEN = (10 << 3) | 2;
const F11_FIXED64 = (11 << 3) | 1;
const F12_LEN = (12 << 3) | 2;

/** ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1 }. */
export function decodeLogsProto(body: Uint8Array): DecodedLogs {
  const r = protoReader(body);
  const entries: LogInput[] = [];
  while (r.pos < r.end) {
    const t = r.tag();
    if (t === F1_LEN) protoResourceLogs(r, entries);
    else r.skip(t & 7);
  }
  return { entries, rejected: 0, reasons: [] };
}

/** ResourceLogs { resource = 1; repeated ScopeLogs scope_logs = 2; schema_url = 3 }. */
function protoResourceLogs(r: ProtoReader, out: LogInput[]): void {
  const end = subEnd(r);
  // One object shared by the resource's records (the store caches merged resources by identity);
  // filled in place because the resource field may follow the records on the wire.
  const resource: Resource = {};
  while (r.pos < end) {
    const t = r.tag();
    if (t === F2_LEN) protoScopeLogs(r, resource, out);
    else if (t === F1_LEN) flatResource(protoResource(r), resource);
    else r.skip(t & 7);
  }
  checkEnd(r, end, 'a ResourceLogs');
}

/** ScopeLogs { scope = 1; repeated LogRecord log_records = 2; schema_url = 3 }. */
function protoScopeLogs(r: ProtoReader, resource: Resource, out: LogInput[]): void {
  const end = subEnd(r);
  let scope = emptyScope();
  // Records are converted once the scope is known (it may follow them on the wire).
  const records: RecordFields[] = [];
  while (r.pos < end) {
    const t = r.tag();
    if (t === F2_LEN) records.push(protoLogRecord(r));
    else if (t === F1_LEN) scope = protoScope(r);
    else r.skip(t & 7);
  }
  checkEnd(r, end, 'a ScopeLogs');
  for (const f of records) out.push(toLogInput(f, resource, scope));
}

/**
 * LogRecord { time_unix_nano = 1 (fixed64); severity_number = 2; severity_text = 3; body = 5;
 * attributes = 6; dropped_attributes_count = 7; flags = 8; trace_id = 9; span_id = 10;
 * observed_time_unix_nano = 11 (fixed64); event_name = 12 }.
 */
function protoLogRecord(r: ProtoReader): RecordFields {
  const end = subEnd(r);
  const f: RecordFields = { timeNs: 0n, observedNs: 0n, severityNumber: 0, severityText: '', body: null, attributes: {}, traceId: '', spanId: '', eventName: '' };
  while (r.pos < end) {
    const t = r.tag();
    switch (t) {
      case F1_FIXED64: f.timeNs = r.fixed64Big(); break;
      case F2_VARINT: f.severityNumber = r.varint64(); break;
      case F3_LEN: f.severityText = protoString(r); break;
      case F5_LEN: f.body = protoAnyValue(r); break;
      case F6_LEN: protoKeyValue(r, f.attributes); break;
      case F9_LEN: f.traceId = protoHex(r); break;
      case F10_LEN: f.spanId = protoHex(r); break;
      case F11_FIXED64: f.observedNs = r.fixed64Big(); break;
      case F12_LEN: f.eventName = protoString(r); break;
      default: r.skip(t & 7);
    }
  }
  checkEnd(r, end, 'a LogRecord');
  return f;
}

// ------------------------------------------------------------------ JSON

const SEVERITY_NAMES: readonly string[] = [
  'SEVERITY_NUMBER_UNSPECIFIED',
  ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((n) => [n, `${n}2`, `${n}3`, `${n}4`].map((s) => `SEVERITY_NUMBER_${s}`)),
];

/** The OTLP/JSON request (already parsed): { resourceLogs: [...] }. */
export function decodeLogsJson(body: unknown): DecodedLogs {
  const root = jsonRoot(body, 'ExportLogsServiceRequest');
  const entries: LogInput[] = [];
  const rls = jsonArray(root.resourceLogs, 'resourceLogs');
  for (let i = 0; i < rls.length; i++) {
    const path = `resourceLogs[${i}]`;
    const rl = jsonObject(rls[i], path);
    if (rl === undefined) continue;
    const resource = flatResource(jsonResource(rl.resource, `${path}.resource`), {});
    const sls = jsonArray(rl.scopeLogs, `${path}.scopeLogs`);
    for (let j = 0; j < sls.length; j++) {
      const spath = `${path}.scopeLogs[${j}]`;
      const sl = jsonObject(sls[j], spath);
      if (sl === undefined) continue;
      const scope = jsonScope(sl.scope, `${spath}.scope`);
      const list = jsonArray(sl.logRecords, `${spath}.logRecords`);
      for (let k = 0; k < list.length; k++) {
        const rec = jsonObject(list[k], `${spath}.logRecords[${k}]`);
        if (rec !== undefined) entries.push(toLogInput(jsonLogRecord(rec, `${spath}.logRecords[${k}]`), resource, scope));
      }
    }
  }
  return { entries, rejected: 0, reasons: [] };
}

function jsonLogRecord(o: Record<string, unknown>, path: string): RecordFields {
  return {
    timeNs: jsonNanos(o.timeUnixNano, `${path}.timeUnixNano`),
    observedNs: jsonNanos(o.observedTimeUnixNano, `${path}.observedTimeUnixNano`),
    severityNumber: jsonEnum(o.severityNumber, `${path}.severityNumber`, SEVERITY_NAMES),
    severityText: jsonString(o.severityText, `${path}.severityText`),
    body: jsonAnyValue(o.body, `${path}.body`),
    attributes: jsonAttributes(o.attributes, `${path}.attributes`),
    traceId: jsonId(o.traceId, `${path}.traceId`),
    spanId: jsonId(o.spanId, `${path}.spanId`),
    eventName: jsonString(o.eventName, `${path}.eventName`),
  };
}
