/**
 * Softmax cross-entropy of a batch of logits against integer labels, its
 * gradient and the count of correct predictions, in one pass in JavaScript on
 * the WASM heap: a kernel fedbook adds to the WASM backend (not one tfjs
 * ships). tfjs builds the same loss from about twenty small kernels (one-hot,
 * log-sum-exp, mean, their gradients, then argMax and equal for the
 * accuracy), each with its own engine overhead, which at batch 10 cost more
 * than the arithmetic. Sums are taken in double precision.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export const SOFTMAX_CROSS_ENTROPY = 'FedbookSoftmaxCrossEntropy';

interface Args {
  inputs: { logits: tf.TensorInfo; labels: tf.TensorInfo };
  backend: BackendWasm;
}

/**
 * Outputs: the mean loss over the batch (a float32 scalar), d loss / d logits
 * ([batch, classes]) and the number of examples whose first largest logit is
 * the label (an int32 scalar). A label outside 0..classes−1 counts as a row of
 * zeros, as tf.oneHot makes it: no loss, and the softmax as its gradient.
 */
function softmaxCrossEntropy({ inputs, backend }: Args): tf.TensorInfo[] {
  const { logits, labels } = inputs;
  if (logits.dtype !== 'float32' || logits.shape.length !== 2 || labels.dtype !== 'int32' || labels.shape.length !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new Error(
      `${SOFTMAX_CROSS_ENTROPY} needs float32 logits [batch, classes] and int32 labels [batch], got ${logits.dtype} [${logits.shape}] and ${labels.dtype} [${labels.shape}]`,
    );
  }
  const [batch, classes] = logits.shape;
  const loss = backend.makeOutput([], 'float32');
  const grad = backend.makeOutput([batch, classes], 'float32');
  const hits = backend.makeOutput([], 'int32');
  // Views are taken after every makeOutput, which may grow (and so move) the heap.
  const x = backend.typedArrayFromHeap(logits) as Float32Array;
  const y = backend.typedArrayFromHeap(labels) as Int32Array;
  const g = backend.typedArrayFromHeap(grad) as Float32Array;
  let total = 0,
    correct = 0;
  for (let b = 0; b < batch; b++) {
    const row = b * classes;
    let max = Number.NEGATIVE_INFINITY,
      argMax = 0;
    for (let c = 0; c < classes; c++) {
      if (x[row + c] > max) {
        max = x[row + c];
        argMax = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(x[row + c] - max);
    const label = y[b];
    const inRange = label >= 0 && label < classes;
    if (inRange) total += max + Math.log(sum) - x[row + label];
    for (let c = 0; c < classes; c++) g[row + c] = (Math.exp(x[row + c] - max) / sum - (c === label ? 1 : 0)) / batch;
    if (inRange && argMax === label) correct++;
  }
  (backend.typedArrayFromHeap(loss) as Float32Array)[0] = batch > 0 ? total / batch : 0;
  (backend.typedArrayFromHeap(hits) as Int32Array)[0] = correct;
  return [loss, grad, hits];
}

/** Registers the kernel for the WASM backend (once). */
export function registerSoftmaxCrossEntropy(): void {
  if (tf.getKernel(SOFTMAX_CROSS_ENTROPY, 'wasm') !== undefined) return;
  tf.registerKernel({ kernelName: SOFTMAX_CROSS_ENTROPY, backendName: 'wasm', kernelFunc: softmaxCrossEntropy as unknown as tf.KernelFunc });
}
