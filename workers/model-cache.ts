/** Per-thread cache: the backend is loaded once, each architecture is built once. */
import type * as tfjs from '@tensorflow/tfjs';
import { loadBackend } from './backend/index';
import { buildModel, endsInSoftmax } from './build-model';
import { modelKey, type ModelSpec } from './model-spec';

export interface CachedModel {
  model: tfjs.LayersModel;
  /** The model's variables in `weights` order, with offsets into the flat vector. */
  variables: { variable: tfjs.LayerVariable; offset: number; size: number; shape: number[] }[];
  trainableVariables: tfjs.Variable[];
  dimension: number;
  softmaxOutput: boolean;
  /**
   * One example's shape as the model takes it (without the batch), when fixed: batches are shaped to it, so an MLP
   * built for [28, 28, 1] trains on flat [784] rows and the other way round (the kernel checked the sizes agree).
   */
  inputShape: number[] | undefined;
}

let backendPromise: Promise<{ tf: typeof tfjs; name: string; detail?: string }> | undefined;
let backendRequested: string | undefined;
const models = new Map<string, Promise<CachedModel>>();

export function getBackend(preference: string): Promise<{ tf: typeof tfjs; name: string; detail?: string }> {
  if (!backendPromise || backendRequested !== preference) {
    backendRequested = preference;
    backendPromise = loadBackend(preference as Parameters<typeof loadBackend>[0]);
  }
  return backendPromise as Promise<{ tf: typeof tfjs; name: string; detail?: string }>;
}

export async function getModel(tf: typeof tfjs, spec: ModelSpec): Promise<CachedModel> {
  const key = modelKey(spec);
  let cached = models.get(key);
  if (!cached) {
    cached = (async () => {
      const model = await buildModel(tf, spec);
      let offset = 0;
      const variables = model.weights.map((variable) => {
        const shape = variable.shape.map((d) => d ?? 1);
        const size = shape.reduce((a, b) => a * b, 1);
        const entry = { variable, offset, size, shape };
        offset += size;
        return entry;
      });
      // LayerVariable keeps its tf.Variable private; variableGrads needs the Variable itself.
      const trainableVariables = model.trainableWeights.map((w) => (w as unknown as { val: tfjs.Variable }).val);
      return { model, variables, trainableVariables, dimension: offset, softmaxOutput: endsInSoftmax(model), inputShape: fixedInputShape(model) };
    })();
    models.set(key, cached);
  }
  return cached;
}

/** Writes a flat weight vector into the model's variables. */
export function setFlatWeights(tf: typeof tfjs, cached: CachedModel, flat: Float32Array): void {
  if (flat.length !== cached.dimension) {
    throw new RangeError(`weights have ${flat.length} values, the model has ${cached.dimension}`);
  }
  for (const { variable, offset, size, shape } of cached.variables) {
    // slice() copies out of the SharedArrayBuffer: tensors must not alias shared memory.
    const tensor = tf.tensor(flat.slice(offset, offset + size), shape);
    variable.write(tensor);
    tensor.dispose();
  }
}

/** Reads the model's variables into one flat vector. */
export async function getFlatWeights(tf: typeof tfjs, cached: CachedModel): Promise<Float32Array> {
  const flat = new Float32Array(cached.dimension);
  // One concat, one read: a GPU backend pays a round trip per read.
  const all = tf.tidy(() => tf.concat(cached.variables.map(({ variable }) => variable.read().reshape([-1]))));
  try {
    flat.set((await all.data()) as Float32Array);
  } finally {
    all.dispose();
  }
  return flat;
}

/** Backends whose tensors live in this thread's memory: a synchronous read costs nothing extra. */
const READS_SYNCHRONOUSLY = new Set(['cpu', 'wasm', 'tensorflow']);

/**
 * Reads scalar tensors (first element each), then disposes them. Asynchronous
 * because WebGPU cannot read a tensor synchronously in Node; the backends that
 * can keep their per-step cost of one dataSync each.
 */
export async function readNumbers(tf: typeof tfjs, tensors: tfjs.Tensor[]): Promise<number[]> {
  if (READS_SYNCHRONOUSLY.has(tf.getBackend())) {
    try {
      return tensors.map((tensor) => tensor.dataSync()[0]);
    } finally {
      tf.dispose(tensors);
    }
  }
  // One read for all: a GPU pays a round trip per read.
  const firsts = tf.tidy(() => tf.concat(tensors.map((t) => t.cast('float32').reshape([-1]).slice(0, 1))));
  try {
    return Array.from(await firsts.data());
  } finally {
    firsts.dispose();
    tf.dispose(tensors);
  }
}

function fixedInputShape(model: tfjs.LayersModel): number[] | undefined {
  const shape = model.inputs[0]?.shape.slice(1);
  return shape?.every((d): d is number => typeof d === 'number') ? shape : undefined;
}
