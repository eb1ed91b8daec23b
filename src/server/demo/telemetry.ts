// How the demo app reports about itself: logs and child spans carrying the trace context of the
// request being handled (activeTraceContext, set by timelessHono), under the demo's own service
// name so the dashboard shows it apart from anything else written to the store. Telemetry must
// never break a demo response: every write is guarded and a closed store is skipped.
import type { HttpTarget } from '../../integrations/http-instrumentation.js';
import type { HttpMetricsSink } from '../../integrations/http-metrics.js';
import { activeTraceContext } from '../../integrations/request-context.js';
import { newSpanId, newTraceId } from '../../integrations/traceparent.js';
import type { LogInput, LogLevel } from '../../logs/types.js';
import type { Attributes, SpanInput, SpanKind } from '../../traces/types.js';

/** The slice of Timeless the demo writes to (Timeless fits). */
export interface DemoStore {
  readonly metrics: HttpMetricsSink;
  readonly traces: { write(span: SpanInput): void };
  readonly logs: { write(entry: LogInput): void };
  readonly isClosed: boolean;
}

export const DEMO_SCOPE = Object.freeze({ name: 'timeless-node/demo' });

/** OTel's exception attributes (exception.type/message/stacktrace) of a thrown value. */
export function exceptionAttributes(err: unknown): Attributes {
  if (err instanceof Error) {
    const attrs: Attributes = { 'exception.type': err.name, 'exception.message': err.message };
    if (err.stack !== undefined) attrs['exception.stacktrace'] = err.stack;
    return attrs;
  }
  return { 'exception.type': typeof err, 'exception.message': String(err) };
}

export interface ChildSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly flags: number;
  /** Records the span; with `error` its status is error and an `exception` event is attached. */
  end(extra?: { attributes?: Attributes; error?: unknown; errorType?: string }): void;
}

export class DemoTelemetry {
  readonly service: string;
  /** For timelessHono: the store, with this service's name on every server span. */
  readonly httpTarget: HttpTarget;
  private readonly store: DemoStore;
  private readonly resource: { 'service.name': string };
  private warned = false;

  constructor(store: DemoStore, service: string) {
    this.store = store;
    this.service = service;
    this.resource = { 'service.name': service };
    const write = (span: SpanInput) => this.writeSpan(span);
    this.httpTarget = {
      metrics: store.metrics,
      traces: { write },
      get isClosed() {
        return store.isClosed;
      },
    };
  }

  log(level: LogLevel, message: string, attributes: Attributes = {}): void {
    const ctx = activeTraceContext();
    const entry: LogInput = { level, message, attributes, resource: this.resource };
    if (ctx !== undefined) {
      entry.traceId = ctx.traceId;
      entry.spanId = ctx.spanId;
    }
    this.guard(() => this.store.logs.write(entry));
  }

  /** A span under the current request's span (a new trace outside any request), timed from now. */
  startSpan(name: string, kind: SpanKind, attributes: Attributes): ChildSpan {
    const parent = activeTraceContext();
    const traceId = parent?.traceId ?? newTraceId();
    const spanId = newSpanId();
    const flags = parent?.flags ?? 1;
    const startHr = process.hrtime.bigint();
    const startNs = BigInt(Date.now()) * 1_000_000n;
    return {
      traceId,
      spanId,
      flags,
      end: (extra = {}) => {
        const endNs = startNs + (process.hrtime.bigint() - startHr);
        const span: SpanInput = { traceId, spanId, name, kind, startNs, endNs, attributes: { ...attributes, ...extra.attributes }, scope: DEMO_SCOPE, flags };
        if (parent !== undefined) span.parentSpanId = parent.spanId;
        if (extra.error !== undefined) {
          const exc = exceptionAttributes(extra.error);
          span.status = { code: 'error', message: String(exc['exception.message']) };
          span.attributes!['error.type'] = extra.errorType ?? String(exc['exception.type']);
          span.events = [{ name: 'exception', timeNs: endNs, attributes: exc }];
        }
        this.writeSpan(span);
      },
    };
  }

  private writeSpan(span: SpanInput): void {
    this.guard(() => this.store.traces.write({ ...span, resource: { attributes: this.resource } }));
  }

  private guard(write: () => void): void {
    if (this.store.isClosed) return;
    try {
      write();
    } catch (err) {
      // A full store would repeat this per request: say it once.
      if (!this.warned) {
        this.warned = true;
        console.warn(`timeless: demo telemetry could not be written: ${(err as Error)?.message ?? String(err)}`);
      }
    }
  }
}
