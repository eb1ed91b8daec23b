// Child processes in tests: the built standalone server (`timeless serve`) and apps started with
// node, a free loopback port for them, and polling for a condition with a deadline (never a fixed
// sleep as evidence).
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

export const MAIN = path.resolve('dist/src/server/main.js');

export interface Proc {
  child: ChildProcess;
  /** Resolves with the URL the server printed ("listening on <url>"); rejects if it exits first. */
  url: Promise<string>;
  out: () => string;
  exit: Promise<number | null>;
}

/** `node dist/src/server/main.js serve ...args` with env added to this process's. */
export function startMain(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [MAIN, 'serve', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited ${code} before listening:\n${out}`)));
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, url, out: () => out, exit };
}

/** A loopback port nothing listens on right now (for a child that reads PORT). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Polls fn until it returns a value (not undefined); throws with the last error after timeoutMs. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
