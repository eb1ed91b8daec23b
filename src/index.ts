// Public API of timeless-node (DESIGN.md §6).
export { Timeless } from './store.js';
export type { TimelessOptions, TimelessMetrics, TimelessLogs, TimelessRetention, TimelessStats, StoreRetentionOptions, RetentionSettings } from './store.js';
export type { MemoryStats } from './storage/memory-guard.js';
export type { RuntimeMetricsOptions } from './integrations/runtime.js';
export { timelessHono } from './integrations/hono.js';
export type { TimelessHonoMiddleware, TimelessHonoVariables } from './integrations/hono.js';
export { timelessHttp } from './integrations/node-http.js';
export type { TimelessHttpMiddleware } from './integrations/node-http.js';
export type { HttpInstrumentationOptions } from './integrations/http-instrumentation.js';
export type { SpanSamplingOptions } from './integrations/span-sampler.js';
export { parseTraceparent, formatTraceparent } from './integrations/traceparent.js';
export { activeTraceContext, traceFields, runWithTraceContext, enableTraceContext } from './integrations/request-context.js';
export type { TraceContext } from './integrations/request-context.js';
export type { TraceParent } from './integrations/traceparent.js';
export { MetricsError } from './metrics/errors.js';
export type { MetricsErrorCode } from './metrics/errors.js';
export { StorageError } from './storage/errors.js';
export type { StorageErrorCode } from './storage/errors.js';
export { CodecError } from './codec/errors.js';
export { createPool } from './pool/pool.js';
export type { Pool, PoolOptions } from './pool/pool.js';
export type * from './metrics/types.js';
export { LogsError } from './logs/errors.js';
export type { LogsErrorCode } from './logs/errors.js';
export type {
  LogLevel, AttrValue, Attributes, Resource, LogEntry, LogInput, LogQuery, LogQueryResult, LogCountResult, LogFilter,
  LogsRetentionOptions, LogsOptions, LogsStats, LogsRetentionReport, SkippedBlock as LogSkippedBlock,
} from './logs/types.js';
export { LOG_LEVELS } from './logs/types.js';
export type { LogsEngineOptions } from './logs/engine.js';
export type { LogCompactionReport } from './logs/compaction.js';
export type { TimelessTraces } from './store.js';
export { TracesError } from './traces/errors.js';
export type { TracesErrorCode } from './traces/errors.js';
export type {
  Span, SpanInput, SpanKind, StatusCode, SpanStatus, SpanEvent, SpanLink, SpanEventInput, SpanLinkInput, SpanResource,
  InstrumentationScope, TraceQuery, TraceQueryResult, TraceResult, SpanNode, TracesOptions, TracesStats,
  TracesRetentionOptions, TracesRetentionReport, SkippedBlock as TraceSkippedBlock,
} from './traces/types.js';
export { SPAN_KINDS, STATUS_CODES } from './traces/types.js';
export type { TracesEngineOptions } from './traces/engine.js';
export type { SpanCompactionReport } from './traces/compaction.js';
export type { SpanFilter } from './traces/tail.js';
export type { OperationRow } from './traces/operations.js';
export { TimelessSpanExporter } from './traces/exporter.js';
export { TimelessLogRecordExporter } from './integrations/otel-logs-exporter.js';
export type { LogSink, LogExporterOptions } from './integrations/otel-logs-exporter.js';
export { TimelessMetricExporter } from './integrations/otel-metrics-exporter.js';
export type { MetricSink, MetricExporterOptions } from './integrations/otel-metrics-exporter.js';
export { resolveIdentity, fillIdentity } from './integrations/identity.js';
export { captureConsole } from './integrations/console-capture.js';
export type { ConsoleCaptureOptions, ConsoleMethod } from './integrations/console-capture.js';
export { startLogChannel, logChannelName } from './integrations/log-channel.js';
export type { LogChannelSink, LogChannelHandle } from './integrations/log-channel.js';
export type { PinoTransportOptions } from './integrations/pino.js';
export { pinoLineToLogInput } from './integrations/pino-line.js';
export type { Identity, IdentitySources } from './integrations/identity.js';
export type { SpanSink } from './traces/exporter.js';
