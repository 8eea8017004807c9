/**
 * The WASM backend: XNNPACK kernels in WebAssembly, one thread per worker
 * (tfjs disables threaded WASM in Node), plus fedbook's training kernels.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels, registeredWasmTrainingKernels } from './wasm-kernels';

/** The binaries tfjs-backend-wasm may load (which one depends on SIMD and threads). */
export const WASM_BINARIES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;

/**
 * The folder holding the .wasm binaries: `FEDBOOK_WASM_DIR` when set (the
 * bundled VS Code extension copies them beside its bundle), otherwise the
 * installed package's dist/ folder. Throws when a binary is missing.
 */
export function resolveWasmDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.FEDBOOK_WASM_DIR;
  const dir = fromEnv !== undefined && fromEnv !== '' ? fromEnv : dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  const missing = WASM_BINARIES.filter((name) => !existsSync(join(dir, name)));
  if (missing.length > 0) {
    const source = fromEnv ? `FEDBOOK_WASM_DIR (${dir})` : dir;
    throw new Error(`The WASM backend's binaries are missing from ${source}: ${missing.join(', ')}. Copy them from node_modules/@tensorflow/tfjs-backend-wasm/dist/.`);
  }
  return dir;
}

let pathsSet = false;

/**
 * Initialises the WASM backend and makes it the active one. Registers fedbook's
 * training kernels unless `FEDBOOK_WASM_KERNELS=shipped` (used to benchmark
 * tfjs as shipped). Returns a one-line description for `detail`.
 */
export async function activateWasm(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = resolveWasmDir(env);
  if (!pathsSet) {
    setWasmPaths(dir.endsWith('/') ? dir : `${dir}/`);
    pathsSet = true;
  }
  const shippedOnly = env.FEDBOOK_WASM_KERNELS === 'shipped';
  if (!shippedOnly) registerWasmTrainingKernels();
  if (!(await tf.setBackend('wasm'))) {
    throw new Error(`The WASM backend failed to initialise from ${dir} (see the warning above for tfjs's reason)`);
  }
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? 'SIMD' : 'no SIMD';
  const kernels = shippedOnly
    ? 'kernels as shipped (FEDBOOK_WASM_KERNELS=shipped)'
    : `fedbook kernels: ${registeredWasmTrainingKernels().join(', ')}`;
  const threads = getThreadsCount();
  return `tfjs-backend-wasm ${tf.version_core}, ${simd}, ${threads} thread${threads === 1 ? '' : 's'}, binaries from ${dir}; ${kernels}`;
}
