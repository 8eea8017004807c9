/**
 * The TensorFlow.js backend layer: picks, loads and probes the backend that
 * local training runs on, on the main thread or inside a worker thread.
 *
 * Order for 'auto': native (@tensorflow/tfjs-node) → WASM (with fedbook's
 * training kernels, and its matmuls through native BLAS when that loads) → the
 * pure-JS cpu backend. (Models the compiled step runs skip tfjs for training.) 'gpu': WebGPU on a hardware
 * adapter → @tensorflow/tfjs-node-gpu, else it fails saying why each failed.
 */
import * as tf from '@tensorflow/tfjs';
import { activateNative, NativeBackendUnavailable } from './native';
import { withoutTfjsBanner } from './quiet-console';
import { activateWasm } from './wasm';
import { activateWebGpu, WebGpuUnavailable } from './webgpu';
import { BACKEND_PREFERENCES, type BackendPreference } from '../../kernel/contract';
import { describeNativeLibs, loadNativeLibs } from './native-libs/index';
import { nativeWasmKernels, useNativeKernels } from './wasm-kernels';

/** Which backend to train on ('auto' takes the fastest that works here), and the preferences loadBackend accepts. */
export { BACKEND_PREFERENCES, type BackendPreference };
export { NATIVE_PACKAGES } from './native';
export { registeredWasmTrainingKernels, registerWasmTrainingKernels, restoreShippedWasmKernels, WASM_TRAINING_KERNELS } from './wasm-kernels';
export type { WasmTrainingKernel } from './wasm-kernels';
export { resolveWasmDir, WASM_BINARIES } from './wasm';

/** A loaded, active backend. */
export interface LoadedBackend {
  /** The TensorFlow.js namespace to build models with (tfjs-node's when native). */
  tf: typeof import('@tensorflow/tfjs');
  /** What actually runs: 'webgpu', 'gpu' (tfjs-node-gpu), 'native', 'wasm' or 'cpu'. */
  name: 'webgpu' | 'gpu' | 'native' | 'wasm' | 'cpu';
  /** Versions, kernels, and why a preferred backend was skipped. */
  detail?: string;
}

interface Activated extends LoadedBackend {
  /** tfjs's own backend name, to re-activate on a later call. */
  tfBackend: string;
}

const loading = new Map<BackendPreference, Promise<Activated>>();

/**
 * Loads the TensorFlow.js backend for `preference` and makes it active.
 * Idempotent per thread: each preference loads once; a later call re-activates
 * it if another backend was made active in between.
 *
 * 'native' fails with an install hint when @tensorflow/tfjs-node is missing;
 * 'webgpu' fails when no WebGPU adapter works (a software one is accepted and
 * `detail` says so); 'gpu' takes WebGPU on a hardware adapter, else
 * @tensorflow/tfjs-node-gpu, else fails listing what it tried.
 *
 * @example
 * const { tf, name } = await loadBackend('auto'); // name === 'wasm' without tfjs-node
 */
export async function loadBackend(preference: BackendPreference): Promise<LoadedBackend> {
  if (!BACKEND_PREFERENCES.includes(preference)) {
    throw new Error(`loadBackend: preference must be one of ${BACKEND_PREFERENCES.map((p) => `'${p}'`).join(', ')}, got ${JSON.stringify(preference)}`);
  }
  let pending = loading.get(preference);
  if (pending === undefined) {
    pending = activate(preference);
    loading.set(preference, pending);
    // A failed load may be retried (e.g. after installing the package).
    pending.catch(() => loading.delete(preference));
  }
  const loaded = await pending;
  if (loaded.tf.getBackend() !== loaded.tfBackend) await loaded.tf.setBackend(loaded.tfBackend);
  const { tf: tfNamespace, name } = loaded;
  let { detail } = loaded;
  if (loaded.tfBackend === 'wasm') {
    // 'auto' runs matmuls and convolution gradients natively when the libraries load; every other
    // preference keeps the WASM kernels exactly.
    const libs = preference === 'auto' ? loadNativeLibs() : undefined;
    useNativeKernels({ sgemm: libs?.blas?.sgemm, dnnl: libs?.dnnl });
    const nativeKernels = nativeWasmKernels();
    if (nativeKernels.length > 0) detail = `${detail}; native kernels: ${nativeKernels.join(', ')} (${describeNativeLibs(libs!)})`;
  }
  return detail === undefined ? { tf: tfNamespace, name } : { tf: tfNamespace, name, detail };
}

