// Bench server children print `{ "port": ..., "pid": ... }` as their first stdout line once they
// listen; these helpers wait for it and keep the tail of their stderr for error messages. Shared by
// the http suite's server child and the overhead suite's.
import type { ChildProcess } from 'node:child_process';

/** The last 10-20 KB a child wrote to stderr, for failure messages. */
export function collectStderr(child: ChildProcess): () => string {
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 20_000) err = err.slice(-10_000);
  });
  return () => err;
}

/** The last lines of a text, on one line. */
export function lastLines(text: string, n = 6): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

/** Resolves with the child's first stdout line ({ port, pid }); rejects with `beforeListening` if it exits first. */
export function whenListening(child: ChildProcess, exited: Promise<number | null>, beforeListening: (code: number | null) => Error): Promise<{ port: number; pid: number }> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      child.stdout!.off('data', onData);
      resolve(JSON.parse(out.slice(0, nl)) as { port: number; pid: number });
    };
    child.stdout!.on('data', onData);
    child.on('error', reject);
    exited.then((code) => reject(beforeListening(code)));
  });
}
