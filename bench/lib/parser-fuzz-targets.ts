// The HTTP ingest parsers the parser fuzz run feeds, each called the way its route calls it (body
// bytes in, the route's UTF-8 / JSON step included), and the error types that route turns into a
// 4xx answer. Any other exception reaches the app's error handler as a 500 (a stack overflow, a
// TypeError from a bad index): a failure. Keyed by name so a worker thread can rebuild them.
import { HttpError } from '../../src/server/errors.js';
import { decodeUtf8, parseJson } from '../../src/server/body.js';
import { ProtobufError } from '../../src/server/protocols/protobuf.js';
import { OtlpFormatError } from '../../src/server/protocols/otlp-common.js';
import { decodeTracesJson, decodeTracesProto } from '../../src/server/protocols/otlp-traces.js';
import { decodeLogsJson, decodeLogsProto } from '../../src/server/protocols/otlp-logs.js';
import { decodeMetricsJson, decodeMetricsProto } from '../../src/server/protocols/otlp-metrics.js';
import { SnappyError, snappyDecompress } from '../../src/server/protocols/snappy.js';
import { decodeWriteRequestPoints } from '../../src/server/protocols/remote-write.js';
import { SeriesCache } from '../../src/server/protocols/series-cache.js';
import { parsePromText, PromTextError } from '../../src/server/protocols/prom-text.js';
import { parseVmImport, VmImportError } from '../../src/server/protocols/vm-import.js';
import { jsonlineOptions, parseJsonlines } from '../../src/server/protocols/jsonline.js';
import { parseExpr } from '../../src/server/promql/parser.js';
import { ParseError } from '../../src/server/promql/errors.js';

/** How an input of the target is shaped: picks the mutations that understand it. */
export type InputFormat = 'proto' | 'snappy-proto' | 'json' | 'ndjson' | 'text' | 'promql';

export type ParserTargetName =
  | 'otlpTracesProto'
  | 'otlpTracesJson'
  | 'otlpLogsProto'
  | 'otlpLogsJson'
  | 'otlpMetricsProto'
  | 'otlpMetricsJson'
  | 'remoteWrite'
  | 'remoteWriteProto'
  | 'promText'
  | 'openMetrics'
  | 'vmImport'
  | 'jsonline'
  | 'promql';

export interface ParserTarget {
  format: InputFormat;
  /** Parses; returns a description of an inconsistent result, or null when the result is sane. */
  parse(bytes: Uint8Array): string | null;
  /** The typed error's label (class, and code for an HttpError), or undefined for any other throw. */
  typed(err: unknown): string | undefined;
}

/** Remote write's decompressed-size limit (the server's default maxBodyBytes). */
const MAX_BYTES = 64 * 1024 * 1024;
/** A fixed "now" so a case decodes the same on every run (OTLP metrics and text default times). */
const NOW_MS = 1_700_000_000_000;
const JSONLINE_OPTIONS = jsonlineOptions((q) => (q === '_stream_fields' ? 'service,host' : q === 'decolorize_fields' ? '_msg' : undefined));

function httpInvalidBody(err: unknown): string | undefined {
  return err instanceof HttpError && err.status === 400 ? `HttpError:${err.code}` : undefined;
}

function otlpTyped(err: unknown): string | undefined {
  if (err instanceof ProtobufError) return 'ProtobufError';
  if (err instanceof OtlpFormatError) return 'OtlpFormatError';
  return httpInvalidBody(err);
}

/** Every decoded batch's invariant: what was read plus what was refused, counts that add up. */
function counted(what: string, items: readonly unknown[], rejected: number): string | null {
  if (!Array.isArray(items)) return `${what}: no item array`;
  if (!Number.isInteger(rejected) || rejected < 0) return `${what}: rejected count ${rejected}`;
  return null;
}

