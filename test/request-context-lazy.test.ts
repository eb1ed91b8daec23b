// What the request context costs only when used (issue #8, bench `overhead`): the middleware enters
// an AsyncLocalStorage only once something reads the context (captureConsole, activeTraceContext,
// traceFields, enableTraceContext), and an OTel context only while an SDK's context manager is
// registered. A file of its own: the first test needs a process where nothing has read it yet.
import { context as otelContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { activeTraceContext, Timeless, timelessHono, traceFields } from '../src/index.js';
import { otelContextActive, traceContextEnabled } from '../src/integrations/request-context.js';
import { tempDir } from './metrics-helpers.js';

const t = tempDir('req-ctx-lazy');
const tl = await Timeless.open({ dataDir: t.dir, pool: { threads: 1 }, runtimeMetrics: false, retention: { intervalSec: 0 } });
const mw = timelessHono(tl);
afterAll(async () => {
  mw.stop();
  await tl.close();
  t.remove();
});

describe('request context, lazily', () => {
  it('is not kept until something reads it; from the first read on, every request has it', async () => {
    let seenInHandler: unknown = 'not called';
    const app = new Hono();
    app.use('*', mw);
    app.get('/quiet', (c) => c.text('ok'));
    app.get('/reads', (c) => {
      seenInHandler = traceFields();
      return c.text('ok');
    });
    expect((await app.request('/quiet')).status).toBe(200);
    expect(traceContextEnabled()).toBe(false);
    // The first read enables it: that request was not entered (documented), the next ones are.
    await app.request('/reads');
    expect(seenInHandler).toEqual({});
    expect(traceContextEnabled()).toBe(true);
    await app.request('/reads');
    expect(seenInHandler).toMatchObject({ trace_id: expect.stringMatching(/^[0-9a-f]{32}$/), span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(activeTraceContext()).toBeUndefined();
  });

  it('sees an OTel context manager registered after the middleware was made, and its removal', () => {
    expect(otelContextActive()).toBe(false);
    const manager = new AsyncLocalStorageContextManager().enable();
    otelContext.setGlobalContextManager(manager);
    try {
      expect(otelContextActive()).toBe(true);
    } finally {
      otelContext.disable();
    }
    expect(otelContextActive()).toBe(false);
  });
});
