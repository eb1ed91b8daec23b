import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time: much of the suite waits on child processes, fsync and sockets, and on a
    // 2-core CI machine one worker (vitest's default, cores - 1) leaves half of it idle.
    maxWorkers: 2,
  },
});
