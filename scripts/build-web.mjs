// Builds the dashboard (issue #7): type-checks web/ (web/tsconfig.json), bundles web/src/main.ts with
// esbuild into build/web/app.js (+ app.css from the CSS it imports, uPlot's included, + source maps)
// and copies web/index.html. Outputs are written to a scratch directory first and then renamed into
// build/web one by one, so a server running during `npm run build:web` never reads a half-written file.
// `--no-typecheck` skips tsc (esbuild alone is faster but does not check types).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'web', 'src', 'main.ts');
const template = path.join(root, 'web', 'index.html');
const outDir = path.join(root, 'build', 'web');
const scratch = path.join(root, 'build', `.web-${process.pid}`);

function fail(message) {
  console.error(`build-web: ${message}`);
  process.exit(1);
}

if (!existsSync(entry)) fail(`${path.relative(root, entry)} is missing: it is the dashboard's entry point`);
if (!existsSync(template)) fail(`${path.relative(root, template)} is missing: it is the dashboard's page template`);
if (!readFileSync(template, 'utf8').includes('<!--TIMELESS_CONFIG-->')) fail('web/index.html has no <!--TIMELESS_CONFIG--> placeholder (the server injects the API base there)');

if (!process.argv.includes('--no-typecheck')) {
  const require = createRequire(import.meta.url);
  const tsc = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(root, 'web', 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
  } catch {
    fail('type errors in web/ (tsc -p web/tsconfig.json); nothing was built');
  }
}

rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });
try {
  await esbuild.build({
    entryPoints: { app: entry },
    outdir: scratch,
    bundle: true,
    minify: true,
    // A separate .map next to each output, linked by a comment so devtools find it (relative URL).
    sourcemap: 'linked',
    target: 'es2020',
    format: 'esm',
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'warning',
  });
  copyFileSync(template, path.join(scratch, 'index.html'));
} catch (err) {
  rmSync(scratch, { recursive: true, force: true });
  fail(`esbuild failed${err?.errors ? '' : `: ${err?.message ?? err}`}`);
}

// Swap in: rename each new file over the old one (atomic per file), then drop files no longer built.
mkdirSync(outDir, { recursive: true });
const built = readdirSync(scratch);
// index.html last: by the time a browser sees a new page, the assets it names are already new.
for (const name of [...built.filter((n) => n !== 'index.html'), 'index.html']) renameSync(path.join(scratch, name), path.join(outDir, name));
for (const name of readdirSync(outDir)) if (!built.includes(name)) rmSync(path.join(outDir, name), { recursive: true, force: true });
rmSync(scratch, { recursive: true, force: true });

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
let jsGz = 0;
for (const name of built.sort()) {
  const file = path.join(outDir, name);
  const raw = statSync(file).size;
  const gz = gzipSync(readFileSync(file), { level: 9 }).length;
  if (name.endsWith('.js')) jsGz += gz;
  console.log(`  build/web/${name.padEnd(14)} ${kb(raw).padStart(10)}  gzip ${kb(gz).padStart(9)}`);
}
console.log(`build-web: done; shipped JS ${kb(jsGz)} gzipped (budget 150 KB)`);
