/**
 * BatchMatMul for the WASM backend that always reaches XNNPACK.
 *
 * The shipped kernel uses XNNPACK only when neither operand is transposed and
 * falls to a scalar loop otherwise, which is every matmul of backprop
 * (dx = dy·Wᵀ, dW = xᵀ·dy). Here a transposed operand is first materialised
 * with the (fast) Transpose kernel, then the shipped kernel runs untransposed.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { shippedOps, type ShippedOps } from './shipped-ops';

interface BatchMatMulArgs {
  inputs: { a: tf.TensorInfo; b: tf.TensorInfo };
  backend: BackendWasm;
  attrs: { transposeA: boolean; transposeB: boolean };
}

/** Swaps the last two axes of `x` (a no-op permutation is never requested). */
function transposeLastTwo(ops: ShippedOps, x: tf.TensorInfo): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return ops.transpose(x, perm);
}

function batchMatMul({ inputs, backend, attrs }: BatchMatMulArgs): tf.TensorInfo {
  const ops = shippedOps(backend);
  const { a, b } = inputs;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new Error(`BatchMatMul on the WASM backend needs float32 operands, got ${a.dtype} and ${b.dtype}`);
  }
  if (!attrs.transposeA && !attrs.transposeB) return ops.matMul(a, b);
  const aPlain = attrs.transposeA ? transposeLastTwo(ops, a) : a;
  const bPlain = attrs.transposeB ? transposeLastTwo(ops, b) : b;
  try {
    return ops.matMul(aPlain, bPlain);
  } finally {
    if (aPlain !== a) ops.release(aPlain);
    if (bPlain !== b) ops.release(bPlain);
  }
}

/** Kernel config replacing the shipped WASM BatchMatMul. */
export const batchMatMulConfig: tf.KernelConfig = {
  kernelName: 'BatchMatMul',
  backendName: 'wasm',
  kernelFunc: batchMatMul as unknown as tf.KernelFunc,
};
