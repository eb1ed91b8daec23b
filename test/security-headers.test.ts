// Security headers: the dashboard page carries a Content-Security-Policy whose script hash matches
// its one inline script, frame and referrer headers; assets and every API answer (JSON, errors, 401,
// /health) carry nosniff. In chromium the dashboard and a trace waterfall (style attributes) load
// with no CSP violation, and the policy is enforced: an injected inline script does not run.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { makeSpans, traceIds } from './traces-helpers.js';
import { BASIC, browserSkipReason, launchBrowser, openDashboard, startDashboardServer, type DashboardServer } from './browser-helpers.js';

const skipBrowser = browserSkipReason();
if (skipBrowser) console.warn(skipBrowser);

const AUTH = { authorization: `Basic ${Buffer.from(`${BASIC.user}:${BASIC.pass}`).toString('base64')}` };

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0] !== '')
      .map((d) => [d[0], d.slice(1)]),
  );
}

describe('security headers', () => {
  let server: DashboardServer;
  let traceId = '';

  beforeAll(async () => {
    server = await startDashboardServer();
    const spans = makeSpans(5, 40, Date.now() - 600_000);
    traceId = traceIds(spans)[0]!;
    server.tl.traces.write(spans);
    await server.tl.flush();
  });

  afterAll(async () => {
    await server?.close();
  });

  it('the dashboard page has a CSP allowing exactly its inline config script, and frame/referrer/nosniff headers', async () => {
    const res = await fetch(server.url, { headers: AUTH });
    expect(res.status).toBe(200);
    const html = await res.text();
    const csp = res.headers.get('content-security-policy');
    expect(csp).not.toBeNull();
    const d = directives(csp!);
    const inline = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    expect(inline).toHaveLength(1);
    expect(inline[0]).toMatch(/^window\.__TIMELESS__=/);
    const hash = `'sha256-${createHash('sha256').update(inline[0], 'utf8').digest('base64')}'`;
    expect(d.get('script-src')).toEqual(["'self'", hash]);
    expect(d.get('default-src')).toEqual(["'self'"]);
    expect(d.get('object-src')).toEqual(["'none'"]);
    expect(d.get('frame-ancestors')).toEqual(["'none'"]);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('dashboard assets carry nosniff and the frame header', async () => {
    for (const name of ['app.js', 'app.css']) {
      const res = await fetch(`${server.url}assets/${name}`, { headers: AUTH });
      expect(res.status, name).toBe(200);
      await res.arrayBuffer();
      expect(res.headers.get('x-content-type-options'), name).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), name).toBe('DENY');
    }
  });

  it('API answers carry nosniff and no-referrer: JSON, 404, 401, /health, a 400 from a parser', async () => {
    const base = server.url.replace(/dashboard\/$/, 'dashboard');
    const cases: Array<[string, RequestInit, number]> = [
      ['/api/v1/logs/stats', { headers: AUTH }, 200],
      ['/api/v1/no-such-route', { headers: AUTH }, 404],
      ['/api/v1/logs/stats', {}, 401],
      ['/health', {}, 200],
      ['/prometheus/api/v1/query?query=sum(', { headers: AUTH }, 400],
      ['/v1/logs', { method: 'POST', headers: { ...AUTH, 'content-type': 'application/x-protobuf' }, body: new Uint8Array([0xff, 0xff]) }, 400],
    ];
    for (const [p, init, status] of cases) {
      const res = await fetch(base + p, init);
      await res.arrayBuffer();
      expect(res.status, p).toBe(status);
      expect(res.headers.get('x-content-type-options'), `${p} ${status}`).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), `${p} ${status}`).toBe('no-referrer');
    }
  });

  describe.skipIf(skipBrowser !== undefined)('in chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchBrowser();
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('the dashboard and a trace waterfall load with no CSP violation, and injected inline script is blocked', async () => {
      const d = await openDashboard(browser, server, 'security-headers');
      try {
        await d.page.addInitScript(() => {
          const w = window as unknown as { __violations: string[] };
          w.__violations = [];
          document.addEventListener('securitypolicyviolation', (e) => w.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
        });
        await d.open('storage');
        expect(await d.page.evaluate(() => typeof (window as unknown as { __TIMELESS__?: { apiBase?: string } }).__TIMELESS__?.apiBase)).toBe('string');
        await d.page.goto(`${server.url}#/trace?id=${traceId}`);
        const bar = d.page.locator('.waterfall .wf-bar').first();
        await bar.waitFor();
        // The bars are placed by style attributes: allowed, so they have a real width.
        expect(await bar.evaluate((el) => el.getBoundingClientRect().width)).toBeGreaterThan(0);
        expect(await d.page.evaluate(() => (window as unknown as { __violations: string[] }).__violations)).toEqual([]);
        expect(d.errors).toEqual([]);

        // The policy is enforced: an inline script added to the page does not run and is reported.
        const ran = await d.page.evaluate(async () => {
          const s = document.createElement('script');
          s.textContent = 'window.__injected = 1';
          document.body.appendChild(s);
          await new Promise((r) => setTimeout(r, 50));
          return (window as unknown as { __injected?: number }).__injected === 1;
        });
        expect(ran).toBe(false);
        await d.page.waitForFunction(() => (window as unknown as { __violations: string[] }).__violations.length > 0, null, { timeout: 5000 });
        const violations = await d.page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
        expect(violations[0]).toMatch(/^script-src/);
      } finally {
        await d.close();
      }
    });
  });
});
