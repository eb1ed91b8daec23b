// The `http` suite's ingest parts: the same loopback driver (bench/lib/http-ingest-run.ts) on four
// protocols, each with bodies the way its real senders make them.
// - remoteWrite: Prometheus remote_write 1.0 (snappy protobuf), 10,000 samples per request;
// - vmImport: VictoriaMetrics /api/v1/import JSON lines, 10,000 samples per request;
// - otlpTraces / otlpLogs: OTLP/HTTP protobuf from the OpenTelemetry JS serializers, 512 per request.
// Sizes: enough bodies for ~10 s at the targets (--quick: ~2 s of a small set); a faster server
// runs out of bodies earlier, which the row notes.
import { remoteWriteBodies, vmImportBodies } from '../lib/http-bodies-metrics.js';
import { EXPORT_BATCH, otlpLogBodies, otlpTraceBodies } from '../lib/http-bodies-otlp.js';
import { runIngestPart } from '../lib/http-ingest-run.js';
import type { SuiteContext, SuiteOutput } from '../lib/report.js';

/**
 * Requests per lane (10,000 points each, 4 lanes): ~10 s at the rates measured here (~1.8 M/s for
 * remote_write, ~1.4 M/s for VM import); --quick 400 k points. The VM bodies are 6x bigger (JSON),
 * so they take ~450 MB of the bench's memory at full size.
 */
const remoteWriteRequestsPerLane = (quick: boolean) => (quick ? 10 : 450);
const vmImportRequestsPerLane = (quick: boolean) => (quick ? 10 : 350);
/** Spans or log records in all: ~10 s at 100 k/s (--quick ~30 k). */
const otlpItems = (quick: boolean) => (quick ? 60 * EXPORT_BATCH : 2_000 * EXPORT_BATCH);

export function runHttpRemoteWrite(ctx: SuiteContext): Promise<SuiteOutput> {
  return runIngestPart(ctx, {
    part: 'remoteWrite',
    key: 'http.remoteWritePointsPerSec',
    label: 'http: Prometheus remote_write ingest',
    unit: 'points',
    target: { op: '>=', value: 500_000 },
    path: '/api/v1/write',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
    ok: [204, 200],
    warmupPerLane: 2,
    build: (lanes) => remoteWriteBodies(lanes, remoteWriteRequestsPerLane(ctx.quick)),
    stored: (s) => s.metrics.points,
  });
}

export function runHttpVmImport(ctx: SuiteContext): Promise<SuiteOutput> {
  return runIngestPart(ctx, {
    part: 'vmImport',
    key: 'http.vmImportPointsPerSec',
    label: 'http: VictoriaMetrics /api/v1/import ingest',
    unit: 'points',
    target: { op: '>=', value: 500_000 },
    path: '/api/v1/import',
    headers: { 'content-type': 'application/json' },
    ok: [204, 200],
    warmupPerLane: 2,
    build: (lanes) => vmImportBodies(lanes, vmImportRequestsPerLane(ctx.quick)),
    stored: (s) => s.metrics.points,
  });
}

export function runHttpOtlpTraces(ctx: SuiteContext): Promise<SuiteOutput> {
  return runIngestPart(ctx, {
    part: 'otlpTraces',
    key: 'http.otlpSpansPerSec',
    label: 'http: OTLP/HTTP protobuf traces ingest',
    unit: 'spans',
    target: { op: '>=', value: 100_000 },
    path: '/v1/traces',
    headers: { 'content-type': 'application/x-protobuf' },
    ok: [200],
    warmupPerLane: 3,
    build: (lanes) => otlpTraceBodies(lanes, otlpItems(ctx.quick)),
    stored: (s) => s.traces.spans,
  });
}

export function runHttpOtlpLogs(ctx: SuiteContext): Promise<SuiteOutput> {
  return runIngestPart(ctx, {
    part: 'otlpLogs',
    key: 'http.otlpLogsPerSec',
    label: 'http: OTLP/HTTP protobuf logs ingest',
    unit: 'logs',
    path: '/v1/logs',
    headers: { 'content-type': 'application/x-protobuf' },
    ok: [200],
    warmupPerLane: 3,
    build: (lanes) => otlpLogBodies(lanes, otlpItems(ctx.quick)),
    stored: (s) => s.logs.entries,
  });
}

