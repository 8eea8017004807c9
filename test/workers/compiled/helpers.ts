/** Random chain models and tasks for comparing the compiled step with tfjs. */
import * as tf from '@tensorflow/tfjs';
import { createRng, type Rng } from '../../../kernel/federated/random';
import type { ClientTrainConfig } from '../../../kernel/federated/types';
import { getModel, type CachedModel } from '../../../workers/model-cache';
import type { TrainTask } from '../../../workers/task-types';

export const ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'linear'] as const;

/** A random dense chain: 1–3 hidden layers, random activations, sometimes a separate Activation or Dropout(0), and a softmax or logits head. */
export function randomModel(rng: Rng, inputShape: number[], classes: number): tf.Sequential {
  const model = tf.sequential();
  if (inputShape.length > 1) model.add(tf.layers.flatten({ inputShape }));
  else model.add(tf.layers.inputLayer({ inputShape }));
  const hidden = 1 + rng.int(3);
  for (let l = 0; l < hidden; l++) {
    model.add(tf.layers.dense({ units: 3 + rng.int(20), activation: ACTIVATIONS[rng.int(ACTIVATIONS.length)], useBias: rng.next() < 0.8 }));
    if (rng.next() < 0.3) model.add(tf.layers.activation({ activation: ACTIVATIONS[rng.int(3)] }));
    if (rng.next() < 0.3) model.add(tf.layers.dropout({ rate: 0 }));
  }
  const softmax = rng.next() < 0.5;
  model.add(tf.layers.dense({ units: classes, activation: softmax ? 'softmax' : 'linear' }));
  return model;
}

/** A random small CNN: 1–2 conv2d (kernels 2–5, strides 1–2, 'same' or 'valid'), max pools, flatten, dense layers. */
export function randomConvModel(rng: Rng, inputShape: number[], classes: number): tf.Sequential {
  const model = tf.sequential();
  const convs = 1 + rng.int(2);
  for (let l = 0; l < convs; l++) {
    const kernel = [2 + rng.int(4), 2 + rng.int(3)];
    model.add(
      tf.layers.conv2d({
        ...(l === 0 ? { inputShape } : {}),
        filters: 2 + rng.int(4),
        kernelSize: kernel,
        strides: 1 + rng.int(2),
        padding: rng.next() < 0.5 ? 'same' : 'valid',
        activation: (['relu', 'tanh', 'linear'] as const)[rng.int(3)],
        useBias: rng.next() < 0.8,
      }),
    );
    if (rng.next() < 0.6) model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: rng.next() < 0.7 ? 2 : 1 }));
  }
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 6, activation: 'relu' }));
  model.add(tf.layers.dense({ units: classes, activation: rng.next() < 0.5 ? 'softmax' : 'linear' }));
  // Strides and valid padding can shrink an image to nothing: draw again.
  const empty = model.layers.some((l) => (l.outputShape as number[]).some((d) => d === 0));
  return empty ? randomConvModel(rng, inputShape, classes) : model;
}

/** The worker's cached model for `model` (built from its JSON, as custom models are in a worker). */
export async function cachedModelOf(model: tf.LayersModel, inputShape: number[], classes: number): Promise<CachedModel> {
  return getModel(tf, { kind: 'custom', topology: model.toJSON(undefined, false), inputShape, numClasses: classes });
}

export function randomArray(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.next() * 2 - 1) * scale;
  return a;
}

/** A dataset of `n` random examples in shared memory and a train task over all of them. */
export function randomTask(
  rng: Rng,
  inputShape: number[],
  classes: number,
  n: number,
  weights: Float32Array,
  config: Partial<ClientTrainConfig> = {},
): TrainTask {
  const size = inputShape.reduce((a, b) => a * b, 1);
  const x = randomArray(rng, n * size);
  const y = Int32Array.from({ length: n }, () => rng.int(classes));
  return {
    type: 'train',
    backend: 'cpu',
    spec: { kind: 'custom', topology: null, inputShape, numClasses: classes },
    data: { x, y, exampleShape: inputShape, numClasses: classes },
    clientId: 0,
    indices: Int32Array.from({ length: n }, (_, i) => i),
    globalWeights: weights,
    config: { localEpochs: 2, batchSize: 7, clientLr: 0.05, optimizer: 'sgd', proximalMu: 0, ...config },
    seed: 42,
    abortFlag: new Int32Array(1),
    deadlineMs: 0,
    startTimes: new Float64Array(1),
    startSlot: 0,
  };
}

/** ‖a − b‖ / ‖b‖, in float64. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0,
    norm = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}

export { createRng, tf };
