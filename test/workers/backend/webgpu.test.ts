/**
 * The WebGPU backend. The adapter search and the software-adapter check are
 * tested with a fake Dawn; the rest runs on whatever adapter this machine has.
 * Without a GPU that is Mesa's llvmpipe through Dawn's OpenGL ES backend, which
 * needs EGL_PLATFORM=surfaceless (set below, before Dawn is loaded, so that the
 * worker threads' EGL sees it too): correct, CPU-emulated, so 'gpu' refuses it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KernelBackend, version_core } from '@tensorflow/tfjs';
import { fed } from '../../../kernel/api/index';
import type { FederatedData } from '../../../kernel/federated/partition/federated-data';
import { loadBackend } from '../../../workers/backend';
import { describeAdapter, findAdapter, isSoftwareAdapter, loadDawn, type Dawn, type GpuAdapterInfo } from '../../../workers/backend/webgpu/adapter';
import { failReadsOnDeviceError, watchDevice, type WatchedDevice } from '../../../workers/backend/webgpu/device-errors';

process.env.EGL_PLATFORM ??= 'surfaceless';

const LLVMPIPE: GpuAdapterInfo = {
  vendor: '',
  architecture: '',
  device: 'llvmpipe-llvm-15-0-6-256-bits-',
  description: 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6',
};
const NVIDIA: GpuAdapterInfo = { vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100 80GB HBM3', description: 'NVIDIA: 550.54.15' };

/** The adapter this machine offers to 'webgpu' ({ software, description }), or why there is none. */
async function adapterHere(): Promise<{ software: boolean; description: string } | string> {
  try {
    const found = await findAdapter(loadDawn());
    return { software: found.software, description: found.description };
  } catch (error) {
    return (error as Error).message;
  }
}

/** A Dawn whose create() gives, per option list, an adapter with this info, none (null), or a throw (an Error). */
function fakeDawn(byOptions: Record<string, GpuAdapterInfo | null | Error>): Dawn {
  return {
    globals: {},
    create(options: string[]) {
      const outcome = byOptions[options.join(',')];
      if (outcome instanceof Error) throw outcome;
      return {
        requestAdapter: async () =>
          outcome ? { info: outcome, limits: {}, features: new Set<string>(), requestDevice: () => Promise.reject(new Error('fake')) } : null,
      };
    },
  };
}

