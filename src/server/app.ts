// The Hono app behind tl.routes(): middleware first (request id, errors, auth on everything but
// /health), then every route module. It mounts under any prefix: `host.route('/obs', tl.routes())`.
import { Hono } from 'hono';
import type { Timeless } from '../store.js';
import { createServerContext, type AppEnv, type ServerContext, type ServerOptions } from './context.js';
import { errorJson, HttpError, toHttpError } from './errors.js';
import { requestId } from './middleware/request-id.js';
import { auth } from './middleware/auth.js';
import { securityHeaders } from './middleware/security-headers.js';
import { registerHealth } from './routes/health.js';
import { registerAdmin } from './routes/admin.js';
import { registerNativeMetrics } from './routes/native-metrics.js';
import { registerMetricsLive } from './routes/metrics-live.js';
import { registerNativeLogs } from './routes/native-logs.js';
import { registerNativeTraces } from './routes/native-traces.js';
// Protocol route modules (one import + one register line each, below).
import { registerOtlp } from './routes/otlp.js';
import { registerJaeger } from './routes/jaeger.js';
import { registerVictoriaLogs } from './routes/victoria-logs.js';
import { registerBackup } from './routes/backup.js';
import { registerPrometheusWrite } from './routes/prometheus-write.js';
import { registerVictoriaMetrics } from './routes/victoria-metrics.js';
import { registerPrometheusQuery } from './routes/prometheus-query.js';
import { registerDashboard } from './routes/dashboard.js';

export interface TimelessApp extends Hono<AppEnv> {
  /** The shared context (counters, ingest helpers); tests and the standalone server read it. */
  readonly timeless: ServerContext;
}

export function createApp(tl: Timeless, options: ServerOptions = {}): TimelessApp {
  const ctx = createServerContext(tl, options);
  const app = new Hono<AppEnv>();
  app.use('*', securityHeaders());
  app.use('*', requestId());
  app.onError((err, c) => {
    const h = toHttpError(err);
    if (h.status >= 500 && !(err instanceof HttpError)) console.error(`timeless: ${c.req.method} ${c.req.path} failed:`, err);
    ctx.self.inc('timeless_http_errors_total', 'Error answers by status and code.', { status: String(h.status), code: h.code });
    for (const [k, v] of Object.entries(h.headers)) c.header(k, v);
    return c.json(errorJson(h, c.get('requestId')), h.status as 400);
  });
  app.notFound((c) => c.json(errorJson(new HttpError(404, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`), c.get('requestId')), 404));
  // /health is registered before auth: it is never authenticated (DESIGN.md §7).
  registerHealth(app, ctx);
  app.use('*', auth(ctx));
  registerDashboard(app, ctx);
  registerAdmin(app, ctx);
  registerNativeMetrics(app, ctx);
  registerMetricsLive(app, ctx);
  registerNativeLogs(app, ctx);
  registerNativeTraces(app, ctx);
  // -- protocol routes --
  registerOtlp(app, ctx);
  registerJaeger(app, ctx);
  registerVictoriaLogs(app, ctx);
  registerBackup(app, ctx);
  registerPrometheusWrite(app, ctx);
  registerVictoriaMetrics(app, ctx);
  registerPrometheusQuery(app, ctx);
  Object.defineProperty(app, 'timeless', { value: ctx, enumerable: false });
  return app as TimelessApp;
}
