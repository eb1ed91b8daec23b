// Loads one of the project's wasm modules (build/<name>.wasm) and manages its linear memory.
// Each thread that imports a bridge gets exactly one instance per module (module-level singleton),
// which is the "one wasm instance per worker" rule: scratch memory is reused across calls and never
// shrinks (wasm memory cannot), so callers size it once for their largest block.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CodecError } from './errors.js';

export type WasmName = 'series' | 'bytes';

let root: string | undefined;

/**
 * Walks up from this file to the package root: the directory whose package.json names this package
 * (src/ under vitest, dist/src/ in a checkout, node_modules/timeless-node/ once installed, where
 * there is no asconfig.json and the app's own package.json sits further up).
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && packageName(pkg) === 'timeless-node') return (root = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error('timeless: package root not found from ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

function packageName(file: string): string | undefined {
  try {
    const name = (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

export class WasmHandle {
  readonly exports: Record<string, any>;
  readonly memory: WebAssembly.Memory;
  /** First byte the caller may use as scratch (everything below is the module's static data). */
  readonly base: number;

  constructor(instance: WebAssembly.Instance) {
    this.exports = instance.exports as Record<string, any>;
    this.memory = this.exports.memory as WebAssembly.Memory;
    const heapBase = this.exports.heapBase as (() => number) | undefined;
    if (typeof heapBase !== 'function') throw new Error('timeless: wasm module does not export heapBase()');
    this.base = (heapBase() + 15) & ~15;
  }

  /** Grows memory so that [base, base + bytes) is addressable. Returns base. */
  ensure(bytes: number): number {
    const need = this.base + bytes;
    const have = this.memory.buffer.byteLength;
    if (need > have) {
      const pages = Math.ceil((need - have) / 65536);
      try {
        this.memory.grow(pages);
      } catch {
        throw new CodecError('TOO_LARGE', `cannot grow wasm memory to ${need} bytes`);
      }
    }
    return this.base;
  }

  /** Fresh views: memory.buffer is replaced after every grow, so never cache these across calls. */
  u8(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }
}

const cache = new Map<string, WasmHandle>();

/** The per-thread instance of build/<name>.wasm (or build/<name>.debug.wasm with debug). */
export function wasm(name: WasmName, debug = false): WasmHandle {
  const key = debug ? name + '.debug' : name;
  let h = cache.get(key);
  if (!h) {
    const file = path.join(packageRoot(), 'build', `${key}.wasm`);
    if (!existsSync(file)) throw new Error(`timeless: ${file} is missing; run \`npm run build:wasm\``);
    const module = new WebAssembly.Module(readFileSync(file));
    const instance = new WebAssembly.Instance(module, {
      env: {
        // Only debug builds import abort (release builds use --noAssert); a failed assertion in a
        // debug build is a bug in our codec, not bad input, so it surfaces as a plain Error.
        abort(_msg: number, _file: number, line: number, col: number) {
          throw new Error(`timeless: wasm assertion failed in ${key} at ${line}:${col}`);
        },
      },
    });
    h = new WasmHandle(instance);
    cache.set(key, h);
  }
  return h;
}