async function activate(preference: BackendPreference): Promise<Activated> {
  switch (preference) {
    case 'native':
      try {
        return { ...(await activateNative('native')), name: 'native', tfBackend: 'tensorflow' };
      } catch (error) {
        if (!(error instanceof NativeBackendUnavailable)) throw error;
        throw new Error(`loadBackend('native'): ${error.reason}. Or use 'auto' or 'wasm', which need nothing extra.`);
      }
    case 'gpu':
      return fallBack(
        [
          ['webgpu', () => activateWebGpuBackend({ hardwareOnly: true })],
          ['tfjs-node-gpu', () => activateNativeAs('gpu')],
        ],
        "loadBackend('gpu'): no GPU backend could be loaded",
        "Use 'webgpu' to accept a software adapter, or 'auto'.",
      );
    case 'webgpu':
      try {
        return await activateWebGpuBackend({ hardwareOnly: false });
      } catch (error) {
        // Any failure while loading (not only a missing adapter) fails the run with one line, never the worker.
        const reason = error instanceof WebGpuUnavailable ? error.reason : (error as Error).message.split('\n')[0];
        throw new Error(`loadBackend('webgpu'): ${reason}. Or use 'auto' or 'wasm', which need nothing extra.`);
      }
    case 'auto':
      return fallBack([
        ['native', () => activateNativeAs('native')],
        ['wasm', activateWasmBackend],
        ['cpu', activateCpu],
      ]);
    case 'wasm':
      return activateWasmBackend();
    case 'cpu':
      return activateCpu();
  }
}

async function activateNativeAs(kind: 'native' | 'gpu'): Promise<Activated> {
  return { ...(await activateNative(kind)), name: kind, tfBackend: 'tensorflow' };
}

async function activateWebGpuBackend(options: { hardwareOnly: boolean }): Promise<Activated> {
  return { tf, name: 'webgpu', tfBackend: 'webgpu', detail: (await activateWebGpu(tf, options)).detail };
}

async function activateWasmBackend(): Promise<Activated> {
  return { tf, name: 'wasm', tfBackend: 'wasm', detail: await activateWasm() };
}

async function activateCpu(): Promise<Activated> {
  await withoutTfjsBanner(async () => {
    if (!(await tf.setBackend('cpu'))) throw new Error("tf.setBackend('cpu') failed");
    tf.tidy(() => tf.scalar(0).dataSync()); // the banner comes with the first write
  });
  return { tf, name: 'cpu', tfBackend: 'cpu', detail: 'tfjs-backend-cpu (pure JavaScript, slowest)' };
}

/** Tries each candidate in turn; the one that works carries the skipped ones' reasons. */
async function fallBack(
  candidates: Array<[string, () => Promise<Activated>]>,
  failure = 'loadBackend: no backend could be loaded',
  advice = '',
): Promise<Activated> {
  const skipped: string[] = [];
  for (const [label, attempt] of candidates) {
    try {
      const loaded = await attempt();
      if (skipped.length === 0) return loaded;
      return { ...loaded, detail: [loaded.detail, `skipped ${skipped.join('; ')}`].filter(Boolean).join('; ') };
    } catch (error) {
      const reason = error instanceof NativeBackendUnavailable || error instanceof WebGpuUnavailable ? error.reason : (error as Error).message;
      skipped.push(`${label}: ${reason}`);
    }
  }
  throw new Error([`${failure} (${skipped.join('; ')})`, advice].filter(Boolean).join('. '));
}
