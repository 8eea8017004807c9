import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBackend, resolveWasmDir } from '../../../workers/backend';
import { probe } from '../../../workers/backend/native';

// tfjs-node is an optionalDependency that cannot install on this machine; the
// tests below describe a machine without it, and say so when it is present.
const hasTfjsNode = (() => {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

describe('loadBackend', () => {
  it("'auto' takes WASM when tfjs-node is absent, with fedbook's kernels", { skip: hasTfjsNode && 'tfjs-node is installed' }, async () => {
    const loaded = await loadBackend('auto');
    assert.equal(loaded.name, 'wasm');
    assert.equal(loaded.tf.getBackend(), 'wasm');
    assert.match(
      loaded.detail ?? '',
      /fedbook kernels: BatchMatMul, _FusedMatMul, Conv2DBackpropFilter, Conv2DBackpropInput, DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropInput, MaxPoolGrad, UnsortedSegmentSum/,
    );
    assert.match(loaded.detail ?? '', /skipped native: @tensorflow\/tfjs-node is not installed/);
    assert.match(loaded.detail ?? '', /tfjs-backend-wasm 4\.\d+\.\d+, SIMD, 1 thread/);
  });

  it("'native' fails saying what is missing and what to install", { skip: hasTfjsNode && 'tfjs-node is installed' }, async () => {
    await assert.rejects(loadBackend('native'), {
      message:
        "loadBackend('native'): @tensorflow/tfjs-node is not installed; install it with `npm install @tensorflow/tfjs-node`. Or use 'auto' or 'wasm', which need nothing extra.",
    });
  });

  it('is idempotent per preference and re-activates after another backend', async () => {
    const first = await loadBackend('wasm');
    const cpu = await loadBackend('cpu');
    assert.equal(cpu.name, 'cpu');
    assert.equal(cpu.tf.getBackend(), 'cpu');
    const again = await loadBackend('wasm');
    assert.equal(again.tf, first.tf);
    assert.equal(again.detail, first.detail);
    assert.equal(again.tf.getBackend(), 'wasm');
  });

  it('rejects an unknown preference with the accepted ones', async () => {
    await assert.rejects(loadBackend('tpu' as never), {
      message: `loadBackend: preference must be one of 'auto', 'native', 'gpu', 'webgpu', 'wasm', 'cpu', got "tpu"`,
    });
  });
});

describe('the native backend probe', () => {
  // tfjs-node is absent here, so its probe is checked on the backends that are.
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`passes on a working backend (${backend}) and leaks nothing`, async () => {
      const { tf } = await loadBackend(backend);
      const before = tf.memory().numTensors;
      probe(tf);
      assert.equal(tf.memory().numTensors, before);
    });
  }
});

describe('resolveWasmDir', () => {
  it('finds the installed binaries, and FEDBOOK_WASM_DIR overrides them', () => {
    const installed = resolveWasmDir({});
    assert.match(installed, /@tensorflow[\\/]tfjs-backend-wasm[\\/]dist$/);
    assert.equal(resolveWasmDir({ FEDBOOK_WASM_DIR: installed }), installed);
  });

  it('names the binaries missing from FEDBOOK_WASM_DIR', () => {
    const empty = mkdtempSync(join(tmpdir(), 'fedbook-wasm-'));
    assert.throws(() => resolveWasmDir({ FEDBOOK_WASM_DIR: empty }), {
      message: `The WASM backend's binaries are missing from FEDBOOK_WASM_DIR (${empty}): tfjs-backend-wasm.wasm, tfjs-backend-wasm-simd.wasm, tfjs-backend-wasm-threaded-simd.wasm. Copy them from node_modules/@tensorflow/tfjs-backend-wasm/dist/.`,
    });
  });
});

