// The service identity every signal is stamped with (issue #8): the resource attributes an OTel SDK
// would derive from the environment, with a better service.name than the SDK's "unknown_service":
// 1. OTEL_SERVICE_NAME;
// 2. service.name in OTEL_RESOURCE_ATTRIBUTES;
// 3. the name of the nearest package.json from the working directory up (the app's own name);
// 4. the hostname.
// host.name is the hostname unless OTEL_RESOURCE_ATTRIBUTES gives one. fillIdentity() applies the
// identity to a resource without overriding anything it already says.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const SERVICE_NAME = 'service.name';
export const HOST_NAME = 'host.name';

/** Resource attributes of the identity: flat strings. */
export type Identity = Record<string, string>;

export interface IdentitySources {
  env?: Record<string, string | undefined>;
  /** Where the package.json search starts, walking up to the filesystem root (default process.cwd()). */
  cwd?: string;
  hostname?: string;
}

// As @opentelemetry/resources' EnvDetector (2.12): keys and values longer than this are an error.
const MAX_ENV_ATTR_CHARS = 255;

/**
 * OTEL_RESOURCE_ATTRIBUTES parsed exactly as the OTel JS SDK's EnvDetector parses it: `k=v` pairs
 * separated by ',', blank entries skipped, keys and values trimmed then percent-decoded. Any bad
 * entry (no '=' or more than one, an empty key, a broken %-escape, a key or value over 255
 * characters) discards the WHOLE value, as the spec requires and the SDK does; a partial identity
 * would be worse than none, because the other sources fill in the rest.
 */
export function parseResourceAttributes(raw: string | undefined): Identity {
  const out: Identity = {};
  if (raw === undefined || raw.trim() === '') return out;
  for (const entry of raw.split(',')) {
    if (entry.trim() === '') continue;
    const pair = entry.split('=');
    if (pair.length !== 2) return {};
    const key = pair[0].trim();
    if (key === '') return {};
    let k: string;
    let v: string;
    try {
      k = decodeURIComponent(key);
      v = decodeURIComponent(pair[1].trim());
    } catch {
      return {};
    }
    if (k.length > MAX_ENV_ATTR_CHARS || v.length > MAX_ENV_ATTR_CHARS) return {};
    setOwn(out, k, v);
  }
  return out;
}

/** An env variable as the SDK reads it (core's getStringFromEnv): unset or blank = absent; not trimmed. */
function envString(env: Record<string, string | undefined>, key: string): string | undefined {
  const v = env[key];
  return v == null || v.trim() === '' ? undefined : v;
}

/**
 * The `name` of the nearest package.json from `cwd` up to the root. A package.json without a usable
 * name (e.g. the `{"type":"module"}` marker some builds put in dist/) or one that cannot be read
 * or parsed does not end the search: the app's own package.json is further up.
 */
export function nearestPackageName(cwd: string): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    const name = packageName(path.join(dir, 'package.json'));
    if (name !== undefined) return name;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function packageName(file: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // absent (the usual case) or unreadable
  }
  try {
    const pkg: unknown = JSON.parse(text);
    const name = pkg !== null && typeof pkg === 'object' ? (pkg as { name?: unknown }).name : undefined;
    return typeof name === 'string' && name.trim() !== '' ? name.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** The identity's resource attributes (see the top of the file for the order of service.name's sources). */
export function resolveIdentity({ env = process.env, cwd, hostname = os.hostname() }: IdentitySources = {}): Identity {
  const attrs = parseResourceAttributes(envString(env, 'OTEL_RESOURCE_ATTRIBUTES'));
  const fromAttrs = hasOwn(attrs, SERVICE_NAME) && !isDefaultServiceName(attrs[SERVICE_NAME]) ? attrs[SERVICE_NAME] : undefined;
  const fromPackage = () => {
    const dir = cwd ?? currentDir();
    return dir === undefined ? undefined : nearestPackageName(dir);
  };
  const serviceName = envString(env, 'OTEL_SERVICE_NAME') ?? fromAttrs ?? fromPackage() ?? (hostname !== '' ? hostname : 'unknown_service:node');
  setOwn(attrs, SERVICE_NAME, serviceName);
  if (!hasOwn(attrs, HOST_NAME) && hostname !== '') attrs[HOST_NAME] = hostname;
  return attrs;
}

/** process.cwd(), or undefined when the working directory was deleted (cwd() throws then): no name from it. */
function currentDir(): string | undefined {
  try {
    return process.cwd();
  } catch {
    return undefined;
  }
}

/**
 * True for a service.name that says nothing: empty, or the SDK's default `unknown_service` /
 * `unknown_service:<process>` (what every OTel resource carries when the app named nothing).
 */
export function isDefaultServiceName(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === 'unknown_service' || (typeof v === 'string' && v.startsWith('unknown_service:'));
}

/**
 * `resource` with the identity's attributes added where it has none; a default service.name (see
 * isDefaultServiceName) counts as none. A new object: the caller's resource is not changed.
 */
export function fillIdentity<V, W = string>(resource: Readonly<Record<string, V>>, identity: Readonly<Record<string, W>>): Record<string, V | W> {
  const out: Record<string, V | W> = {};
  for (const k of Object.keys(resource)) setOwn(out, k, resource[k]);
  for (const k of Object.keys(identity)) {
    const missing = !hasOwn(out, k) || (k === SERVICE_NAME && isDefaultServiceName(out[k]));
    if (missing) setOwn(out, k, identity[k]);
  }
  return out;
}

function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** out[k] = v, also for "__proto__" (an own property, not the prototype). */
function setOwn<V>(out: Record<string, V>, k: string, v: V): void {
  if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}
