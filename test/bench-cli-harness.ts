// The built bench CLI (dist/bench/run.js, what `npm run bench` runs) as a child process, for the
// end-to-end bench tests: each describe block gets a scratch directory made in beforeAll (after
// checking the build exists, so a missing build fails with the fix, not with ENOENT) and removed in
// afterAll. Worker threads need the built JS, which is why these tests never import the suites.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { packageRoot } from '../src/codec/wasm.js';

export interface BuiltBenchCli {
  /** Runs `node dist/bench/run.js ...args` to completion (killed after the harness timeout). */
  run(...args: string[]): SpawnSyncReturns<string>;
  /** The scratch directory (valid from beforeAll on). */
  dir(): string;
}

/** Registers the beforeAll/afterAll hooks; `setup` fills the scratch directory before any test. */
export function useBuiltBenchCli(o: { tmpPrefix: string; timeoutMs: number; setup?: (dir: string) => void }): BuiltBenchCli {
  const cli = path.join(packageRoot(), 'dist', 'bench', 'run.js');
  let dir = '';
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
    dir = mkdtempSync(path.join(os.tmpdir(), o.tmpPrefix));
    o.setup?.(dir);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    run: (...args) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: o.timeoutMs }),
    dir: () => dir,
  };
}

/** The report printed by --json: one JSON object on the last stdout line. */
export function lastJson(stdout: string): Record<string, any> {
  return JSON.parse(stdout.trimEnd().split('\n').pop() ?? '{}') as Record<string, any>;
}
