// docs/getting-started.md, executed (issue #8): a new user's steps in a fresh directory outside this
// repository, with the package installed from the tarball `npm pack` makes of this checkout. Every
// `sh` block runs in order, every `js <file>` block is written, `node <file>` starts the app in the
// background; after each app's requests the data is checked through the API and in the dashboard
// (chromium), and the app must stop cleanly on SIGTERM. When the page changes, this test follows it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, launchBrowser, openDashboard, ROOT } from './browser-helpers.js';
import { freePort, until } from './process-helpers.js';

const DOC = path.join(ROOT, 'docs', 'getting-started.md');

type Step = { kind: 'file'; name: string; code: string } | { kind: 'cmd'; line: string };

/** The page's runnable steps in order: `sh` blocks split into command lines, `js <file>` blocks as files. */
export function parseSteps(markdown: string): Step[] {
  const steps: Step[] = [];
  const fence = /^```(\w+)[ \t]*([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm;
  for (const m of markdown.matchAll(fence)) {
    const [, lang, meta, code] = m;
    if (lang === 'sh') {
      for (const raw of code.split('\n')) {
        const line = raw.trim();
        if (line !== '' && !line.startsWith('#')) steps.push({ kind: 'cmd', line });
      }
    } else if (lang === 'js' && meta.trim() !== '') {
      steps.push({ kind: 'file', name: meta.trim(), code });
    }
  }
  return steps;
}


interface App { file: string; proc: ChildProcess; base: string; output: string[] }

interface LogRow { message: string; traceId?: string; attributes: Record<string, unknown>; resource: Record<string, unknown>; level: string }
interface SpanRow { name: string; traceId: string; spanId: string; kind: string; status: { code: string }; parentSpanId?: string }

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Logs whose message contains `text`, with a trace id, and that trace's spans. */
async function logWithTrace(base: string, text: string): Promise<{ log: LogRow; spans: SpanRow[] }> {
  return until(`a log "${text}" joined to a stored trace`, async () => {
    const { entries } = await getJson<{ entries: LogRow[] }>(`${base}/obs/api/v1/logs/query?search=${encodeURIComponent(text)}&limit=100`);
    const log = entries.find((e) => e.traceId !== undefined && e.traceId !== '');
    if (log === undefined) return undefined;
    const res = await fetch(`${base}/obs/api/v1/traces/trace/${log.traceId}`);
    if (res.status === 404) return undefined;
    const { spans } = (await res.json()) as { spans: SpanRow[] };
    return { log, spans };
  });
}

const skip = browserSkipReason();

describe('docs/getting-started.md', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'getting-started-'));
  let cwd = tmp;
  let tarball = '';
  let port = 0;
  let current: App | undefined;
  const steps = parseSteps(fs.readFileSync(DOC, 'utf8'));
  // A user's shell: none of this test runner's settings that the apps would read.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['PORT', 'TIMELESS_DATA_DIR', 'OTEL_SERVICE_NAME', 'OTEL_RESOURCE_ATTRIBUTES', 'NODE_OPTIONS']) delete env[k];
  for (const k of Object.keys(env)) if (k.startsWith('VITEST') || k.startsWith('npm_')) delete env[k];

  beforeAll(async () => {
    // The tarball a user would install: pretest has built dist/ and build/.
    const out = execFileSync('npm', ['pack', '--pack-destination', tmp, '--silent'], { cwd: ROOT, encoding: 'utf8' });
    tarball = path.join(tmp, out.trim().split('\n').pop()!);
    expect(fs.existsSync(tarball)).toBe(true);
    port = await freePort();
  }, 120_000);

  afterAll(async () => {
    if (current !== undefined && current.proc.exitCode === null) current.proc.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function run(line: string): void {
    // `cd` changes where the next steps run; everything else is a shell command in that directory.
    for (const part of line.split('&&').map((p) => p.trim())) {
      const cd = /^cd\s+(\S+)$/.exec(part);
      if (cd) {
        cwd = path.resolve(cwd, cd[1]);
        continue;
      }
      let cmd = part;
      if (/^npm install\b/.test(cmd)) {
        // The page installs by name; here the name is this checkout's tarball. The npm cache that
        // `npm ci` filled serves the rest.
        cmd = cmd.replace(/(\s)timeless-node(?=\s|$)/, `$1${tarball}`) + ' --prefer-offline --no-audit --no-fund';
      }
      cmd = cmd.replaceAll('localhost:3000', `127.0.0.1:${port}`);
      execFileSync('bash', ['-c', cmd], { cwd, env, stdio: 'pipe', timeout: 600_000 });
    }
  }

  async function start(file: string): Promise<App> {
    const proc = spawn(process.execPath, [file], { cwd, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    const app: App = { file, proc, base: `http://127.0.0.1:${port}`, output: [] };
    proc.stdout!.on('data', (d: Buffer) => app.output.push(d.toString()));
    proc.stderr!.on('data', (d: Buffer) => app.output.push(d.toString()));
    const state = await until(`${file} to listen`, async () => {
      if (proc.exitCode !== null) return 'exited';
      const res = await fetch(`${app.base}/obs/health`);
      return res.ok ? 'listening' : undefined;
    });
    if (state === 'exited') throw new Error(`${file} exited ${proc.exitCode}: ${app.output.join('')}`);
    return app;
  }

  async function stop(app: App): Promise<void> {
    const exited = new Promise<number | null>((resolve) => app.proc.once('exit', (code) => resolve(code)));
    app.proc.kill('SIGTERM');
    expect(await exited, `${app.file} exit code; output:\n${app.output.join('')}`).toBe(0);
  }

  /** What each app of the page must have stored once its requests ran. */
  async function check(app: App): Promise<void> {
    if (app.file === 'app.mjs') {
      const { log, spans } = await logWithTrace(app.base, 'saying hello to ada');
      expect(spans.map((s) => s.name)).toContain('GET /hello/:name');
      expect(spans.find((s) => s.name === 'GET /hello/:name')?.spanId).toBe((log as unknown as { spanId: string }).spanId);
      const failed = await until('the failed request as an error span', async () => {
        const { spans: errs } = await getJson<{ spans: SpanRow[] }>(`${app.base}/obs/api/v1/traces/query?status=error&limit=10`);
        return errs.find((s) => s.name === 'GET /fail');
      });
      const errLog = await logWithTrace(app.base, 'something broke');
      expect(errLog.log.traceId).toBe(failed.traceId);
      expect(errLog.log.level).toBe('error');
      await inDashboard(app, ['saying hello to ada', 'something broke'], ['GET /hello/:name']);
    } else if (app.file === 'express-app.mjs') {
      const { log, spans } = await logWithTrace(app.base, 'order looked up');
      expect(spans.map((s) => s.name)).toContain('GET /orders/:id');
      expect(String(log.attributes.orderId)).toMatch(/^100[12]$/);
      // Identity: the package.json `npm init -y` wrote is named after the directory.
      expect(log.resource['service.name']).toBe('my-app');
      await inDashboard(app, ['order looked up'], ['GET /orders/:id']);
    } else if (app.file === 'otel-app.mjs') {
      const { spans } = await logWithTrace(app.base, 'checkout completed');
      expect(spans.map((s) => s.name)).toContain('checkout');
      // The meter exports every 10 s.
      await until('the OTel counter in the metrics', async () => {
        const names = await getJson<string[]>(`${app.base}/obs/api/v1/metrics/names`);
        return names.some((n) => n.startsWith('checkouts')) ? true : undefined;
      }, 60_000);
      await inDashboard(app, ['checkout completed'], ['checkout']);
    } else {
      throw new Error(`getting-started.md starts ${app.file}: add what it must store to this test`);
    }
  }

  /** The dashboard shows the logs and the spans (skipped, with the reason, where chromium is missing). */
  async function inDashboard(app: App, logTexts: string[], spanNames: string[]): Promise<void> {
    if (skip !== undefined) {
      console.warn(skip);
      return;
    }
    const browser = await launchBrowser();
    try {
      const d = await openDashboard(browser, { url: `${app.base}/obs/` } as never, `getting-started-${path.basename(app.file, '.mjs')}`);
      await d.open('logs');
      for (const text of logTexts) await d.page.getByText(text).first().waitFor({ timeout: 20_000 });
      await d.open('traces');
      for (const name of spanNames) await d.page.locator('tr[data-trace-id]').filter({ hasText: name }).first().waitFor({ timeout: 20_000 });
      await d.screenshot('traces');
      expect(d.errors).toEqual([]);
      await d.close();
    } finally {
      await browser.close();
    }
  }

  it('has steps: an install, apps started with node, requests', () => {
    expect(steps.some((s) => s.kind === 'cmd' && /^npm install .*timeless-node/.test(s.line))).toBe(true);
    expect(steps.filter((s) => s.kind === 'cmd' && /^node \S+$/.test(s.line)).length).toBeGreaterThanOrEqual(3);
  });

  it('runs every step in a fresh directory and each app stores what the page says', async () => {
    for (const step of steps) {
      if (step.kind === 'file') {
        fs.writeFileSync(path.join(cwd, step.name), step.code);
        continue;
      }
      const node = /^node (\S+)$/.exec(step.line);
      if (node) {
        if (current !== undefined) {
          await check(current);
          await stop(current);
        }
        current = await start(node[1]);
        continue;
      }
      if (/^npm install\b/.test(step.line) && current !== undefined) {
        await check(current);
        await stop(current);
        current = undefined;
      }
      run(step.line);
    }
    expect(current).toBeDefined();
    await check(current!);
    await stop(current!);
    current = undefined;
  }, 900_000);
});
