import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillIdentity, nearestPackageName, parseResourceAttributes, resolveIdentity } from './identity.js';

let root: string;
/** root/app (package.json named "shop-api") / dist (package.json without a name) / sub (none). */
let app: string;
let dist: string;
let sub: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'timeless-identity-'));
  app = path.join(root, 'app');
  dist = path.join(app, 'dist');
  sub = path.join(dist, 'sub');
  fs.mkdirSync(sub, { recursive: true });
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: '@acme/shop-api', version: '1.0.0' }));
  fs.writeFileSync(path.join(dist, 'package.json'), JSON.stringify({ type: 'module' }));
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('resolveIdentity precedence', () => {
  it('1. OTEL_SERVICE_NAME wins over everything else', () => {
    const id = resolveIdentity({ env: { OTEL_SERVICE_NAME: 'checkout', OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs' }, cwd: app, hostname: 'h1' });
    expect(id).toEqual({ 'service.name': 'checkout', 'host.name': 'h1' });
  });

  it('2. then service.name from OTEL_RESOURCE_ATTRIBUTES, with every other pair kept', () => {
    const id = resolveIdentity({ env: { OTEL_RESOURCE_ATTRIBUTES: 'service.name=billing,deployment.environment=prod' }, cwd: app, hostname: 'h1' });
    expect(id).toEqual({ 'service.name': 'billing', 'deployment.environment': 'prod', 'host.name': 'h1' });
  });

  it('3. then the nearest named package.json, walking up past a nameless one', () => {
    expect(resolveIdentity({ env: {}, cwd: sub, hostname: 'h1' })).toEqual({ 'service.name': '@acme/shop-api', 'host.name': 'h1' });
    expect(resolveIdentity({ env: {}, cwd: app, hostname: 'h1' })['service.name']).toBe('@acme/shop-api');
  });

  it('4. then the hostname, when no package.json up to the root has a name', () => {
    // os.tmpdir() has no package.json above it on this machine; check so the test says what it tests.
    expect(nearestPackageName(root)).toBeUndefined();
    expect(resolveIdentity({ env: {}, cwd: root, hostname: 'box-7' })).toEqual({ 'service.name': 'box-7', 'host.name': 'box-7' });
  });

  it('blank env values count as unset (as the SDK reads them)', () => {
    const id = resolveIdentity({ env: { OTEL_SERVICE_NAME: '   ', OTEL_RESOURCE_ATTRIBUTES: ' ' }, cwd: app, hostname: 'h1' });
    expect(id['service.name']).toBe('@acme/shop-api');
  });

  it('an SDK-default service.name in OTEL_RESOURCE_ATTRIBUTES does not count', () => {
    const id = resolveIdentity({ env: { OTEL_RESOURCE_ATTRIBUTES: 'service.name=unknown_service:node' }, cwd: app, hostname: 'h1' });
    expect(id['service.name']).toBe('@acme/shop-api');
  });

  it('host.name from OTEL_RESOURCE_ATTRIBUTES is kept over the hostname', () => {
    expect(resolveIdentity({ env: { OTEL_RESOURCE_ATTRIBUTES: 'host.name=edge-1' }, cwd: app, hostname: 'h1' })['host.name']).toBe('edge-1');
  });

  it('reads process.env, process.cwd() and os.hostname() by default', () => {
    const id = resolveIdentity();
    expect(id['host.name']).toBe(os.hostname());
    expect(typeof id['service.name']).toBe('string');
  });
});

describe('parseResourceAttributes (as the SDK EnvDetector)', () => {
  it('percent-decodes keys and values, trims them and skips blank entries', () => {
    expect(parseResourceAttributes(' a%2Cb = x%3Dy%20z ,, c=  ,d=%E2%9C%93')).toEqual({ 'a,b': 'x=y z', c: '', d: '✓' });
  });

  it.each([
    ['an entry without "="', 'a=1,broken'],
    ['an unencoded "=" in a value', 'a=1,b=x=y'],
    ['an empty key', 'a=1, =2'],
    ['a broken percent escape', 'a=1,b=%E2%9'],
    ['a value over 255 characters', `a=1,b=${'v'.repeat(256)}`],
    ['a key over 255 characters', `a=1,${'k'.repeat(256)}=v`],
  ])('discards the whole value on %s', (_what, raw) => {
    expect(parseResourceAttributes(raw)).toEqual({});
    // ... and the identity still comes from the next sources.
    expect(resolveIdentity({ env: { OTEL_RESOURCE_ATTRIBUTES: `service.name=x,${raw}` }, cwd: app, hostname: 'h1' })).toEqual({
      'service.name': '@acme/shop-api',
      'host.name': 'h1',
    });
  });

  it('keeps a 255-character value (the limit is inclusive)', () => {
    expect(parseResourceAttributes(`b=${'v'.repeat(255)}`).b).toHaveLength(255);
  });

  it('a "__proto__" key becomes an own attribute, not the prototype', () => {
    const out = parseResourceAttributes('__proto__=x');
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });
});

describe('nearestPackageName', () => {
  it('skips an unparseable package.json and keeps walking up', () => {
    const broken = path.join(app, 'broken');
    fs.mkdirSync(broken, { recursive: true });
    fs.writeFileSync(path.join(broken, 'package.json'), '{ not json');
    expect(nearestPackageName(broken)).toBe('@acme/shop-api');
  });
});

describe('fillIdentity', () => {
  const identity = { 'service.name': 'shop', 'host.name': 'h1', 'deployment.environment': 'prod' };

  it('adds only the missing keys and never overrides what the resource says', () => {
    const resource = { 'service.name': 'mine', 'host.name': 'other', 'telemetry.sdk.language': 'nodejs' };
    expect(fillIdentity(resource, identity)).toEqual({ ...resource, 'deployment.environment': 'prod' });
    expect(resource).toEqual({ 'service.name': 'mine', 'host.name': 'other', 'telemetry.sdk.language': 'nodejs' });
  });

  it.each(['unknown_service', 'unknown_service:node', 'unknown_service:/usr/bin/node', ''])('replaces the default service.name %j', (name) => {
    expect(fillIdentity({ 'service.name': name }, identity)['service.name']).toBe('shop');
  });

  it('fills everything into an empty resource', () => {
    expect(fillIdentity({}, identity)).toEqual(identity);
  });
});
