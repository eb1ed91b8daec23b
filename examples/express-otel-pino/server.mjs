// An Express app that already speaks OpenTelemetry and logs with pino, storing everything in
// Timeless: the OTel SDK exports spans, log records and metrics into the store (one exporter each),
// pino's transport hands log lines over from its worker thread, and timelessHttp records every
// request (histogram + server span; with the SDK's context manager registered, the SDK spans made in
// a handler become its children). The dashboard is at /obs/. Run it from a checkout:
//   node examples/express-otel-pino/server.mjs     then  curl -X POST localhost:3000/orders -d '{"sku":"A1"}' -H 'content-type: application/json'
import { metrics, SpanStatusCode, trace } from '@opentelemetry/api';
import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import express from 'express';
import pino from 'pino';
import { Timeless, timelessHttp, traceFields } from 'timeless-node';

const dataDir = process.env.TIMELESS_DATA_DIR ?? './data/observability';
const port = Number(process.env.PORT ?? 3000);

const tl = await Timeless.open({ dataDir });

// OpenTelemetry: the app's existing SDK setup, with Timeless as the exporter of each signal.
const tracerProvider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(tl.traces.exporter(), { scheduledDelayMillis: 500 })] });
tracerProvider.register();
const loggerProvider = new LoggerProvider({ processors: [new BatchLogRecordProcessor({ exporter: tl.logs.exporter(), scheduledDelayMillis: 500 })] });
logs.setGlobalLoggerProvider(loggerProvider);
const meterProvider = new MeterProvider({
  readers: [new PeriodicExportingMetricReader({ exporter: tl.metrics.exporter(), exportIntervalMillis: Number(process.env.METRICS_EXPORT_MS ?? 10_000) })],
});
metrics.setGlobalMeterProvider(meterProvider);

const tracer = trace.getTracer('orders');
const otelLog = logs.getLogger('orders');
const ordersCreated = metrics.getMeter('orders').createCounter('orders_created', { description: 'Orders accepted' });

// pino: lines go to Timeless through the transport (in pino's worker thread); the mixin puts the
// active span's ids on each line.
const log = pino({ mixin: traceFields, transport: { target: 'timeless-node/pino', options: { dataDir } } });

const app = express();
app.use('/obs', tl.requestListener()); // API + dashboard, before the body parser
app.use(timelessHttp(tl, { ignorePaths: ['/health', /^\/obs(\/|$)/] }));
app.use(express.json());
app.use((req, res, next) => {
  res.setHeader('x-trace-id', req.traceId);
  next();
});

const orders = new Map();

/** A database call as a child span of the request. */
function db(operation, work) {
  return tracer.startActiveSpan(`${operation} orders`, { attributes: { 'db.system.name': 'sqlite', 'db.operation.name': operation } }, (span) => {
    try {
      return work();
    } finally {
      span.end();
    }
  });
}

app.get('/health', (req, res) => res.send('ok'));
app.post('/orders', (req, res) => {
  const sku = req.body?.sku;
  if (typeof sku !== 'string') {
    log.warn({ body: JSON.stringify(req.body ?? null) }, 'order without a sku');
    res.status(400).json({ error: 'sku is required' });
    return;
  }
  const id = String(orders.size + 1);
  db('INSERT', () => orders.set(id, { id, sku }));
  ordersCreated.add(1, { sku });
  log.info({ orderId: id, sku }, 'order created');
  otelLog.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: `order ${id} accepted`, attributes: { 'order.id': id } });
  res.status(201).json({ id });
});
app.get('/orders/:id', (req, res) => {
  const order = db('SELECT', () => orders.get(req.params.id));
  if (order === undefined) {
    log.warn({ orderId: req.params.id }, 'order not found');
    res.status(404).json({ error: 'not found' });
    return;
  }
  log.info({ orderId: order.id }, 'order fetched');
  res.json(order);
});
app.get('/orders/:id/fail', (req, res) => {
  tracer.startActiveSpan('charge card', (span) => {
    const err = new Error('payment provider timed out');
    span.recordException(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
    span.end();
    log.error({ err, orderId: req.params.id }, 'charging failed');
  });
  res.status(502).json({ error: 'payment failed' });
});

const server = app.listen(port, () => log.info(`express-otel-pino listening on http://localhost:${port}, dashboard at http://localhost:${port}/obs/`));

async function shutdown() {
  server.close();
  server.closeAllConnections();
  // The SDK and pino hand over what they still hold, then the store closes (and flushes).
  await Promise.all([tracerProvider.shutdown(), loggerProvider.shutdown(), meterProvider.shutdown()]);
  await new Promise((resolve) => log.flush(() => resolve()));
  await tl.close();
  process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
