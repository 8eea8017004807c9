/**
 * _FusedMatMul (matmul + bias + activation, what tf.layers.dense runs) for the
 * WASM backend, fed to XNNPACK the cheaper way round like BatchMatMul.
 *
 * In training a dense layer's kernel is a new tensor at every step, so the
 * shipped kernel packs the whole weight matrix into XNNPACK on every forward
 * pass. When computing (Wᵀ·xᵀ)ᵀ is cheaper, it is done that way and the bias
 * and activation are applied after. The shipped fused kernel still runs when
 * the direct way wins, where it is XNNPACK; its scalar path (transposed or
 * batched operands) adds a bias of n values wrongly (by flat index, not by
 * column), so those products are composed here too.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { isUnbatched, xnnpackProduct } from './batch-mat-mul';
import { shippedOps, type ShippedOps } from './shipped-ops';

interface FusedMatMulArgs {
  inputs: { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
  backend: BackendWasm;
  attrs: { transposeA: boolean; transposeB: boolean; activation: string; leakyreluAlpha?: number };
}

/** Applies the fused activation with the backend's own kernel; frees `x` if it made a new tensor. */
function activate(ops: ShippedOps, x: tf.TensorInfo, args: FusedMatMulArgs): tf.TensorInfo {
  const { activation, leakyreluAlpha } = args.attrs;
  let out: tf.TensorInfo;
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      out = ops.unary('Relu', x);
      break;
    case 'relu6':
      out = ops.unary('Relu6', x);
      break;
    case 'elu':
      out = ops.unary('Elu', x);
      break;
    case 'sigmoid':
      out = ops.unary('Sigmoid', x);
      break;
    case 'leakyrelu':
      out = ops.unary('LeakyRelu', x, { alpha: leakyreluAlpha ?? 0.2 });
      break;
    case 'prelu': {
      const alpha = args.inputs.preluActivationWeights;
      if (alpha === undefined) throw new Error("_FusedMatMul: activation 'prelu' needs preluActivationWeights");
      out = ops.prelu(x, alpha);
      break;
    }
    default:
      throw new Error(`_FusedMatMul on the WASM backend does not support activation '${activation}'`);
  }
  ops.release(x);
  return out;
}

function fusedMatMul(args: FusedMatMulArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const ops = shippedOps(backend);
  const { a, b, bias, preluActivationWeights } = inputs;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new Error(`_FusedMatMul on the WASM backend needs float32 operands, got ${a.dtype} and ${b.dtype}`);
  }
  const shipped = () => ops.fusedMatMul(a, b, bias, attrs, preluActivationWeights);
  let out: tf.TensorInfo;
  if (isUnbatched(a, b)) {
    const { product, fusedDirect } = xnnpackProduct(ops, a, b, attrs.transposeA, attrs.transposeB, shipped);
    if (fusedDirect) return product;
    out = product;
  } else {
    out = ops.matMul(a, b, attrs.transposeA, attrs.transposeB);
  }
  if (bias !== undefined) {
    const biased = ops.add(out, bias);
    ops.release(out);
    out = biased;
  }
  return activate(ops, out, args);
}

/** Kernel config replacing the shipped WASM _FusedMatMul. */
export const fusedMatMulConfig: tf.KernelConfig = {
  kernelName: '_FusedMatMul',
  backendName: 'wasm',
  kernelFunc: fusedMatMul as unknown as tf.KernelFunc,
};
