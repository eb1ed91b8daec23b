// Console capture into a real store (issue #8): entries are queryable with their level, message,
// attributes and the trace ids of the request being handled.
import { afterEach, describe, expect, it } from 'vitest';
import { Timeless } from '../src/store.js';
import { captureConsole } from '../src/integrations/console-capture.js';
import { runWithTraceContext } from '../src/integrations/request-context.js';
import { tempDir } from './metrics-helpers.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe('captureConsole with a store', () => {
  it('stores console calls with trace ids and stops at restore()', async () => {
    const t = tempDir('console');
    const tl = await Timeless.open({ dataDir: t.dir, pool: { threads: 1 }, runtimeMetrics: false, retention: { intervalSec: 0 } });
    cleanups.push(async () => {
      await tl.close();
      t.remove();
    });
    const restore = captureConsole(tl, { passthrough: false });
    cleanups.push(restore);
    console.info('plain %s', 'info');
    await runWithTraceContext({ traceId: TRACE, spanId: SPAN, flags: 1 }, async () => {
      await Promise.resolve();
      console.error(new Error('handler failed'));
    });
    restore();
    console.info('not captured');
    await tl.logs.flush();
    const { entries } = await tl.logs.query({ order: 'asc' });
    expect(entries.map((e) => [e.level, e.message.split('\n')[0]])).toEqual([
      ['info', 'plain info'],
      ['error', 'Error: handler failed'],
    ]);
    expect(entries[1]).toMatchObject({ traceId: TRACE, spanId: SPAN, attributes: { 'log.source': 'console', 'exception.type': 'Error', 'exception.message': 'handler failed' } });
    expect(entries[0].traceId).toBeUndefined();
    expect(entries[0].resource['host.name']).toBeTypeOf('string');
    expect(entries[0].resource['service.name']).toBeTypeOf('string');
    expect((await tl.logs.query({ traceId: TRACE })).entries).toHaveLength(1);
  });
});