describe('WebGPU adapters', () => {
  test('software adapters are told from hardware ones by name or by the fallback flag', () => {
    assert.equal(isSoftwareAdapter(LLVMPIPE), true);
    assert.equal(isSoftwareAdapter({ device: 'SwiftShader Device (Subzero)' }), true);
    assert.equal(isSoftwareAdapter({ description: 'Microsoft Basic Render Driver' }), true);
    assert.equal(isSoftwareAdapter({ ...NVIDIA, isFallbackAdapter: true }), true);
    assert.equal(isSoftwareAdapter(NVIDIA), false);
    assert.equal(describeAdapter(NVIDIA), 'nvidia, hopper, NVIDIA H100 80GB HBM3, NVIDIA: 550.54.15');
    assert.equal(describeAdapter({}), 'an adapter that gives no description');
  });

  test('a hardware adapter wins over a software one found first; hardwareOnly refuses software, saying what each attempt found', async () => {
    const env = { EGL_PLATFORM: 'surfaceless' };
    const both = fakeDawn({ '': LLVMPIPE, 'backend=opengles': NVIDIA });
    assert.equal((await findAdapter(both, { platform: 'linux', env })).description, describeAdapter(NVIDIA));

    const softOnly = fakeDawn({ '': null, 'backend=opengles': LLVMPIPE });
    const taken = await findAdapter(softOnly, { platform: 'linux', env });
    assert.equal(taken.software, true);
    assert.equal(taken.dawnBackend, 'opengles');
    await assert.rejects(findAdapter(softOnly, { hardwareOnly: true, platform: 'linux', env }), {
      message:
        'no hardware WebGPU adapter (Dawn on Vulkan: no adapter (needs libvulkan1 and the GPU vendor’s Vulkan driver); ' +
        'Dawn on OpenGL ES (compatibility): only a software adapter (llvmpipe-llvm-15-0-6-256-bits-, OpenGL version OpenGL ES 3.2 Mesa 22.3.6))',
    });
    // macOS has no OpenGL ES attempt; a create() that throws is reported, not thrown.
    await assert.rejects(findAdapter(fakeDawn({ '': new Error('no Metal device') }), { platform: 'darwin', env: {} }), {
      message: 'no WebGPU adapter (Dawn on Metal: no Metal device)',
    });
    await assert.rejects(
      findAdapter(fakeDawn({}), { platform: 'linux', env: {} }),
      /OpenGL ES \(compatibility\): no adapter \(without a display, set EGL_PLATFORM=surfaceless/,
    );
  });
});

describe('WebGPU device errors', () => {
  test('a failed command fails the next read once; a lost device fails every read after', async () => {
    const listeners: Array<Parameters<WatchedDevice['addEventListener']>[1]> = [];
    let loseDevice!: (info: { reason: string; message: string }) => void;
    const device: WatchedDevice = { lost: new Promise((resolve) => (loseDevice = resolve)), addEventListener: (_type, listener) => listeners.push(listener) };
    const fake: Pick<KernelBackend, 'read'> = { read: async () => new Float32Array([7]) };
    const backend = failReadsOnDeviceError(fake, watchDevice(device));
    const dataId = {};
    assert.deepEqual(await backend.read(dataId), new Float32Array([7]));
    listeners[0]({ error: { message: 'Buffer usages must not be 0.\n - While calling [Device].CreateBuffer' } });
    await assert.rejects(backend.read(dataId), { message: 'a WebGPU command failed: Buffer usages must not be 0.' });
    assert.deepEqual(await backend.read(dataId), new Float32Array([7]), 'reported once: the next client may be fine');
    loseDevice({ reason: 'unknown', message: 'the GPU hung' });
    await device.lost;
    await assert.rejects(backend.read(dataId), { message: 'the WebGPU device was lost (unknown: the GPU hung)' });
    await assert.rejects(backend.read(dataId), { message: 'the WebGPU device was lost (unknown: the GPU hung)' });
  });

  test('on a real device, a failed command rejects the next data() instead of returning numbers', async (t) => {
    const here = await adapterHere();
    if (typeof here === 'string') return t.skip(`no WebGPU adapter here: ${here}`);
    const { tf } = await loadBackend('webgpu');
    const { device } = tf.backend() as unknown as { device: { createBuffer(descriptor: object): unknown } };
    device.createBuffer({ size: 16, usage: 0 }); // invalid: WebGPU reports it as an event, not a throw
    const sum = tf.add(tf.ones([4]), 1);
    await assert.rejects(sum.data(), { message: 'a WebGPU command failed: Buffer usages must not be 0.' });
    assert.deepEqual(Array.from(await sum.data()), [2, 2, 2, 2], 'later reads work');
    sum.dispose();
    await loadBackend('wasm');
  });
});

describe('loadBackend with WebGPU', () => {
  test("'gpu' refuses a software adapter and fails listing what it tried", async (t) => {
    const here = await adapterHere();
    if (typeof here !== 'string' && !here.software) return t.skip(`a hardware adapter is present (${here.description})`);
    const error: Error = await loadBackend('gpu').then(
      () => assert.fail("'gpu' loaded without a GPU"),
      (e) => e,
    );
    assert.match(
      error.message,
      /^loadBackend\('gpu'\): no GPU backend could be loaded \(webgpu: no hardware WebGPU adapter \(Dawn on Vulkan: .*\); tfjs-node-gpu: /,
    );
    assert.match(error.message, /tfjs-node-gpu: @tensorflow\/tfjs-node-gpu (is not installed|is installed but failed)/);
    assert.match(error.message, /Use 'webgpu' to accept a software adapter, or 'auto'\.$/);
    if (typeof here !== 'string') assert.ok(error.message.includes(`only a software adapter (${here.description})`), error.message);
  });

  test("'webgpu' without any adapter fails the run with the reason, and the worker trains on afterwards", (t) => {
    // A child process without EGL_PLATFORM: on a machine without a display and without Vulkan, Dawn finds nothing.
    const api = join(__dirname, '../../../kernel/api/index');
    const script = `
      const { fed } = require(${JSON.stringify(api)});
      (async () => {
        const { train } = await fed.datasets.mnist({ trainLimit: 100, testLimit: 10, subsetSeed: 1 });
        const clients = fed.partition(train, { clients: 2, scheme: 'iid', seed: 1 });
        const options = { model: fed.models.mlp({ hidden: [8] }), clientsPerRound: 2, batchSize: 10, workers: 1, seed: 1 };
        try {
          const state = await fed.fedAvg({ ...options, backend: 'webgpu' }).initialize();
          console.log(JSON.stringify({ loaded: state.backend }));
        } catch (error) {
          const algo = fed.fedAvg({ ...options, backend: 'wasm' });
          const { state, failures } = await algo.next(await algo.initialize(), clients);
          console.log(JSON.stringify({ failed: error.message, then: state.backend, failures: failures.length }));
        }
        await fed.shutdown();
      })();`;
    const env: NodeJS.ProcessEnv = { ...process.env, FEDBOOK_RUNS_DIR: mkdtempSync(join(tmpdir(), 'fedbook-runs-')) };
    delete env.EGL_PLATFORM;
    const child = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(child.status, 0, child.stderr);
    const outcome = JSON.parse(child.stdout.trim().split('\n').pop()!);
    if (outcome.loaded !== undefined) return t.skip(`an adapter is present without EGL_PLATFORM (${outcome.loaded})`);
    assert.match(
      outcome.failed,
      /^loadBackend\('webgpu'\): no WebGPU adapter \(Dawn on Vulkan: no adapter .*; Dawn on OpenGL ES \(compatibility\): no adapter .*\)\. Or use 'auto' or 'wasm'/,
    );
    assert.equal(outcome.then, 'wasm');
    assert.equal(outcome.failures, 0);
  });
});

describe('WebGPU packages missing', () => {
  test("a bundle without tfjs-backend-webgpu beside it: 'webgpu' says what to install, 'gpu' lists it with tfjs-node-gpu", () => {
    // Like the VS Code extension's bundle: the optional packages are not resolvable from it.
    const esbuild = require('esbuild') as typeof import('esbuild');
    const folder = mkdtempSync(join(tmpdir(), 'fedbook-webgpu-bundle-'));
    esbuild.buildSync({
      entryPoints: [join(__dirname, '../../../../workers/backend/index.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: join(folder, 'backend.js'),
      logLevel: 'error',
    });
    const script = `const { loadBackend } = require('./backend.js');
      (async () => { for (const p of ['webgpu', 'gpu']) await loadBackend(p).then(({ name }) => console.log('loaded', name), (e) => console.log(e.message)); })();`;
    const child = spawnSync(process.execPath, ['-e', script], { cwd: folder, encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.status, 0, child.stderr);
    const [webgpu, gpu] = child.stdout.trim().split('\n');
    const install = `@tensorflow/tfjs-backend-webgpu is not installed; install it with \`npm install @tensorflow/tfjs-backend-webgpu@${version_core}\``;
    assert.equal(webgpu, `loadBackend('webgpu'): ${install}. Or use 'auto' or 'wasm', which need nothing extra.`);
    assert.equal(
      gpu,
      `loadBackend('gpu'): no GPU backend could be loaded (webgpu: ${install}; ` +
        "tfjs-node-gpu: @tensorflow/tfjs-node-gpu is not installed; install it with `npm install @tensorflow/tfjs-node-gpu`). Use 'webgpu' to accept a software adapter, or 'auto'.",
    );
  });
});

describe('a FedAvg round on WebGPU', { timeout: 600_000 }, () => {
  let clients: FederatedData;
  let here: Awaited<ReturnType<typeof adapterHere>>;
  before(async () => {
    process.env.FEDBOOK_RUNS_DIR = mkdtempSync(join(tmpdir(), 'fedbook-runs-'));
    here = await adapterHere();
    const { train } = await fed.datasets.mnist({ trainLimit: 300, testLimit: 10, subsetSeed: 4 });
    clients = fed.partition(train, { clients: 3, scheme: 'iid', seed: 4 });
  });
  after(() => fed.shutdown());

  test('trains in worker threads and lands close to the WASM backend’s weights', async (t) => {
    if (typeof here === 'string') return t.skip(`no WebGPU adapter here: ${here}`);
    const options = { model: fed.models.mlp({ hidden: [32] }), clientsPerRound: 3, localEpochs: 1, batchSize: 10, clientLr: 0.1, seed: 4 };
    // Different worker counts, different pools: each worker keeps one backend.
    const onGpu = fed.fedAvg({ ...options, backend: 'webgpu', workers: 1 });
    const onWasm = fed.fedAvg({ ...options, backend: 'wasm', workers: 2 });
    const start = await onWasm.initialize();
    const gpu = await onGpu.run({ rounds: 1, clients });
    const wasm = await onWasm.run({ rounds: 1, clients });

    assert.deepEqual([gpu.status, gpu.backend, wasm.status, wasm.backend], ['completed', 'webgpu', 'completed', 'wasm']);
    assert.deepEqual([gpu.rounds[0].failures, wasm.rounds[0].failures], [0, 0]);
    // The run's record says which adapter trained, and that a software one is no GPU.
    const config = JSON.parse(readFileSync(gpu.path, 'utf8').split('\n')[0]);
    assert.ok(
      config.backendDetail.startsWith('@tensorflow/tfjs-backend-webgpu 4.') && config.backendDetail.includes(` on ${here.description} (Dawn`),
      config.backendDetail,
    );
    assert.equal(config.backendDetail.includes('a software (CPU-emulated) adapter'), here.software, config.backendDetail);
    let moved = 0,
      differs = 0;
    for (let i = 0; i < start.weights.length; i++) {
      moved = Math.max(moved, Math.abs(wasm.state.weights[i] - start.weights[i]));
      differs = Math.max(differs, Math.abs(gpu.state.weights[i] - wasm.state.weights[i]));
    }
    // 3 clients × 10 SGD steps of float32 arithmetic whose sums run in another order on the GPU (tiled matmuls,
    // parallel reductions) and with other exp/log: differences of ~1e-7 per op that the steps carry along.
    // 1e-4 is far above that and far below what the round moved the weights by.
    assert.ok(moved > 0.01, `the round moved the weights (by up to ${moved})`);
    assert.ok(differs < 1e-4, `WebGPU and WASM weights differ by up to ${differs}`);
    t.diagnostic(
      `adapter: ${here.description}${here.software ? ' (software)' : ''}; largest weight change ${moved.toExponential(2)}, largest WebGPU−WASM difference ${differs.toExponential(2)}`,
    );
  });
});
