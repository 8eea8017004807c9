/** Loss and accuracy of given weights on a slice of a dataset (inference only). */
import type * as tfjs from '@tensorflow/tfjs';
import { exampleSize, gatherBatch } from './batches';
import { readNumbers, setFlatWeights, type CachedModel } from './model-cache';
import type { EvaluateResult, EvaluateTask, SharedData } from './task-types';
import { compiledTrainerFor, evaluateCompiled } from './compiled/compiled-training';

const EVALUATION_BATCH = 500;

export async function evaluateSlice(tf: typeof tfjs, cached: CachedModel, given: EvaluateTask, backendName: string): Promise<EvaluateResult> {
  // A client's held-out split is scattered: gather it into a contiguous copy, then evaluate it whole.
  const task = given.indices ? { ...given, data: gathered(given.data, given.indices), start: 0, end: given.indices.length, indices: undefined } : given;
  // 'auto' evaluates through the compiled forward pass when the model compiles and BLAS loads.
  const compiled = task.backend === 'auto' ? compiledTrainerFor(tf, cached) : undefined;
  if (compiled && 'step' in compiled) return evaluateCompiled(compiled, task, backendName);
  setFlatWeights(tf, cached, task.weights);
  const size = exampleSize(task.data);
  let lossSum = 0,
    correct = 0;
  for (let start = task.start; start < task.end; start += EVALUATION_BATCH) {
    const end = Math.min(start + EVALUATION_BATCH, task.end);
    const sums = tf.tidy(() => {
      const xs = tf.tensor(task.data.x.slice(start * size, end * size), [end - start, ...(cached.inputShape ?? task.data.exampleShape)]);
      const labels = tf.tensor1d(task.data.y.slice(start, end), 'int32');
      const outputs = cached.model.apply(xs, { training: false }) as tfjs.Tensor2D;
      const oneHot = tf.oneHot(labels, outputs.shape[1]);
      const perExample = cached.softmaxOutput
        ? tf.neg(tf.sum(tf.mul(oneHot, tf.log(tf.add(outputs, 1e-7))), 1))
        : tf.losses.softmaxCrossEntropy(oneHot, outputs, undefined, undefined, tf.Reduction.NONE);
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(outputs, 1), labels), 'int32'));
      return [tf.sum(perExample), hits];
    });
    const [batchLoss, batchCorrect] = await readNumbers(tf, sums);
    lossSum += batchLoss;
    correct += batchCorrect;
  }
  return { type: 'evaluate', lossSum, correct, count: task.end - task.start, backend: backendName };
}

function gathered(data: SharedData, indices: Int32Array): SharedData {
  const x = new Float32Array(indices.length * exampleSize(data));
  const y = new Int32Array(indices.length);
  gatherBatch(data, indices, 0, indices.length, x, y);
  return { ...data, x, y };
}
