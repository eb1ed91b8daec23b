// Starting, SIGKILLing and stopping the soak's store child (child.ts), and reading what it reports:
// its port, its event-loop delay lines, its resident memory (/proc/<pid>/status VmRSS).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastLines } from '../lib/child-listening.js';
import { readRssBytes } from '../lib/http-child.js';

export interface EventLoopLine {
  p99Ms: number;
  maxMs: number;
  samples: number;
}

/** process.memoryUsage() of the child, in MB: where RSS growth lives (JS heap or native). */
export interface MemLine {
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  arrayBuffersMb: number;
}

export class StoreChild {
  mem: MemLine | undefined;
  /** The last event-loop report of this process (cumulative since it started). */
  eventLoop: EventLoopLine | undefined;
  private stderrTail = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly pid: number,
    private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  ) {}

  static start(dataDir: string): Promise<StoreChild> {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child.js');
    // An IPC channel only so the child notices when the driver dies ('disconnect') and exits.
    const child = spawn(process.execPath, [script, dataDir], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    let tail = '';
    child.stderr!.on('data', (d: Buffer) => {
      tail = (tail + d.toString()).slice(-10_000);
      if (sc) sc.stderrTail = tail;
    });
    let sc: StoreChild | undefined;
    return new Promise((resolve, reject) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = JSON.parse(buf.slice(0, nl)) as { port?: number; pid?: number; el?: EventLoopLine; mem?: MemLine };
          buf = buf.slice(nl + 1);
          if (line.port !== undefined && sc === undefined) {
            sc = new StoreChild(child, `http://127.0.0.1:${line.port}`, line.pid!, exited);
            sc.stderrTail = tail;
            resolve(sc);
          } else if (line.el !== undefined && sc !== undefined) {
            sc.eventLoop = line.el;
            sc.mem = line.mem;
          }
        }
      });
      child.on('error', reject);
      exited.then(({ code, signal }) => {
        if (sc === undefined) reject(new Error(`soak: the store child exited (${code ?? signal}) before listening: ${lastLines(tail)}`));
      });
    });
  }

  rssBytes(): number | undefined {
    try {
      return readRssBytes(this.pid);
    } catch {
      return undefined; // gone (killed): the sampler skips it
    }
  }

  /** The crash under test: no close, no flush. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
    if (this.child.connected) this.child.disconnect();
  }

  /** SIGTERM: the child closes the store; anything but exit 0 is a failure of the run. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const { code, signal } = await this.exited;
    if (this.child.connected) this.child.disconnect();
    if (code !== 0) throw new Error(`soak: the store child exited with ${code ?? signal} on SIGTERM: ${lastLines(this.stderrTail)}`);
  }

  /** Warnings the store printed (retention or compaction failures show up here). */
  get stderr(): string {
    return this.stderrTail;
  }
}
