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
      return { model, variables, trainableVariables, dimension: offset, softmaxOutput: endsInSoftmax(model) };
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
export function getFlatWeights(cached: CachedModel): Float32Array {
  const flat = new Float32Array(cached.dimension);
  for (const { variable, offset } of cached.variables) {
    flat.set(variable.read().dataSync() as Float32Array, offset);
  }
  return flat;
}
