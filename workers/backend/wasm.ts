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
 * The folder holding the .wasm binaries: `FEDBOOK_WASM_DIR` when set, else the
 * installed package's dist/ folder, else this file's own folder (a bundle, such
 * as the VS Code extension's, with the binaries copied beside it). Throws when
 * a binary is missing or none of these has them.
 */
export function resolveWasmDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.FEDBOOK_WASM_DIR;
  if (fromEnv !== undefined && fromEnv !== '') {
    const missing = missingBinaries(fromEnv);
    if (missing.length > 0) {
      throw new Error(
        `The WASM backend's binaries are missing from FEDBOOK_WASM_DIR (${fromEnv}): ${missing.join(', ')}. Copy them from node_modules/@tensorflow/tfjs-backend-wasm/dist/.`,
      );
    }
    return fromEnv;
  }
  const candidates: string[] = [];
  try {
    candidates.push(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')));
  } catch {
    // Not resolvable from here: bundled code, whose binaries sit beside it.
  }
  candidates.push(__dirname);
  const found = candidates.find((dir) => missingBinaries(dir).length === 0);
  if (found === undefined) {
    throw new Error(
      `The WASM backend's binaries (${WASM_BINARIES.join(', ')}) are in none of ${candidates.join(', ')}; set FEDBOOK_WASM_DIR to the folder holding them, or install @tensorflow/tfjs-backend-wasm.`,
    );
  }
  return found;
}

function missingBinaries(dir: string): string[] {
  return WASM_BINARIES.filter((name) => !existsSync(join(dir, name)));
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
  const kernels = shippedOnly ? 'kernels as shipped (FEDBOOK_WASM_KERNELS=shipped)' : `fedbook kernels: ${registeredWasmTrainingKernels().join(', ')}`;
  const threads = getThreadsCount();
  return `tfjs-backend-wasm ${tf.version_core}, ${simd}, ${threads} thread${threads === 1 ? '' : 's'}, binaries from ${dir}; ${kernels}`;
}
