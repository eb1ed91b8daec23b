// The traces bench's workload: the "microservice shop" span generator's promises (seeded, streaming in
// end order, realistic trace shapes and error share, every Span field in its stored form, links to real
// producer spans) and its OTLP/JSON rendering (the raw the compression ratio is measured against).
import { describe, expect, it } from 'vitest';
import { generateTraces, toOtlpJson, type TracesGenOptions } from '../bench/gen/traces.js';
import type { AttrValue, Span } from '../src/traces/types.js';

const FROM_MS = Date.UTC(2024, 2, 4); // a Monday, 00:00 UTC
const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

function collect(options: TracesGenOptions): Span[] {
  const out: Span[] = [];
  for (const b of generateTraces(options)) out.push(...b);
  return out;
}

/** A span as text (bigints included), to compare runs exactly. */
const text = (s: Span) => JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));

function byTrace(spans: Span[]): Map<string, Span[]> {
  const m = new Map<string, Span[]>();
  for (const s of spans) {
    const a = m.get(s.traceId);
    if (a) a.push(s);
    else m.set(s.traceId, [s]);
  }
  return m;
}

const isRoot = (s: Span) => s.parentSpanId === undefined;

/**
 * Runs `check` on every item and returns the first few complaints: a per-item expect() over 100k spans
 * costs seconds, and a list of what failed reads better than the first failure alone.
 */
function violations<T>(items: Iterable<T>, check: (item: T, complain: (what: string) => void) => void): string[] {
  const out: string[] = [];
  for (const item of items) {
    check(item, (what) => out.push(what));
    if (out.length >= 5) break;
  }
  return out;
}

