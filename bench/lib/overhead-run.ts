// One run of the `overhead` suite: a fresh server child of one variant (bench/lib/overhead-server-
// child.ts), a fresh load child (bench/lib/overhead-load-child.ts) against it for warm-up + window,
// then the server is stopped and says how many spans it stored. The server's CPU time over the window
// (utime + stime from /proc/<pid>/stat) gives a second, less load-sensitive figure: CPU per request.
// TIMELESS_BENCH_CPU_PROF=DIR runs the server children under --cpu-prof (profiles land in DIR).
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerVariant } from './overhead-app.js';
import type { LoadChildOptions, LoadChildResult } from './overhead-load-child.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';
import { collectStderr, lastLines, whenListening } from './child-listening.js';

export interface OverheadRun extends LoadChildResult {
  variant: ServerVariant;
  reqPerSec: number;
  /** Server CPU time (user + system, all threads) per request in the window, µs. */
  serverCpuUsPerRequest: number;
  /** The part of it on the main thread (the event loop), µs. */
  serverMainCpuUsPerRequest: number;
  /** Spans the store held after the run (full only). */
  spansStored: number | null;
  /** Requests the full server's stored histogram counted; null for other variants. */
  requestsCounted: number | null;
}

const here = path.dirname(fileURLToPath(import.meta.url));
// USER_HZ is 100 on every Linux the bench targets (sysconf(_SC_CLK_TCK)).
const CLOCK_TICKS_PER_SEC = 100;

/** utime + stime of one /proc stat line, seconds (field 2 may hold spaces, so split after ')'). */
function statCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC;
}

/**
 * CPU seconds of a process: its main thread (the event loop: the app and the request path) and all
 * its other threads (the store's worker pool sealing and compacting, libuv's fs threads writing the
 * WAL), from /proc/<pid>/task/<tid>/stat. A thread that ends between two readings loses its time.
 */
function cpuSeconds(pid: number): { main: number; other: number } {
  let main = 0;
  let other = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    if (Number(tid) === pid) main += statCpuSeconds(stat);
    else other += statCpuSeconds(stat);
  }
  return { main, other };
}

interface StartedServer {
  child: ChildProcess;
  port: number;
  pid: number;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startServer(variant: ServerVariant, dataDir: string | undefined): Promise<StartedServer> {
  const profDir = process.env.TIMELESS_BENCH_CPU_PROF;
  const child = fork(path.join(here, 'overhead-server-child.js'), dataDir ? [variant, dataDir] : [variant], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    execArgv: profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [],
  });
  const stderr = collectStderr(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return whenListening(child, exited, (code) => new Error(`the ${variant} server exited with ${code} before listening: ${lastLines(stderr())}`)).then(({ port, pid }) => ({ child, port, pid, stderr, exited }));
}

interface StoreCounts { spansStored: number; requestsCounted: number }

async function stopServer(s: StartedServer, variant: ServerVariant): Promise<StoreCounts | null> {
  const reply = new Promise<StoreCounts | null>((resolve) => {
    s.child.on('message', (m: { counts?: StoreCounts | null }) => {
      if (m && 'counts' in m) resolve(m.counts ?? null);
    });
    s.exited.then(() => resolve(null));
  });
  s.child.send('stop');
  const counts = await reply;
  const code = await s.exited;
  if (code !== 0) throw new Error(`the ${variant} server exited with ${code}: ${lastLines(s.stderr())}`);
  return counts;
}

function runLoad(o: LoadChildOptions, serverPid: number): Promise<{ result: LoadChildResult; cpu: { main: number; other: number } }> {
  const child = fork(path.join(here, 'overhead-load-child.js'), [JSON.stringify(o)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const stderr = collectStderr(child);
  let cpuAtWindow = { main: NaN, other: NaN };
  let cpuAtEnd = { main: NaN, other: NaN };
  let result: LoadChildResult | undefined;
  child.on('message', (m: { phase?: string; result?: LoadChildResult }) => {
    if (m.phase === 'window') cpuAtWindow = cpuSeconds(serverPid);
    else if (m.phase === 'end') cpuAtEnd = cpuSeconds(serverPid);
    else if (m.result) result = m.result;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0 || result === undefined) reject(new Error(`the load client exited with ${code}: ${lastLines(stderr())}`));
      else resolve({ result, cpu: { main: cpuAtEnd.main - cpuAtWindow.main, other: cpuAtEnd.other - cpuAtWindow.other } });
    });
  });
}

export async function runOverheadOnce(variant: ServerVariant, load: Omit<LoadChildOptions, 'url'>): Promise<OverheadRun> {
  const dataDir = variant === 'none' || variant === 'passthrough' ? undefined : makeTempDir('overhead');
  try {
    const server = await startServer(variant, dataDir);
    let loadOut: { result: LoadChildResult; cpu: { main: number; other: number } };
    try {
      loadOut = await runLoad({ ...load, url: `http://127.0.0.1:${server.port}` }, server.pid);
    } catch (err) {
      server.child.kill('SIGKILL');
      throw err;
    }
    const counts = await stopServer(server, variant);
    const r = loadOut.result;
    return {
      variant,
      ...r,
      reqPerSec: r.requests / r.seconds,
      serverCpuUsPerRequest: ((loadOut.cpu.main + loadOut.cpu.other) * 1e6) / r.requests,
      serverMainCpuUsPerRequest: (loadOut.cpu.main * 1e6) / r.requests,
      spansStored: counts?.spansStored ?? null,
      requestsCounted: counts?.requestsCounted ?? null,
    };
  } finally {
    if (dataDir) removeTempDir(dataDir);
  }
}