describe('loadBackend in a fresh process', () => {
  /** Runs a snippet with the compiled backend layer in a new Node process. */
  function runSnippet(code: string, env: NodeJS.ProcessEnv = {}) {
    const backend = join(__dirname, '../../../workers/backend');
    return spawnSync(process.execPath, ['-e', `const { loadBackend } = require(${JSON.stringify(backend)});\n${code}`], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
  }

  it("prints nothing on the console, not even tfjs's Node.js banner for cpu", () => {
    const result = runSnippet(`(async () => {
      await loadBackend('cpu');
      const { tf } = await loadBackend('auto');
      tf.tidy(() => tf.matMul(tf.ones([2, 2]), tf.ones([2, 2])).dataSync());
    })().catch((e) => { console.error(e); process.exit(1); });`);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout + result.stderr, '');
  });

  it('loads WASM inside a worker thread and trains there', () => {
    const result = runSnippet(`
      const { Worker } = require('node:worker_threads');
      const worker = new Worker(\`
        const { parentPort } = require('node:worker_threads');
        const { loadBackend } = require(\${JSON.stringify(${JSON.stringify(join(__dirname, '../../../workers/backend'))})});
        loadBackend('auto').then(({ tf, name }) => {
          const x = tf.ones([1, 4, 4, 1]);
          const grad = tf.grad((f) => tf.conv2d(x, f, 1, 'same').sum())(tf.ones([3, 3, 1, 1]));
          parentPort.postMessage({ name, backend: tf.getBackend(), grad: Array.from(grad.dataSync()) });
        });
      \`, { eval: true });
      worker.on('message', (m) => { console.log(JSON.stringify(m)); worker.terminate(); });
      worker.on('error', (e) => { console.error(e); process.exit(1); });
    `);
    assert.equal(result.status, 0, result.stderr);
    const message = JSON.parse(result.stdout);
    assert.equal(message.name, 'wasm');
    assert.equal(message.backend, 'wasm');
    // 3×3 'same' filter over a 4×4 image of ones: the centre tap sees all 16
    // pixels, edge taps 12, corner taps 9.
    assert.deepEqual(message.grad, [9, 12, 9, 12, 16, 12, 9, 12, 9]);
  });

  it('loads the binaries from FEDBOOK_WASM_DIR (as the bundled extension does)', () => {
    const installed = resolveWasmDir({});
    const copied = mkdtempSync(join(tmpdir(), 'fedbook-wasm-'));
    for (const name of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
      copyFileSync(join(installed, name), join(copied, name));
    }
    const works = runSnippet(`loadBackend('wasm').then(({ detail }) => console.log(detail));`, { FEDBOOK_WASM_DIR: copied });
    assert.equal(works.status, 0, works.stderr);
    assert.ok(works.stdout.includes(`binaries from ${copied};`), works.stdout);

    // Files that are there but are not WebAssembly prove the folder is really read.
    const broken = mkdtempSync(join(tmpdir(), 'fedbook-wasm-'));
    for (const name of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
      writeFileSync(join(broken, name), 'not wasm');
    }
    const fails = runSnippet(`loadBackend('wasm').catch((e) => { console.log(e.message); process.exit(3); });`, { FEDBOOK_WASM_DIR: broken });
    assert.equal(fails.status, 3, fails.stderr);
    assert.equal(fails.stdout.trim(), `The WASM backend failed to initialise from ${broken} (see the warning above for tfjs's reason)`);
  });

  it('works bundled by esbuild with the binaries copied beside the bundle (no env var)', () => {
    const esbuild = require('esbuild') as typeof import('esbuild');
    const folder = mkdtempSync(join(tmpdir(), 'fedbook-bundle-'));
    esbuild.buildSync({
      entryPoints: [join(__dirname, '../../../../workers/backend/index.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: join(folder, 'backend.js'),
      logLevel: 'error',
    });
    const script = `require('./backend.js').loadBackend('auto').then(({ name, detail }) => console.log(name, detail), (e) => console.log('ERR', e.message));`;
    const run = () =>
      spawnSync(process.execPath, ['-e', script], { cwd: folder, encoding: 'utf8', timeout: 60_000, env: { ...process.env, FEDBOOK_WASM_DIR: '' } });
    // Outside node_modules and without the binaries, 'auto' says why WASM was skipped.
    const without = run();
    assert.match(without.stdout, /^cpu .*wasm: The WASM backend's binaries \(tfjs-backend-wasm.wasm, .*\) are in none of /);
    const installed = resolveWasmDir({});
    for (const name of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
      copyFileSync(join(installed, name), join(folder, name));
    }
    const beside = run();
    assert.equal(beside.status, 0, beside.stderr);
    assert.ok(beside.stdout.startsWith(`wasm tfjs-backend-wasm`), beside.stdout);
    assert.ok(beside.stdout.includes(`binaries from ${folder};`), beside.stdout);
  });

  it('FEDBOOK_WASM_KERNELS=shipped leaves tfjs as shipped (a CNN cannot train)', () => {
    const result = runSnippet(
      `(async () => {
      const { tf, detail } = await loadBackend('wasm');
      console.log(detail);
      try { tf.grad((f) => tf.conv2d(tf.ones([1, 4, 4, 1]), f, 1, 'same').sum())(tf.ones([3, 3, 1, 1])); }
      catch (e) { console.log(e.message); }
    })();`,
      { FEDBOOK_WASM_KERNELS: 'shipped' },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /kernels as shipped \(FEDBOOK_WASM_KERNELS=shipped\)/);
    assert.match(result.stdout, /Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'/);
  });
});