describe('traces generator', () => {
  // 100k spans at the default 50 traces/s: ~3.5 minutes of a small shop.
  const spans = collect({ spans: 100_000, seed: 7, fromMs: FROM_MS });
  const traces = byTrace(spans);
  const roots = spans.filter(isRoot);
  const bySpanId = new Map(spans.map((s) => [s.spanId, s]));

  it('streams batches of fresh arrays, stops after the trace that reaches the count, and is deterministic per seed', () => {
    const batches = [...generateTraces({ spans: 2500, seed: 3, fromMs: FROM_MS, batch: 1000 })];
    expect(batches.slice(0, -1).every((b) => b.length === 1000)).toBe(true);
    expect(batches.at(-1)!.length).toBeGreaterThan(0);
    expect(batches.at(-1)!.length).toBeLessThanOrEqual(1000);
    expect(batches[1]).not.toBe(batches[0]);
    const a = batches.flat();
    // At least the count, and at most one trace (+ the worker trace it caused) beyond it.
    expect(a.length).toBeGreaterThanOrEqual(2500);
    expect(a.length).toBeLessThan(2500 + 60);
    const b = collect({ spans: 2500, seed: 3, fromMs: FROM_MS, batch: 7 });
    const c = collect({ spans: 2500, seed: 4, fromMs: FROM_MS });
    expect(b.map(text)).toEqual(a.map(text));
    expect(c.map(text)).not.toEqual(a.map(text));
    const idsA = new Set(a.map((s) => s.traceId));
    expect(c.some((s) => idsA.has(s.traceId))).toBe(false);
    expect(collect({ spans: 0, seed: 1, fromMs: FROM_MS })).toEqual([]);
    expect(() => collect({ spans: 10, seed: 1, fromMs: FROM_MS, batch: 0 })).toThrow(RangeError);
    expect(() => collect({ spans: 1.5, seed: 1, fromMs: FROM_MS })).toThrow(RangeError);
    expect(() => collect({ spans: 10, seed: 1, fromMs: FROM_MS, tracesPerSec: 0 })).toThrow(RangeError);
    expect(() => collect({ spans: 10, seed: 1, fromMs: FROM_MS, errorRate: 2 })).toThrow(RangeError);
  });

  it('fills every Span field in its stored form', () => {
    const hex32 = /^[0-9a-f]{32}$/;
    const hex16 = /^[0-9a-f]{16}$/;
    const zero = /^0+$/;
    // W3C tracestate list member: key=value, value printable without ',' and '='.
    const member = /^[a-z][a-z0-9_\-*/@]*=[\x20-\x2b\x2d-\x3c\x3e-\x7e]*[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
    const isAttrs = (a: unknown) => typeof a === 'object' && a !== null && !Array.isArray(a) && Object.values(a).every((v) => v !== undefined);
    const isInt = (n: unknown) => Number.isInteger(n);
    expect(violations(spans, (s, bad) => {
      const at = `span ${s.spanId} (${s.name})`;
      if (!hex32.test(s.traceId) || zero.test(s.traceId)) bad(`${at}: traceId ${s.traceId}`);
      if (!hex16.test(s.spanId) || zero.test(s.spanId)) bad(`${at}: spanId`);
      if ('parentSpanId' in s && !hex16.test(s.parentSpanId ?? '')) bad(`${at}: parentSpanId ${s.parentSpanId}`);
      if ('traceState' in s && !member.test(s.traceState ?? '')) bad(`${at}: traceState ${s.traceState}`);
      if (typeof s.name !== 'string' || s.name === '') bad(`${at}: name`);
      if (!KINDS.includes(s.kind)) bad(`${at}: kind ${s.kind}`);
      if (typeof s.startNs !== 'bigint' || typeof s.endNs !== 'bigint' || !(s.endNs > s.startNs)) bad(`${at}: times ${s.startNs}..${s.endNs}`);
      if (!['unset', 'ok', 'error'].includes(s.status.code)) bad(`${at}: status ${s.status.code}`);
      if ('message' in s.status && (typeof s.status.message !== 'string' || s.status.message === '' || s.status.code !== 'error')) bad(`${at}: status message`);
      if (!isAttrs(s.attributes) || Object.keys(s.attributes).length === 0) bad(`${at}: attributes`);
      if (!Array.isArray(s.events) || !Array.isArray(s.links)) bad(`${at}: events/links`);
      for (const e of s.events) {
        if (typeof e.name !== 'string' || typeof e.timeNs !== 'bigint' || !isAttrs(e.attributes) || e.droppedAttributesCount !== 0) bad(`${at}: event ${e.name}`);
        if (!(e.timeNs >= s.startNs && e.timeNs <= s.endNs)) bad(`${at}: event ${e.name} outside the span`);
      }
      for (const l of s.links) {
        if (!hex32.test(l.traceId) || !hex16.test(l.spanId) || !isInt(l.flags) || !isAttrs(l.attributes) || l.droppedAttributesCount !== 0) bad(`${at}: link`);
        if ('traceState' in l && !member.test(l.traceState ?? '')) bad(`${at}: link traceState`);
      }
      if (!isAttrs(s.resource.attributes) || s.resource.droppedAttributesCount !== 0) bad(`${at}: resource`);
      if (typeof s.scope.name !== 'string' || typeof s.scope.version !== 'string' || !isAttrs(s.scope.attributes) || s.scope.droppedAttributesCount !== 0) bad(`${at}: scope`);
      if (!isInt(s.flags) || s.droppedAttributesCount !== 0 || s.droppedEventsCount !== 0 || s.droppedLinksCount !== 0) bad(`${at}: flags/dropped counts`);
    })).toEqual([]);
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(spans.length);
  });

  it('has the shape of microservice traces: 3-30 spans, mean 6-15, one root, no orphans, children nested in time', () => {
    const sizes = [...traces.values()].map((t) => t.length);
    const mean = spans.length / traces.size;
    expect(mean).toBeGreaterThan(6);
    expect(mean).toBeLessThan(15);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(3);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(30);
    // Spread, not one fixed shape.
    expect(new Set(sizes).size).toBeGreaterThan(15);
    expect(violations(traces, ([traceId, t], bad) => {
      if (t.filter(isRoot).length !== 1) bad(`trace ${traceId}: ${t.filter(isRoot).length} roots`);
      for (const s of t) {
        if (isRoot(s)) continue;
        const p = bySpanId.get(s.parentSpanId!);
        if (!p || p.traceId !== traceId) bad(`trace ${traceId}: span ${s.spanId} (${s.name}) is an orphan`);
        else if (!(s.startNs >= p.startNs && s.endNs <= p.endNs)) bad(`trace ${traceId}: ${s.name} outside ${p.name}`);
      }
    })).toEqual([]);
    // Client/server pairs across services: a server span under a client span of another pod.
    const remote = spans.filter((s) => s.kind === 'server' && !isRoot(s));
    expect(remote.length).toBeGreaterThan(spans.length / 10);
    expect(violations(remote, (s, bad) => {
      const p = bySpanId.get(s.parentSpanId!)!;
      if (p.kind !== 'client' || p.resource.attributes['service.name'] === s.resource.attributes['service.name']) bad(`${s.name} under ${p.kind} ${p.name}`);
    })).toEqual([]);
    // Some fan-out: siblings that overlap in time.
    let overlapping = 0;
    for (const t of traces.values()) {
      const kids = new Map<string, Span[]>();
      for (const s of t) if (!isRoot(s)) kids.set(s.parentSpanId!, [...(kids.get(s.parentSpanId!) ?? []), s]);
      if ([...kids.values()].some((k) => k.some((a) => k.some((b) => a !== b && a.startNs < b.endNs && b.startNs < a.endNs)))) overlapping++;
    }
    expect(overlapping / traces.size).toBeGreaterThan(0.2);
  });

  it('emits spans when they end: children before parents, concurrent traces interleaved', () => {
    expect(violations(spans.keys(), (i, bad) => {
      if (i > 0 && spans[i].endNs < spans[i - 1].endNs) bad(`span ${i} ends before span ${i - 1}`);
    })).toEqual([]);
    const index = new Map(spans.map((s, i) => [s.spanId, i]));
    expect(violations(spans, (s, bad) => {
      if (!isRoot(s) && index.get(s.spanId)! > index.get(s.parentSpanId!)!) bad(`${s.name} emitted after its parent`);
    })).toEqual([]);
    let nonContiguous = 0;
    for (const t of traces.values()) {
      const idx = t.map((s) => index.get(s.spanId)!);
      if (Math.max(...idx) - Math.min(...idx) + 1 !== t.length) nonContiguous++;
    }
    expect(nonContiguous / traces.size).toBeGreaterThan(0.3);
  });

  it('starts front-door traces as Poisson arrivals around the rate, at ns precision', () => {
    const starts = roots.filter((s) => s.kind === 'server').map((s) => s.startNs).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(starts[0]).toBe(BigInt(FROM_MS) * 1_000_000n);
    const gaps: number[] = [];
    for (let i = 1; i < starts.length; i++) gaps.push(Number(starts[i] - starts[i - 1]));
    const meanSec = gaps.reduce((s, g) => s + g, 0) / gaps.length / 1e9;
    expect(1 / meanSec).toBeGreaterThan(46);
    expect(1 / meanSec).toBeLessThan(54);
    // Exponential gaps: about 37% exceed the mean.
    const over = gaps.filter((g) => g > meanSec * 1e9).length / gaps.length;
    expect(over).toBeGreaterThan(0.33);
    expect(over).toBeLessThan(0.41);
    expect(spans.filter((s) => s.startNs % 1000n === 0n).length).toBeLessThan(spans.length / 100);
    // Log-normal durations: a long tail above the median.
    const db = spans.filter((s) => s.name === 'SELECT products').map((s) => Number(s.endNs - s.startNs)).sort((a, b) => a - b);
    expect(db[Math.floor(db.length * 0.99)]).toBeGreaterThan(3 * db[db.length >> 1]);
    const fast = collect({ spans: 20_000, seed: 7, fromMs: FROM_MS, tracesPerSec: 500 }).filter((s) => isRoot(s) && s.kind === 'server');
    const fastStarts = fast.map((s) => Number(s.startNs - BigInt(FROM_MS) * 1_000_000n));
    const spanSec = (Math.max(...fastStarts) - Math.min(...fastStarts)) / 1e9;
    expect(fast.length / spanSec).toBeGreaterThan(440);
    expect(fast.length / spanSec).toBeLessThan(560);
  });

  it('fails 1-2% of traces: error statuses with messages, 5xx answers, exception events with Node stacks', () => {
    const failed = roots.filter((s) => s.status.code === 'error');
    const share = failed.length / roots.length;
    expect(share).toBeGreaterThan(0.005);
    expect(share).toBeLessThan(0.03);
    const exceptionMessages = new Set<string>();
    for (const r of failed) {
      const t = traces.get(r.traceId)!;
      const thrown = t.flatMap((s) => s.events.filter((e) => e.name === 'exception'));
      expect(thrown.length, r.name).toBeGreaterThan(0);
      for (const e of thrown) {
        const a = e.attributes;
        expect(typeof a['exception.type']).toBe('string');
        expect((a['exception.stacktrace'] as string).startsWith(`${a['exception.type']}: ${a['exception.message']}\n    at `)).toBe(true);
        exceptionMessages.add(a['exception.message'] as string);
      }
      // The span where it started carries a message.
      expect(t.some((s) => s.status.code === 'error' && s.status.message)).toBe(true);
      if (r.kind === 'server') expect([500, 502, 503, 504]).toContain(r.attributes['http.response.status_code']);
    }
    // Errors travel up only: an error span either threw (an exception event, or a query's error status
    // as instrumentation-pg sets it) or has a failing child.
    const failingChild = new Set(spans.filter((s) => s.status.code === 'error' && !isRoot(s)).map((s) => s.parentSpanId));
    expect(violations(spans, (s, bad) => {
      if (s.status.code !== 'error' || failingChild.has(s.spanId)) return;
      if (!s.events.some((e) => e.name === 'exception') && s.attributes['db.system'] !== 'postgresql') bad(`${s.kind} ${s.name} (${s.resource.attributes['service.name']}) fails with nothing failing under it`);
    })).toEqual([]);
    // Stacks repeat per throw site, messages carry the request's values.
    const stacks = failed.flatMap((r) => traces.get(r.traceId)!.flatMap((s) => s.events.filter((e) => e.name === 'exception').map((e) => (e.attributes['exception.stacktrace'] as string).split('\n').slice(1).join('\n'))));
    expect(new Set(stacks).size).toBeLessThan(stacks.length / 2);
    expect([...exceptionMessages].filter((m) => /\d{4,}/.test(m)).length).toBeGreaterThan(exceptionMessages.size / 3);
    // Failing steps of every kind: database, redis, upstream HTTP, handler code.
    const failing = spans.filter((s) => s.status.code === 'error' && s.status.message);
    expect(failing.some((s) => s.attributes['db.system'] === 'postgresql')).toBe(true);
    expect(failing.some((s) => s.attributes['db.system'] === 'redis')).toBe(true);
    expect(spans.some((s) => s.kind === 'client' && s.status.code === 'error' && (s.attributes['http.response.status_code'] as number) >= 500)).toBe(true);
    expect(failed.some((r) => r.events.some((e) => e.attributes['exception.type'] === 'TypeError'))).toBe(true);
    // errorRate drives it.
    const none = collect({ spans: 20_000, seed: 9, fromMs: FROM_MS, errorRate: 0 });
    expect(none.filter((s) => isRoot(s) && s.status.code === 'error')).toEqual([]);
    const many = collect({ spans: 20_000, seed: 9, fromMs: FROM_MS, errorRate: 0.2 }).filter(isRoot);
    expect(many.filter((s) => s.status.code === 'error').length / many.length).toBeGreaterThan(0.12);
  });

  it('uses current OTel semantic conventions and the auto-instrumentations\' scope names', () => {
    expect(violations(spans, (s, bad) => {
      const a = s.attributes;
      const at = `${s.kind} ${s.name}`;
      if (s.kind === 'server') {
        if (typeof a['http.request.method'] !== 'string' || s.name !== `${a['http.request.method']} ${a['http.route']}`) bad(`${at}: method/route`);
        if (!String(a['url.path']).startsWith('/') || !['http', 'https'].includes(a['url.scheme'] as string)) bad(`${at}: url`);
        if (typeof a['http.response.status_code'] !== 'number') bad(`${at}: status code`);
        for (const k of ['server.address', 'server.port', 'client.address', 'user_agent.original', 'network.protocol.version']) if (a[k] === undefined) bad(`${at}: no ${k}`);
        if (s.scope.name !== '@opentelemetry/instrumentation-http') bad(`${at}: scope ${s.scope.name}`);
      }
      if (a['db.system'] === 'postgresql') {
        if (s.kind !== 'client' || s.scope.name !== '@opentelemetry/instrumentation-pg') bad(`${at}: pg kind/scope`);
        if (a['db.namespace'] !== 'shop' || typeof a['db.operation.name'] !== 'string' || a['server.address'] === undefined) bad(`${at}: pg attributes`);
        if (!String(a['db.query.text']).startsWith(a['db.operation.name'] as string)) bad(`${at}: query text`);
      }
      if (a['db.system'] === 'redis' && s.scope.name !== '@opentelemetry/instrumentation-ioredis') bad(`${at}: redis scope`);
      if (s.kind === 'client' && a['url.full'] !== undefined) {
        if (!/^https?:\/\//.test(String(a['url.full'])) || a['server.address'] === undefined || a['http.request.method'] !== s.name) bad(`${at}: http client attributes`);
      }
      if (s.kind === 'producer' || s.kind === 'consumer') {
        if (s.scope.name !== '@opentelemetry/instrumentation-amqplib' || a['messaging.system'] !== 'rabbitmq') bad(`${at}: messaging scope/system`);
        if (a['messaging.operation.type'] !== (s.kind === 'producer' ? 'send' : 'process')) bad(`${at}: operation type`);
        if (typeof a['messaging.destination.name'] !== 'string' || !/^[0-9a-f-]{36}$/.test(String(a['messaging.message.id']))) bad(`${at}: destination/message id`);
      }
    })).toEqual([]);
    const scopes = new Set(spans.map((s) => s.scope.name));
    for (const n of ['http', 'undici', 'pg', 'ioredis', 'amqplib']) expect(scopes).toContain(`@opentelemetry/instrumentation-${n}`);
    expect(spans.some((s) => s.kind === 'internal' && s.scope.name.startsWith('@shop/'))).toBe(true);
    expect(spans.some((s) => (s.attributes['db.query.text'] as string | undefined)?.includes('$1'))).toBe(true);
    expect(spans.some((s) => s.attributes['url.full'] === 'https://api.stripe.com/v1/payment_intents')).toBe(true);
    // Entity ids in URLs from large ranges.
    const productPaths = roots.filter((s) => s.attributes['http.route'] === '/products/:id').map((s) => s.attributes['url.path']);
    expect(new Set(productPaths).size).toBeGreaterThan(productPaths.length * 0.9);
    // Resources: six services, 1-3 pods each, with the SDK's resource attributes.
    const pods = new Map<AttrValue, Span['resource']>(spans.map((s) => [s.resource.attributes['service.instance.id'], s.resource]));
    const services = new Map<AttrValue, number>();
    for (const r of pods.values()) services.set(r.attributes['service.name'], (services.get(r.attributes['service.name']) ?? 0) + 1);
    expect([...services.keys()].sort()).toEqual(['cart', 'catalog', 'checkout', 'frontend', 'inventory-worker', 'payments']);
    expect([...services.values()].every((n) => n >= 1 && n <= 3)).toBe(true);
    for (const r of pods.values()) {
      const a = r.attributes;
      expect(a['service.instance.id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(a['process.runtime.name']).toBe('nodejs');
      expect(a['telemetry.sdk.name']).toBe('opentelemetry');
      expect(a['telemetry.sdk.language']).toBe('nodejs');
      for (const k of ['service.version', 'host.name', 'process.pid', 'process.runtime.version', 'telemetry.sdk.version', 'deployment.environment']) expect(a[k], k).toBeDefined();
    }
  });

  it('links worker traces to the producer spans of other traces; flags, trace state and events as an SDK sets them', () => {
    const linked = spans.filter((s) => s.links.length > 0);
    expect(linked.length).toBeGreaterThan(50);
    for (const s of linked) {
      expect(s.kind).toBe('consumer');
      expect(isRoot(s)).toBe(true);
      for (const l of s.links) {
        const p = bySpanId.get(l.spanId);
        expect(p, 'link to a missing span').toBeDefined();
        expect(p!.kind).toBe('producer');
        expect(l.traceId).toBe(p!.traceId);
        expect(l.traceId).not.toBe(s.traceId);
        expect(l.traceState).toBe(p!.traceState);
        expect(l.flags).toBe(0x301);
        expect(s.attributes['messaging.message.id']).toBe(p!.attributes['messaging.message.id']);
        expect(s.startNs > p!.endNs).toBe(true);
      }
    }
    expect(spans.filter((s) => s.kind === 'producer').every((p) => linked.some((c) => c.links[0].spanId === p.spanId))).toBe(true);
    // Sampled + "has is_remote" on every span; "is remote" exactly where the parent came over the wire.
    expect(violations(spans, (s, bad) => {
      const remoteParent = !isRoot(s) && bySpanId.get(s.parentSpanId!)!.resource !== s.resource;
      if (s.flags !== (remoteParent ? 0x301 : 0x101)) bad(`${s.kind} ${s.name}: flags ${s.flags.toString(16)}`);
    })).toEqual([]);
    expect(spans.some((s) => s.flags === 0x301) && spans.some((s) => s.flags === 0x101)).toBe(true);
    // Trace state on a small share of traces, on all their spans.
    const withState = roots.filter((s) => s.traceState !== undefined).length / roots.length;
    expect(withState).toBeGreaterThan(0.01);
    expect(withState).toBeLessThan(0.1);
    for (const t of traces.values()) expect(new Set(t.map((s) => s.traceState)).size).toBe(1);
    // A few % of spans carry non-exception events (cache misses, retries, business milestones).
    const evented = spans.filter((s) => s.events.some((e) => e.name !== 'exception')).length / spans.length;
    expect(evented).toBeGreaterThan(0.01);
    expect(evented).toBeLessThan(0.08);
    expect(spans.some((s) => s.events.some((e) => e.name === 'retry'))).toBe(true);
    expect(spans.some((s) => s.status.code === 'ok')).toBe(true);
  });
});

describe('toOtlpJson', () => {
  const batch = [...generateTraces({ spans: 3000, seed: 21, fromMs: FROM_MS, batch: 3000 })][0];
  const batchById = new Map(batch.map((s) => [s.spanId, s]));

  interface J {
    // Parsed JSON, walked freely.
    [k: string]: any;
  }
  const flat = (req: J): J[] => req.resourceSpans.flatMap((rs: J) => rs.scopeSpans.flatMap((ss: J) => ss.spans));
  const attr = (list: J[] | undefined, key: string) => list?.find((kv) => kv.key === key)?.value;

  it('renders an ExportTraceServiceRequest grouped by resource and scope, one entry per span', () => {
    const req = JSON.parse(toOtlpJson(batch)) as J;
    expect(Object.keys(req)).toEqual(['resourceSpans']);
    const out = flat(req);
    expect(out).toHaveLength(batch.length);
    expect(new Set(out.map((s) => s.spanId))).toEqual(new Set(batch.map((s) => s.spanId)));
    // One resourceSpans per pod, one scopeSpans per scope within it.
    expect(req.resourceSpans).toHaveLength(new Set(batch.map((s) => s.resource.attributes['service.instance.id'])).size);
    for (const rs of req.resourceSpans) {
      const names = rs.scopeSpans.map((ss: J) => ss.scope.name);
      expect(new Set(names).size).toBe(names.length);
      const pod = attr(rs.resource.attributes, 'service.instance.id').stringValue;
      for (const ss of rs.scopeSpans) for (const s of ss.spans) {
        const orig = batchById.get(s.spanId)!;
        expect(orig.resource.attributes['service.instance.id']).toBe(pod);
        expect(orig.scope.name).toBe(ss.scope.name);
        expect(ss.scope.version).toBe(orig.scope.version);
      }
    }
    expect(attr(req.resourceSpans[0].resource.attributes, 'process.command_args').arrayValue.values[0]).toEqual({ stringValue: '/usr/local/bin/node' });
    expect(attr(req.resourceSpans[0].resource.attributes, 'process.pid').intValue).toMatch(/^\d+$/);
  });

  it('encodes ids, times, kinds, statuses, attributes, events and links as proto3 JSON', () => {
    const out = new Map(flat(JSON.parse(toOtlpJson(batch)) as J).map((s) => [s.spanId, s]));
    const kindNumber: Record<string, number> = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
    for (const s of batch) {
      const j = out.get(s.spanId)!;
      expect(j.traceId).toBe(s.traceId);
      expect(j.parentSpanId).toBe(s.parentSpanId);
      expect(j.traceState).toBe(s.traceState);
      expect(j.kind).toBe(kindNumber[s.kind]);
      expect(j.flags).toBe(s.flags);
      expect(j.startTimeUnixNano).toBe(s.startNs.toString());
      expect(j.endTimeUnixNano).toBe(s.endNs.toString());
      expect(j.name).toBe(s.name);
      expect(j.attributes).toHaveLength(Object.keys(s.attributes).length);
      if (s.status.code === 'unset') expect(j.status).toBeUndefined();
      else expect(j.status).toEqual(s.status.message ? { message: s.status.message, code: s.status.code === 'ok' ? 1 : 2 } : { code: s.status.code === 'ok' ? 1 : 2 });
      expect(j.droppedAttributesCount).toBeUndefined();
      expect(j.events?.length ?? 0).toBe(s.events.length);
      expect(j.links?.length ?? 0).toBe(s.links.length);
    }
    const server = batch.find((s) => s.kind === 'server')!;
    const js = out.get(server.spanId)!;
    expect(attr(js.attributes, 'http.response.status_code')).toEqual({ intValue: String(server.attributes['http.response.status_code']) });
    expect(attr(js.attributes, 'http.route')).toEqual({ stringValue: server.attributes['http.route'] });
    const consumer = batch.find((s) => s.links.length > 0)!;
    const jl = out.get(consumer.spanId)!.links[0];
    expect(jl).toEqual({ traceId: consumer.links[0].traceId, spanId: consumer.links[0].spanId, ...(consumer.links[0].traceState ? { traceState: consumer.links[0].traceState } : {}), flags: 0x301 });
    const evented = batch.find((s) => s.events.length > 0)!;
    const je = out.get(evented.spanId)!.events[0];
    expect(je.timeUnixNano).toBe(evented.events[0].timeNs.toString());
    expect(je.name).toBe(evented.events[0].name);
  });

  it('maps every attribute value type and omits proto3 defaults', () => {
    const base = batch[0];
    const s: Span = {
      traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: '', kind: 'unspecified', startNs: 1_709_510_400_000_000_001n, endNs: 1_709_510_400_000_000_002n,
      status: { code: 'error' }, attributes: { s: 'x', i: -12, big: 2 ** 53 - 1, d: 1.5, nan: Number.NaN, inf: -Infinity, b: false, n: null, arr: [1, 'a', [true]], empty: [], kv: { k: 2.25, nested: { deep: 'y' } }, emptyKv: {} },
      events: [{ name: 'e', timeNs: 1_709_510_400_000_000_001n, attributes: {}, droppedAttributesCount: 3 }], links: [], resource: base.resource, scope: { name: 'manual', attributes: {}, droppedAttributesCount: 0 },
      flags: 0, droppedAttributesCount: 1, droppedEventsCount: 0, droppedLinksCount: 2,
    };
    const j = flat(JSON.parse(toOtlpJson([s])) as J)[0];
    expect(j).toEqual({
      traceId: s.traceId, spanId: s.spanId, startTimeUnixNano: '1709510400000000001', endTimeUnixNano: '1709510400000000002',
      attributes: [
        { key: 's', value: { stringValue: 'x' } },
        { key: 'i', value: { intValue: '-12' } },
        { key: 'big', value: { intValue: '9007199254740991' } },
        { key: 'd', value: { doubleValue: 1.5 } },
        { key: 'nan', value: { doubleValue: 'NaN' } },
        { key: 'inf', value: { doubleValue: '-Infinity' } },
        { key: 'b', value: { boolValue: false } },
        { key: 'n', value: {} },
        { key: 'arr', value: { arrayValue: { values: [{ intValue: '1' }, { stringValue: 'a' }, { arrayValue: { values: [{ boolValue: true }] } }] } } },
        { key: 'empty', value: { arrayValue: {} } },
        { key: 'kv', value: { kvlistValue: { values: [{ key: 'k', value: { doubleValue: 2.25 } }, { key: 'nested', value: { kvlistValue: { values: [{ key: 'deep', value: { stringValue: 'y' } }] } } }] } } },
        { key: 'emptyKv', value: { kvlistValue: {} } },
      ],
      droppedAttributesCount: 1,
      events: [{ timeUnixNano: '1709510400000000001', name: 'e', droppedAttributesCount: 3 }],
      droppedLinksCount: 2,
      status: { code: 2 },
    });
    const req = JSON.parse(toOtlpJson([s])) as J;
    expect(req.resourceSpans[0].scopeSpans[0].scope).toEqual({ name: 'manual' });
    expect(JSON.parse(toOtlpJson([]))).toEqual({ resourceSpans: [] });
  });
});
