/**
 * One client's local training: E epochs of minibatch steps over its own
 * examples, shuffled with the round's seed, starting from the global weights.
 * A hand-written step (variableGrads + applyGradients inside tidy) is faster
 * than model.fit and keeps WASM memory flat (WASM memory never shrinks).
 */
import type * as tfjs from '@tensorflow/tfjs';
import { exampleSize } from './batches';
import { clientBatchSize, clientBatches } from './client-batches';
import { getFlatWeights, readNumbers, setFlatWeights, type CachedModel } from './model-cache';
import type { TrainResult, TrainTask } from './task-types';
import { compiledTrainerFor, trainCompiled } from './compiled/compiled-training';
import { sgdInPlace } from './sgd-in-place';
import { fusedSoftmaxCrossEntropy } from './fused-loss';
import { loadNativeLibs } from './backend/native-libs/index';

export function lossAndLogits(tf: typeof tfjs, cached: CachedModel, xs: tfjs.Tensor, labels: tfjs.Tensor1D): { loss: tfjs.Scalar; outputs: tfjs.Tensor2D } {
  const outputs = cached.model.apply(xs, { training: true }) as tfjs.Tensor2D;
  const oneHot = tf.oneHot(labels, outputs.shape[1]);
  const loss = cached.softmaxOutput
    ? tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(tf.add(outputs, 1e-7))), 1)))
    : tf.losses.softmaxCrossEntropy(oneHot, outputs);
  return { loss: loss as tfjs.Scalar, outputs };
}

/**
 * The loss and the batch's hit count (kept, for the accuracy metric: variableGrads disposes intermediates),
 * through the fused kernel when `fuse` and the backend has it.
 */
function lossAndHits(tf: typeof tfjs, cached: CachedModel, xs: tfjs.Tensor, labels: tfjs.Tensor1D, fuse: boolean): { loss: tfjs.Scalar; hits: tfjs.Scalar } {
  if (fuse && !cached.softmaxOutput) {
    const fused = fusedSoftmaxCrossEntropy(tf, cached.model.apply(xs, { training: true }) as tfjs.Tensor2D, labels);
    if (fused) return fused;
  }
  const { loss, outputs } = lossAndLogits(tf, cached, xs, labels);
  return { loss, hits: tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(outputs, 1), labels), 'int32'))) };
}