export const PARSER_TARGETS: Record<ParserTargetName, ParserTarget> = {
  otlpTracesProto: { format: 'proto', typed: otlpTyped, parse: (b) => { const d = decodeTracesProto(b); return counted('traces', d.spans, d.rejected); } },
  otlpTracesJson: { format: 'json', typed: otlpTyped, parse: (b) => { const d = decodeTracesJson(parseJson(b)); return counted('traces', d.spans, d.rejected); } },
  otlpLogsProto: { format: 'proto', typed: otlpTyped, parse: (b) => { const d = decodeLogsProto(b); return counted('logs', d.entries, d.rejected); } },
  otlpLogsJson: { format: 'json', typed: otlpTyped, parse: (b) => { const d = decodeLogsJson(parseJson(b)); return counted('logs', d.entries, d.rejected); } },
  otlpMetricsProto: { format: 'proto', typed: otlpTyped, parse: (b) => { const d = decodeMetricsProto(b, NOW_MS); return counted('metrics', d.points, d.rejected); } },
  otlpMetricsJson: { format: 'json', typed: otlpTyped, parse: (b) => { const d = decodeMetricsJson(parseJson(b), NOW_MS); return counted('metrics', d.points, d.rejected); } },
  remoteWrite: {
    format: 'snappy-proto',
    typed: (err) => (err instanceof SnappyError ? err.name : err instanceof ProtobufError ? 'ProtobufError' : undefined),
    parse: (b) => {
      const d = decodeWriteRequestPoints(snappyDecompress(b, MAX_BYTES), new SeriesCache(1024));
      return counted('remote write', d.points, d.rejected);
    },
  },
  // The same decoder on a body sent without snappy (Content-Encoding: identity or gzip).
  remoteWriteProto: {
    format: 'proto',
    typed: (err) => (err instanceof ProtobufError ? 'ProtobufError' : undefined),
    parse: (b) => {
      const d = decodeWriteRequestPoints(b, new SeriesCache(1024));
      return counted('remote write', d.points, d.rejected);
    },
  },
  promText: {
    format: 'text',
    typed: (err) => (err instanceof PromTextError ? 'PromTextError' : httpInvalidBody(err)),
    parse: (b) => {
      const r = parsePromText(decodeUtf8(b), { openMetrics: false, defaultTsMs: NOW_MS, cache: new SeriesCache(1024) });
      return counted('prom text', r.points, 0);
    },
  },
  openMetrics: {
    format: 'text',
    typed: (err) => (err instanceof PromTextError ? 'PromTextError' : httpInvalidBody(err)),
    parse: (b) => {
      const r = parsePromText(decodeUtf8(b), { openMetrics: true, defaultTsMs: NOW_MS, cache: new SeriesCache(1024) });
      return counted('openmetrics', r.points, 0);
    },
  },
  vmImport: {
    format: 'ndjson',
    typed: (err) => (err instanceof VmImportError ? 'VmImportError' : httpInvalidBody(err)),
    parse: (b) => counted('vm import', parseVmImport(decodeUtf8(b), new SeriesCache(1024)), 0),
  },
  // Bad lines are counted, never thrown: the whole body must come back as entries + rejected.
  jsonline: {
    format: 'ndjson',
    typed: () => undefined,
    parse: (b) => {
      const r = parseJsonlines(b, JSONLINE_OPTIONS);
      if (r.entries.length !== r.lines.length) return `jsonline: ${r.entries.length} entries but ${r.lines.length} line numbers`;
      let lines = 1;
      for (const c of b) if (c === 0x0a) lines++;
      if (r.entries.length + r.rejected > lines) return `jsonline: ${r.entries.length} entries + ${r.rejected} rejected > ${lines} lines`;
      return counted('jsonline', r.entries, r.rejected);
    },
  },
  // The query API hands the parser a decoded query string (URL decoding never fails: bad UTF-8 is U+FFFD).
  promql: {
    format: 'promql',
    typed: (err) => (err instanceof ParseError ? 'ParseError' : undefined),
    parse: (b) => (parseExpr(Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8')) ? null : 'parseExpr returned nothing'),
  },
};

export const PARSER_TARGET_NAMES = Object.keys(PARSER_TARGETS) as ParserTargetName[];
