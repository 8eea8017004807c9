/**
 * The training loss as one kernel where the backend has it (WASM): softmax
 * cross-entropy with its gradient and the batch's hit count computed together
 * (backend/wasm-kernels/softmax-cross-entropy.ts), wired into tfjs's autodiff
 * with customGrad.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { registerSoftmaxCrossEntropy, SOFTMAX_CROSS_ENTROPY } from './backend/wasm-kernels/softmax-cross-entropy';

/**
 * The mean softmax cross-entropy of `logits` against `labels` and the number
 * of correct predictions (kept: the caller disposes it), or undefined where
 * the backend has no fused kernel (the caller then builds the loss from tfjs ops).
 */
export function fusedSoftmaxCrossEntropy(tf: typeof tfjs, logits: tfjs.Tensor2D, labels: tfjs.Tensor1D): { loss: tfjs.Scalar; hits: tfjs.Scalar } | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  registerSoftmaxCrossEntropy();
  let hits: tfjs.Scalar | undefined;
  // customGrad passes the inputs then the save function, typed as one union.
  const loss = tf.customGrad((...args: Array<tfjs.Tensor | tfjs.GradSaveFunc>) => {
    const [x, save] = args as [tfjs.Tensor, tfjs.GradSaveFunc];
    const [value, grad, correct] = tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY, { logits: x, labels }) as tfjs.Tensor[];
    save([grad]);
    // customGrad's forward pass is tidied: the hit count must be kept to leave it.
    hits = tf.keep(correct as tfjs.Scalar);
    return { value, gradFunc: (dy: tfjs.Tensor, saved: tfjs.Tensor[]) => tf.mul(dy, saved[0]) };
  })(logits) as tfjs.Scalar;
  return { loss, hits: hits! };
}
