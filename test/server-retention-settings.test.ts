// GET /api/v1/retention: the resolved retention of every engine. Configured values come back as
// configured, unset ones as the engines' defaults, the answer is a copy (mutating it changes nothing),
// and the route is behind the app's auth like every other one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, startServer, type TestServer } from './server-helpers.js';
import { DEFAULT_TRACES_RETENTION } from '../src/store.js';
import { DEFAULT_LOGS_RETENTION } from '../src/logs/retention.js';
import { DEFAULT_RETENTION } from '../src/metrics/retention.js';

const BASIC = { user: 'ops', pass: 'retention-secret' };
const auth = { authorization: `Basic ${Buffer.from(`${BASIC.user}:${BASIC.pass}`).toString('base64')}` };

const CONFIGURED = {
  rawMaxAgeSec: 2 * 86_400,
  hourlyMaxAgeSec: 10 * 86_400,
  dailyMaxAgeSec: 400 * 86_400,
  intervalSec: 900,
  logs: { maxAgeSec: 3 * 86_400, maxBytes: 64 * 1024 * 1024 },
  traces: { maxAgeSec: 36 * 3600, maxBytes: 128 * 1024 * 1024 },
};

describe('GET /api/v1/retention', () => {
  let s: TestServer;
  let defaults: TestServer;

  beforeAll(async () => {
    s = await startServer({ store: { retention: CONFIGURED }, server: { auth: { basic: BASIC } } });
    defaults = await startServer({ store: { retention: { logs: { maxBytes: 1024 * 1024 } } } });
  });

  afterAll(async () => {
    await s?.close();
    await defaults?.close();
  });

  it('answers the configured values of every engine', async () => {
    const r = await getJson(`${s.url}/api/v1/retention`, { headers: auth });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      metrics: { rawMaxAgeSec: CONFIGURED.rawMaxAgeSec, hourlyMaxAgeSec: CONFIGURED.hourlyMaxAgeSec, dailyMaxAgeSec: CONFIGURED.dailyMaxAgeSec },
      logs: CONFIGURED.logs,
      traces: CONFIGURED.traces,
      intervalSec: CONFIGURED.intervalSec,
    });
    expect(r.body).toEqual(s.tl.retention.settings());
  });

  it('fills what is not configured with the defaults', async () => {
    const r = await getJson(`${defaults.url}/api/v1/retention`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      metrics: { rawMaxAgeSec: DEFAULT_RETENTION.rawMaxAgeSec, hourlyMaxAgeSec: DEFAULT_RETENTION.hourlyMaxAgeSec, dailyMaxAgeSec: DEFAULT_RETENTION.dailyMaxAgeSec },
      logs: { maxAgeSec: DEFAULT_LOGS_RETENTION.maxAgeSec, maxBytes: 1024 * 1024 },
      traces: { maxAgeSec: DEFAULT_TRACES_RETENTION.maxAgeSec, maxBytes: DEFAULT_TRACES_RETENTION.maxBytes },
      intervalSec: 3600,
    });
  });

  it('settings() hands out copies', () => {
    const a = s.tl.retention.settings();
    a.metrics.rawMaxAgeSec = 1;
    a.logs.maxBytes = 1;
    a.traces.maxAgeSec = 1;
    const b = s.tl.retention.settings();
    expect(b.metrics.rawMaxAgeSec).toBe(CONFIGURED.rawMaxAgeSec);
    expect(b.logs.maxBytes).toBe(CONFIGURED.logs.maxBytes);
    expect(b.traces.maxAgeSec).toBe(CONFIGURED.traces.maxAgeSec);
  });

  it('is behind auth', async () => {
    const none = await getJson(`${s.url}/api/v1/retention`);
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('UNAUTHORIZED');
    const wrong = await getJson(`${s.url}/api/v1/retention`, { headers: { authorization: `Basic ${Buffer.from(`${BASIC.user}:nope`).toString('base64')}` } });
    expect(wrong.status).toBe(401);
  });
});
