// The `http` suite's server, run in a child process (bench/lib/http-server-child.ts): starting it,
// reading its resident memory from /proc/<pid>/status (VmRSS) while a client loads it, stopping it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectStderr, lastLines, whenListening } from './child-listening.js';

export interface ServerChild {
  /** http://127.0.0.1:<port> */
  url: string;
  pid: number;
  /** Resident set size now (VmRSS). */
  rssBytes(): number;
  /** SIGTERM, then waits for the exit (the child closes the store first). */
  stop(): Promise<void>;
}

/** VmRSS of a process, in bytes (Linux; the bench's target machine). */
export function readRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

export function startServerChild(dataDir: string, mode: 'backup' | 'ingest'): Promise<ServerChild> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'http-server-child.js');
  // An IPC channel only so the child notices when the bench dies ('disconnect') and exits.
  const child: ChildProcess = spawn(process.execPath, [script, dataDir, mode], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const stderr = collectStderr(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return whenListening(child, exited, (code) => new Error(`the server child exited with ${code} before listening: ${lastLines(stderr())}`)).then(({ port, pid }) => ({
    url: `http://127.0.0.1:${port}`,
    pid,
    rssBytes: () => readRssBytes(pid),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      child.disconnect?.();
      if (code !== 0 && code !== null) throw new Error(`the server child exited with ${code}: ${lastLines(stderr())}`);
    },
  }));
}

/** Samples a process's RSS every `everyMs` until stopped: the baseline and the peak. */
export class RssSampler {
  readonly baselineBytes: number;
  peakBytes: number;
  samples = 0;
  private stopped = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly read: () => number,
    everyMs = 20,
  ) {
    this.baselineBytes = read();
    this.peakBytes = this.baselineBytes;
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): void {
    try {
      const rss = this.read();
      this.samples++;
      if (rss > this.peakBytes) this.peakBytes = rss;
    } catch {
      // the process is gone; the caller learns it from its own request
    }
  }

  /** Stops sampling (after one last sample); later calls return the same figures. */
  stop(): { baselineBytes: number; peakBytes: number; samples: number } {
    if (!this.stopped) {
      this.stopped = true;
      clearInterval(this.timer);
      this.sample();
    }
    return { baselineBytes: this.baselineBytes, peakBytes: this.peakBytes, samples: this.samples };
  }
}
