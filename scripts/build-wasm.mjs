// Compiles every AssemblyScript entry in assembly/ to build/<name>.wasm (release) and
// build/<name>.debug.wasm (debug, with assertions) using asconfig.json's targets.
// One entry per wasm module: each module is instantiated once per thread by its bridge in src/codec/.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const ENTRIES = ['series', 'bytes'];
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const asc = path.join(path.dirname(require.resolve('assemblyscript/package.json')), 'bin', 'asc.js');
mkdirSync(path.join(root, 'build'), { recursive: true });
const only = process.argv.slice(2);
for (const name of ENTRIES) {
  if (only.length && !only.includes(name)) continue;
  for (const target of ['release', 'debug']) {
    const out = path.join('build', target === 'release' ? `${name}.wasm` : `${name}.debug.wasm`);
    execFileSync(process.execPath, [asc, `assembly/${name}.ts`, '--config', 'asconfig.json', '--target', target, '-o', out], { cwd: root, stdio: 'inherit' });
  }
}
