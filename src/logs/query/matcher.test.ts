import { describe, expect, it } from 'vitest';
import type { LogEntry, LogFilter } from '../types.js';
import { compileLogQuery } from './compile.js';
import { makeMatcher } from './matcher.js';

function entry(over: Partial<LogEntry> = {}): LogEntry {
  return {
    tsNs: 1_000_000_000n,
    level: 'info',
    severityNumber: 9,
    message: 'GET /users/42 took 12ms',
    attributes: {},
    resource: { 'service.name': 'api', 'host.name': 'h1' },
    ...over,
  };
}

const m = (f: LogFilter) => makeMatcher(compileLogQuery(f));

describe('makeMatcher', () => {
  it('matches everything for an empty filter', () => {
    expect(m({})(entry())).toBe(true);
  });

  it('keeps entries at or above the minimum severity', () => {
    const warn = m({ minLevel: 'warn' });
    expect(warn(entry({ level: 'info', severityNumber: 12 }))).toBe(false);
    expect(warn(entry({ level: 'warn', severityNumber: 13 }))).toBe(true);
    expect(warn(entry({ level: 'fatal', severityNumber: 24 }))).toBe(true);
    const sev14 = m({ minLevel: 14 });
    expect(sev14(entry({ level: 'warn', severityNumber: 13 }))).toBe(false);
    expect(sev14(entry({ level: 'warn', severityNumber: 14 }))).toBe(true);
  });

  it('includes from and excludes to', () => {
    const r = m({ fromNs: 100n, toNs: 200n });
    expect(r(entry({ tsNs: 99n }))).toBe(false);
    expect(r(entry({ tsNs: 100n }))).toBe(true);
    expect(r(entry({ tsNs: 199n }))).toBe(true);
    expect(r(entry({ tsNs: 200n }))).toBe(false);
    const ms = m({ fromMs: 1, toMs: 2 });
    expect(ms(entry({ tsNs: 999_999n }))).toBe(false);
    expect(ms(entry({ tsNs: 1_000_000n }))).toBe(true);
    expect(ms(entry({ tsNs: 1_999_999n }))).toBe(true);
    expect(ms(entry({ tsNs: 2_000_000n }))).toBe(false);
    expect(m({ fromNs: 5n, toNs: 5n })(entry({ tsNs: 5n }))).toBe(false);
  });

  it('searches a case-insensitive substring, unicode included', () => {
    expect(m({ search: 'USERS/4' })(entry())).toBe(true);
    expect(m({ search: 'users/43' })(entry())).toBe(false);
    const fr = entry({ message: 'Échec de connexion à la base' });
    expect(m({ search: 'échec' })(fr)).toBe(true);
    expect(m({ search: 'ÉCHEC DE' })(fr)).toBe(true);
    expect(m({ search: 'À LA' })(fr)).toBe(true);
    // Both sides are lowercased the same way (no locale, no full case folding).
    const tr = entry({ message: 'İSTANBUL office' });
    expect(m({ search: 'İstanbul' })(tr)).toBe(true);
    expect(m({ search: 'straße' })(entry({ message: 'STRASSE' }))).toBe(false);
    expect(m({ search: 'ΣΟΦΊΑ' })(entry({ message: 'σοφία says hi' }))).toBe(true);
  });

  it('matches whole tokens only, all of them', () => {
    const e = entry({ message: 'GET /users/42 took 12ms' });
    expect(m({ tokens: ['get'] })(e)).toBe(true);
    expect(m({ tokens: ['USERS', '42'] })(e)).toBe(true);
    expect(m({ tokens: ['user'] })(e)).toBe(false);
    expect(m({ tokens: ['users', 'post'] })(e)).toBe(false);
    expect(m({ tokens: ['échec'] })(entry({ message: 'ÉCHEC: retry' }))).toBe(true);
  });

  it('compares attributes as strings, attributes before resource', () => {
    const e = entry({ attributes: { status: 500, ok: true, region: 'eu', nested: { a: 1 }, nil: null, list: ['x'] } });
    expect(m({ attributes: { status: 500 } })(e)).toBe(true);
    expect(m({ attributes: { status: '500' } })(e)).toBe(true);
    expect(m({ attributes: { status: '500.0' } })(e)).toBe(false);
    expect(m({ attributes: { ok: 'true' } })(e)).toBe(true);
    expect(m({ attributes: { ok: true, status: 500 } })(e)).toBe(true);
    expect(m({ attributes: { ok: true, status: 404 } })(e)).toBe(false);
    expect(m({ attributes: { missing: 'x' } })(e)).toBe(false);
    // Nested values and null equal no scalar.
    expect(m({ attributes: { nested: '[object Object]' } })(e)).toBe(false);
    expect(m({ attributes: { nil: 'null' } })(e)).toBe(false);
    expect(m({ attributes: { list: 'x' } })(e)).toBe(false);
    // Resource keys answer when the attributes do not have the key...
    expect(m({ attributes: { 'service.name': 'api' } })(e)).toBe(true);
    // ...but an attribute of the same name shadows the resource.
    const shadow = entry({ attributes: { 'host.name': 'override' } });
    expect(m({ attributes: { 'host.name': 'override' } })(shadow)).toBe(true);
    expect(m({ attributes: { 'host.name': 'h1' } })(shadow)).toBe(false);
    const nestedShadow = entry({ attributes: { 'host.name': { x: 1 } } });
    expect(m({ attributes: { 'host.name': 'h1' } })(nestedShadow)).toBe(false);
  });

  it('filters service and host on the resource only', () => {
    const e = entry({ attributes: { 'service.name': 'other' }, resource: { 'service.name': 'api', 'host.name': 'h2' } });
    expect(m({ service: 'api' })(e)).toBe(true);
    expect(m({ service: 'other' })(e)).toBe(false);
    expect(m({ service: 'API' })(e)).toBe(false);
    expect(m({ host: 'h2', service: 'api' })(e)).toBe(true);
    expect(m({ host: 'h1' })(e)).toBe(false);
    expect(m({ service: 'api' })(entry({ resource: {} }))).toBe(false);
  });

  it('matches trace and span ids, case-insensitive on the query side', () => {
    const e = entry({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: '00f067aa0ba902b7' });
    expect(m({ traceId: '0AF7651916CD43DD8448EB211C80319C' })(e)).toBe(true);
    expect(m({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736' })(e)).toBe(false);
    expect(m({ traceId: '0af7651916cd43dd8448eb211c80319c' })(entry())).toBe(false);
    expect(m({ spanId: '00f067aa0ba902b7' })(e)).toBe(true);
    expect(m({ spanId: 'b7ad6b7169203331' })(e)).toBe(false);
  });
});
