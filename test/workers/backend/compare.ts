/**
 * Test helpers: run one kernel on the cpu and the WASM backends with the same
 * seeded inputs and measure how far apart the answers are.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../../kernel/federated/random';
import { loadBackend } from '../../../workers/backend';

/** Seeded standard-normal values of the given shape. */
export function randomValues(shape: number[], seed: number): Float32Array {
  const rng = createRng(seed);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  return values;
}

/** ‖a − b‖∞ / ‖b‖∞: the normwise relative error of a against the reference b. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/** One kernel call: inputs as (shape, values) pairs plus attrs. */
export interface KernelCase {
  kernel: string;
  inputs: Record<string, { shape: number[]; values: Float32Array | Int32Array; dtype?: 'float32' | 'int32' }>;
  attrs: Record<string, unknown>;
}

/** What one backend answered, and how many data buffers the call left behind. */
export interface KernelAnswer {
  shape: number[];
  values: Float32Array | Int32Array;
  /** Data buffers on the backend after the call minus before, with inputs and output freed (0 when nothing leaked). */
  leakedBuffers: number;
}

/** Runs `c` on `backend` ('cpu' or 'wasm', both loaded through loadBackend). */
export async function runOn(backend: 'cpu' | 'wasm', c: KernelCase): Promise<KernelAnswer> {
  await loadBackend(backend);
  const kernelBackend = tf.backend() as tf.KernelBackend & { numDataIds(): number };
  const before = kernelBackend.numDataIds();
  const inputs: Record<string, tf.Tensor> = {};
  for (const [name, { shape, values, dtype }] of Object.entries(c.inputs)) inputs[name] = tf.tensor(values, shape, dtype ?? 'float32');
  const out = tf.engine().runKernel(c.kernel, inputs as unknown as tf.NamedTensorMap, c.attrs as tf.NamedAttrMap) as tf.Tensor;
  const answer = { shape: out.shape, values: out.dataSync() as Float32Array | Int32Array };
  out.dispose();
  for (const t of Object.values(inputs)) t.dispose();
  return { ...answer, leakedBuffers: kernelBackend.numDataIds() - before };
}
