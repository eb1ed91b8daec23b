// The `http` bench: its request bodies decode with the server's own decoders into what the generators
// made (lanes own distinct series, timestamps rise per series), and a --quick smoke run of the built
// CLI's http suite reports every key with a sane value and no correctness failure (never a timing
// assertion: speed lives in the bench).
import { describe, expect, it } from 'vitest';
import { remoteWriteBodies, SERIES_PER_LANE, STEPS_PER_REQUEST, vmImportBodies } from '../bench/lib/http-bodies-metrics.js';
import { EXPORT_BATCH, otlpLogBodies, otlpTraceBodies } from '../bench/lib/http-bodies-otlp.js';
import { decodeWriteRequestPoints } from '../src/server/protocols/remote-write.js';
import { SeriesCache } from '../src/server/protocols/series-cache.js';
import { snappyDecompress } from '../src/server/protocols/snappy.js';
import { parseVmImport } from '../src/server/protocols/vm-import.js';
import { decodeTracesProto } from '../src/server/protocols/otlp-traces.js';
import { decodeLogsProto } from '../src/server/protocols/otlp-logs.js';
import type { WritePoint } from '../src/metrics/types.js';
import { lastJson, useBuiltBenchCli } from './bench-cli-harness.js';

const key = (p: WritePoint) => `${p.name}${JSON.stringify(Object.entries(p.labels).sort())}`;

/** Per lane: its points in request order; checks what every metrics body must hold. */
function checkLanes(lanes: WritePoint[][][]): void {
  const owner = new Map<string, number>();
  lanes.forEach((requests, lane) => {
    const lastTs = new Map<string, number>();
    for (const points of requests) {
      expect(points).toHaveLength(SERIES_PER_LANE * STEPS_PER_REQUEST);
      expect(new Set(points.map(key)).size).toBe(SERIES_PER_LANE);
      for (const p of points) {
        const k = key(p);
        expect(owner.get(k) ?? lane, `series ${k} in two lanes`).toBe(lane);
        owner.set(k, lane);
        expect(p.tsMs, `timestamps rise for ${k}`).toBeGreaterThan(lastTs.get(k) ?? -Infinity);
        lastTs.set(k, p.tsMs!);
        expect(p.tsMs!).toBeLessThanOrEqual(Date.now());
        expect(Number.isFinite(p.value)).toBe(true);
      }
    }
  });
  expect(owner.size).toBe(lanes.length * SERIES_PER_LANE);
}

describe('http bench bodies', () => {
  it('remote_write: snappy WriteRequests of 10,000 samples, each lane its own series in time order', () => {
    const lanes = remoteWriteBodies(3, 3);
    const cache = new SeriesCache();
    checkLanes(
      lanes.map((reqs) =>
        reqs.map((r) => {
          const d = decodeWriteRequestPoints(snappyDecompress(r.body, 64 * 2 ** 20), cache);
          expect(d.rejected).toBe(0);
          expect(d.points).toHaveLength(r.items);
          return d.points;
        }),
      ),
    );
  });

  it('VictoriaMetrics import: JSON lines with the same shape', () => {
    const lanes = vmImportBodies(2, 3);
    checkLanes(
      lanes.map((reqs) =>
        reqs.map((r) => {
          const points = parseVmImport(Buffer.from(r.body).toString('utf8'));
          expect(points).toHaveLength(r.items);
          return points;
        }),
      ),
    );
  });

  it('OTLP traces and logs: SDK-serialized protobuf that decodes to every record, fields intact', () => {
    const traces = otlpTraceBodies(2, 3 * EXPORT_BATCH);
    const spans = traces.flat().flatMap((r) => {
      const d = decodeTracesProto(r.body);
      expect(d.rejected).toBe(0);
      expect(d.spans).toHaveLength(r.items);
      return d.spans;
    });
    expect(spans.length).toBeGreaterThanOrEqual(3 * EXPORT_BATCH);
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(spans.length);
    expect(spans.some((s) => s.parentSpanId !== undefined) && spans.some((s) => (s.events ?? []).length > 0)).toBe(true);
    expect(new Set(spans.map((s) => s.kind)).size).toBeGreaterThanOrEqual(3);
    expect(spans.every((s) => typeof s.resource?.attributes?.['service.name'] === 'string')).toBe(true);

    const logs = otlpLogBodies(2, 2 * EXPORT_BATCH);
    const entries = logs.flat().flatMap((r) => {
      const d = decodeLogsProto(r.body);
      expect(d.rejected).toBe(0);
      expect(d.entries).toHaveLength(r.items);
      return d.entries;
    });
    expect(entries).toHaveLength(2 * EXPORT_BATCH);
    expect(entries.every((e) => typeof e.message === 'string' && e.message.length > 0)).toBe(true);
    expect(entries.some((e) => e.traceId !== undefined)).toBe(true);
    expect(new Set(entries.map((e) => e.level)).size).toBeGreaterThanOrEqual(2);
  });
});

describe('npm run bench -- http --quick (built CLI)', () => {
  const cli = useBuiltBenchCli({ tmpPrefix: 'timeless-bench-http-', timeoutMs: 170_000 });

  it('reports every issue #6 key with a sane value, with no correctness failure', { timeout: 180_000 }, () => {
    const r = cli.run('http', '--quick', '--json');
    expect(r.stderr).not.toMatch(/FAILED|^error:/m);
    expect(r.status).toBe(0);
    const report = lastJson(r.stdout);
    expect(report.failures).toEqual([]);
    const h = report.http;
    for (const k of ['backupDownloadBytes', 'backupDownloadMBPerSec', 'backupDownloadRssGrowthMB', 'remoteWritePointsPerSec', 'vmImportPointsPerSec', 'otlpSpansPerSec', 'otlpLogsPerSec']) {
      expect(typeof h[k], `http.${k}`).toBe('number');
    }
    for (const k of ['remoteWritePointsPerSec', 'vmImportPointsPerSec', 'otlpSpansPerSec', 'otlpLogsPerSec', 'backupDownloadBytes', 'backupDownloadMBPerSec']) expect(h[k], k).toBeGreaterThan(0);
    const b = h.backupDownload;
    expect(h.backupDownloadBytes).toBe(b.bytes);
    expect(b.backupBytes).toBeGreaterThanOrEqual(64 * 2 ** 20);
    expect(b.tarBytes).toBeGreaterThan(b.backupBytes);
    expect(b.rssSamples).toBeGreaterThan(0);
    expect(b.rssPeakMB).toBeGreaterThanOrEqual(b.rssBaselineMB);
    for (const [part, headline] of [['remoteWrite', 'remoteWritePointsPerSec'], ['vmImport', 'vmImportPointsPerSec'], ['otlpTraces', 'otlpSpansPerSec'], ['otlpLogs', 'otlpLogsPerSec']]) {
      const p = h[part];
      expect(p.perSec, part).toBe(h[headline]);
      expect(p.items, part).toBeGreaterThan(0);
      expect(p.requests, part).toBeGreaterThan(0);
      expect(p.items / p.requests, part).toBeCloseTo(p.itemsPerRequest, -2);
      expect(p.latencyP99Ms, part).toBeGreaterThanOrEqual(p.latencyP50Ms);
    }
    // The table lists every headline key.
    for (const label of ['server RSS growth during a backup download', 'Prometheus remote_write ingest', 'VictoriaMetrics /api/v1/import ingest', 'OTLP/HTTP protobuf traces ingest', 'OTLP/HTTP protobuf logs ingest']) {
      expect(r.stdout).toContain(label);
    }
  });
});
