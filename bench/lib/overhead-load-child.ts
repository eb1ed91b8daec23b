// Load client of the `overhead` suite (`node dist/bench/lib/overhead-load-child.js '<json options>'`),
// a process of its own so the server's event loop is the server's alone. It must be much cheaper
// per request than the server, or it (not the server) sets the pace: the machine has 2 cores and the
// client takes one. node:http's client costs more per request than a hello-world server, so this one
// speaks HTTP/1.1 itself on plain sockets: `connections` keep-alive connections, each sending its next
// GET as soon as the previous answer is complete (no pipelining), requests pre-formatted, answers
// parsed just enough (status line, Content-Length, body). The warm-up runs first on the same sockets
// without a pause; only requests that complete inside the window are counted and timed. Every
// answer's status and body are checked (outside the timing).
// IPC: { phase: 'window' } when the window opens and { phase: 'end' } when it closes (the parent
// reads the server's CPU time then); the result is the last message.
import net from 'node:net';
import { expectedBody, requestPath } from './overhead-app.js';

export interface LoadChildOptions {
  url: string;
  connections: number;
  warmupMs: number;
  durationMs: number;
}

export interface LoadChildResult {
  /** Requests completed inside the window. */
  requests: number;
  /** Every request answered (warm-up and the tail after the window included): the spans to expect. */
  answered: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  badAnswers: number;
  problem: string | null;
}

interface Answer {
  status: number;
  body: string;
}

/** One keep-alive connection: get() sends a request and resolves with its answer (one at a time). */
class Connection {
  private readonly socket: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private waiting: { resolve(a: Answer): void; reject(e: Error): void } | undefined;
  private failed: Error | undefined;

  constructor(
    private readonly host: string,
    port: number,
  ) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  get(path: string): Promise<Answer> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(`GET ${path} HTTP/1.1\r\nHost: ${this.host}\r\nUser-Agent: timeless-bench\r\n\r\n`);
    });
  }

  close(): void {
    this.socket.removeAllListeners('close');
    this.socket.destroy();
  }

  private fail(e: Error): void {
    this.failed ??= e;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(e);
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    const headEnd = this.buf.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = this.buf.toString('latin1', 0, headEnd);
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (m === null) return this.fail(new Error(`an answer without Content-Length: ${JSON.stringify(head.slice(0, 200))}`));
    const total = headEnd + 4 + Number(m[1]);
    if (this.buf.length < total) return;
    if (this.buf.length > total) return this.fail(new Error('bytes past the answer (nothing was pipelined)'));
    const answer = { status: Number(head.slice(9, 12)), body: this.buf.toString('utf8', headEnd + 4, total) };
    this.buf = Buffer.alloc(0);
    const w = this.waiting;
    this.waiting = undefined;
    w?.resolve(answer);
  }
}

function percentileSorted(s: Float64Array, p: number): number {
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

async function run(o: LoadChildOptions): Promise<LoadChildResult> {
  const { hostname, port } = new URL(o.url);
  const conns = Array.from({ length: o.connections }, () => new Connection(hostname, Number(port)));
  const t0 = performance.now();
  const windowStart = t0 + o.warmupMs;
  const windowEnd = windowStart + o.durationMs;
  let windowOpen = false;
  let windowClosed = false;
  const latenciesMs: number[] = [];
  let answered = 0;
  let badAnswers = 0;
  let problem: string | null = null;
  const lane = async (id: number) => {
    // Connections start at different points of the path cycle: different ids in flight at once.
    for (let n = id * 7919; ; n++) {
      const start = performance.now();
      if (start >= windowEnd) return;
      if (!windowOpen && start >= windowStart) {
        windowOpen = true;
        process.send?.({ phase: 'window' });
      }
      const path = requestPath(n);
      const res = await conns[id].get(path);
      const end = performance.now();
      answered++;
      if (start >= windowStart && end <= windowEnd) latenciesMs.push(end - start);
      if (!windowClosed && end >= windowEnd) {
        windowClosed = true;
        process.send?.({ phase: 'end' });
      }
      if (res.status !== 200 || res.body !== expectedBody(path)) {
        badAnswers++;
        problem ??= `GET ${path} answered ${res.status} ${JSON.stringify(res.body.slice(0, 200))}`;
      }
    }
  };
  await Promise.all(conns.map((_, i) => lane(i)));
  if (!windowClosed) process.send?.({ phase: 'end' });
  for (const c of conns) c.close();
  const sorted = Float64Array.from(latenciesMs).sort();
  return {
    requests: latenciesMs.length,
    answered,
    seconds: o.durationMs / 1000,
    p50Ms: percentileSorted(sorted, 50),
    p99Ms: percentileSorted(sorted, 99),
    badAnswers,
    problem,
  };
}

const opts = JSON.parse(process.argv[2] ?? '{}') as LoadChildOptions;
run(opts).then(
  (result) => process.send!({ result }, () => process.exit(0)),
  (err: unknown) => {
    process.stderr.write(`overhead-load-child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