/** `into`, when given, receives the delta (its `dimension` values) instead of a new array. */
export async function trainLocally(tf: typeof tfjs, cached: CachedModel, task: TrainTask, backendName: string, into?: Float32Array): Promise<TrainResult> {
  // 'auto' trains through the compiled native step when the model compiles and BLAS loads.
  const compiled = task.backend === 'auto' ? compiledTrainerFor(tf, cached) : undefined;
  if (compiled && 'step' in compiled) return trainCompiled(compiled, task, backendName, into);
  const started = Date.now();
  const deadlineAt = task.deadlineMs > 0 ? started + task.deadlineMs : Infinity;
  const { config, data } = task;
  const numExamples = task.indices.length;
  const path = `tfjs-${backendName}`;
  const base = {
    type: 'train' as const,
    clientId: task.clientId,
    numExamples,
    backend: backendName,
    path,
    ...(compiled ? { pathNote: compiled.unsupported } : {}),
  };
  if (into && into.length !== cached.dimension) throw new RangeError(`the delta's buffer has ${into.length} values, the model has ${cached.dimension}`);
  if (numExamples === 0)
    return { ...base, status: 'ok', delta: into ? into.fill(0) : new Float32Array(cached.dimension), trainLoss: 0, trainAccuracy: 0, ms: 0, steps: 0 };

  setFlatWeights(tf, cached, task.globalWeights);
  const batchSize = clientBatchSize(task);
  const size = exampleSize(data);
  const xBuffer = new Float32Array(batchSize * size);
  const yBuffer = new Int32Array(batchSize);
  const optimizer = config.optimizer === 'adam' ? tf.train.adam(config.clientLr) : tf.train.sgd(config.clientLr);
  // 'auto' (the fallback path) fuses the loss and updates the weights in place through BLAS when it loaded. An
  // explicit backend keeps tfjs's own arithmetic, bit for bit (the golden-weight tests pin 'wasm').
  const fuse = task.backend === 'auto';
  const saxpy = fuse && config.optimizer !== 'adam' ? loadNativeLibs().blas?.saxpy : undefined;
  // FedProx: the proximal term pulls local weights toward the round's global weights.
  const anchors = config.proximalMu > 0 ? cached.trainableVariables.map((v) => tf.keep(v.clone())) : [];
  const corrections = config.correction ? correctionTensors(tf, cached, config.correction) : undefined;
  let lossSum = 0,
    correct = 0,
    seen = 0,
    steps = 0;
  let status: TrainResult['status'] = 'ok';
  try {
    const batches = clientBatches(task, xBuffer, yBuffer, size, deadlineAt);
    let next = batches.next();
    while (!next.done) {
      const count = next.value;
      const [lossTensor, hitTensor] = tf.tidy(() => {
        const xs = tf.tensor(xBuffer.subarray(0, count * size), [count, ...(cached.inputShape ?? data.exampleShape)]);
        const labels = tf.tensor1d(yBuffer.subarray(0, count), 'int32');
        let hits: tfjs.Scalar | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const { loss, hits: hitCount } = lossAndHits(tf, cached, xs, labels, fuse);
          hits = hitCount;
          if (anchors.length === 0) return loss;
          const proximal = tf.addN(cached.trainableVariables.map((v, i) => tf.sum(tf.square(tf.sub(v, anchors[i])))));
          return tf.add(loss, tf.mul(config.proximalMu / 2, proximal)) as tfjs.Scalar;
        }, cached.trainableVariables);
        // SCAFFOLD: every local gradient is corrected by c − c_i.
        if (corrections) for (const [name, correction] of corrections) grads[name] = tf.add(grads[name], correction);
        if (!(saxpy && sgdInPlace(tf, saxpy, cached.trainableVariables, grads, config.clientLr)))
          optimizer.applyGradients(grads as unknown as { [name: string]: tfjs.Variable });
        return [value, hits!];
      });
      const [batchLoss, batchCorrect] = await readNumbers(tf, [lossTensor, hitTensor]);
      steps++;
      lossSum += batchLoss * count;
      correct += batchCorrect;
      seen += count;
      next = batches.next();
    }
    status = next.value;
  } finally {
    optimizer.dispose();
    for (const anchor of anchors) anchor.dispose();
    corrections?.forEach((tensor) => tensor.dispose());
  }
  if (status !== 'ok')
    return { ...base, status, trainLoss: seen ? lossSum / seen : NaN, trainAccuracy: seen ? correct / seen : 0, ms: Date.now() - started, steps };
  const local = await getFlatWeights(tf, cached);
  const delta = into ?? new Float32Array(cached.dimension);
  for (let j = 0; j < delta.length; j++) delta[j] = local[j] - task.globalWeights[j];
  return { ...base, status: 'ok', delta, trainLoss: lossSum / seen, trainAccuracy: correct / seen, ms: Date.now() - started, steps };
}

/** The flat correction vector cut into one tensor per trainable variable, keyed as variableGrads keys its gradients. */
function correctionTensors(tf: typeof tfjs, cached: CachedModel, correction: Float32Array): Map<string, tfjs.Tensor> {
  if (correction.length !== cached.dimension) throw new RangeError(`correction has ${correction.length} values, the model has ${cached.dimension}`);
  const tensors = new Map<string, tfjs.Tensor>();
  for (const { variable, offset, size, shape } of cached.variables) {
    if (!variable.trainable) continue;
    const inner = (variable as unknown as { val: tfjs.Variable }).val;
    tensors.set(inner.name, tf.keep(tf.tensor(correction.slice(offset, offset + size), shape)));
  }
  return tensors;
}
