/**
 * BatchMatMul for the WASM backend that always reaches XNNPACK, and feeds it
 * the cheaper way round.
 *
 * The shipped kernel uses XNNPACK only when neither operand is transposed and
 * falls to a scalar loop otherwise, which is every matmul of backprop
 * (dx = dy·Wᵀ, dW = xᵀ·dy). Here operands are materialised untransposed with
 * the fast Transpose kernel and the shipped kernel runs on them.
 *
 * XNNPACK packs the right-hand operand before multiplying (cached by tensor
 * id, so only a right operand seen before is free). Packing costs about three
 * times a transpose per element, so a product C = op(A)·op(B) is computed
 * either directly or as (op(B)ᵀ·op(A)ᵀ)ᵀ, whichever packs and transposes
 * fewer elements. In training every weight matrix is new at each step, so
 * this matters: at batch 10 the forward x·W and the backward dy·Wᵀ of a
 * 784×200 layer are about twice as fast computed the second way.
 *
 * XNNPACK serves only unbatched products (batch dimensions of 1); batched ones
 * go to the shipped kernel unchanged, which loops over them in C++.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { shippedOps, type ShippedOps } from './shipped-ops';

interface BatchMatMulArgs {
  inputs: { a: tf.TensorInfo; b: tf.TensorInfo };
  backend: BackendWasm;
  attrs: { transposeA: boolean; transposeB: boolean };
}

/** Cost of XNNPACK packing one element, in units of transposing one (measured ≈ 3.3). */
const PACK_COST = 3.3;

/** Right-hand operands already multiplied once: XNNPACK keeps them packed. */
const seenAsRight = new WeakSet<object>();

/** Swaps the last two axes of `x`. */
function transposeLastTwo(ops: ShippedOps, x: tf.TensorInfo): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return ops.transpose(x, perm);
}

function batchOf(x: tf.TensorInfo): number {
  return x.shape.slice(0, -2).reduce((p, d) => p * d, 1);
}

/** Multiplies `left`·`right`, transposing first whichever is flagged; frees what it made. */
function multiply(ops: ShippedOps, left: tf.TensorInfo, transposeLeft: boolean, right: tf.TensorInfo, transposeRight: boolean): tf.TensorInfo {
  const l = transposeLeft ? transposeLastTwo(ops, left) : left;
  const r = transposeRight ? transposeLastTwo(ops, right) : right;
  try {
    return ops.matMul(l, r);
  } finally {
    if (l !== left) ops.release(l);
    if (r !== right) ops.release(r);
  }
}

/**
 * Whether (op(B)ᵀ·op(A)ᵀ)ᵀ is cheaper than op(A)·op(B), counting elements
 * packed (× PACK_COST) and transposed.
 */
export function preferSwapped(
  m: number,
  k: number,
  n: number,
  batchA: number,
  batchB: number,
  transposeA: boolean,
  transposeB: boolean,
  rightAlreadyPacked: boolean,
): boolean {
  const sizeA = m * k * batchA;
  const sizeB = k * n * batchB;
  const direct = (rightAlreadyPacked ? 0 : PACK_COST * sizeB) + (transposeA ? sizeA : 0) + (transposeB ? sizeB : 0);
  const swapped = PACK_COST * sizeA + (transposeA ? 0 : sizeA) + (transposeB ? 0 : sizeB) + m * n * Math.max(batchA, batchB);
  return swapped < direct;
}

/** Whether the product has batch dimensions of 1 only (what XNNPACK serves). */
export function isUnbatched(a: tf.TensorInfo, b: tf.TensorInfo): boolean {
  return batchOf(a) === 1 && batchOf(b) === 1;
}

/**
 * op(A)·op(B) for unbatched operands through XNNPACK, whichever way round is
 * cheaper. `direct` computes the untransposed product when that way wins (the
 * fused kernel passes its bias and activation there).
 */
export function xnnpackProduct(
  ops: ShippedOps,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  direct: (a: tf.TensorInfo, b: tf.TensorInfo) => tf.TensorInfo = ops.matMul,
): { product: tf.TensorInfo; fusedDirect: boolean } {
  const rankA = a.shape.length;
  const rankB = b.shape.length;
  const m = transposeA ? a.shape[rankA - 1] : a.shape[rankA - 2];
  const k = transposeA ? a.shape[rankA - 2] : a.shape[rankA - 1];
  const n = transposeB ? b.shape[rankB - 2] : b.shape[rankB - 1];
  // A plain right operand seen before stays packed; one seen once is packed
  // directly from its second use on (e.g. weights across evaluation batches).
  const rightAlreadyPacked = !transposeB && seenAsRight.has(b.dataId);
  if (!transposeB) seenAsRight.add(b.dataId);
  if (!preferSwapped(m, k, n, 1, 1, transposeA, transposeB, rightAlreadyPacked)) {
    if (!transposeA && !transposeB) return { product: direct(a, b), fusedDirect: true };
    return { product: multiply(ops, a, transposeA, b, transposeB), fusedDirect: false };
  }
  // Cᵀ = op(B)ᵀ·op(A)ᵀ, where op(B)ᵀ is B itself when transposeB, and so on.
  // XNNPACK caches packed right operands by tensor id alone (not shape), so
  // an input is never made the right operand here: A is copied if it would be.
  const right = transposeA ? ops.copy(a) : a;
  const productT = multiply(ops, b, !transposeB, right, !transposeA);
  if (right !== a) ops.release(right);
  try {
    return { product: transposeLastTwo(ops, productT), fusedDirect: false };
  } finally {
    ops.release(productT);
  }
}

function batchMatMul({ inputs, backend, attrs }: BatchMatMulArgs): tf.TensorInfo {
  const ops = shippedOps(backend);
  const { a, b } = inputs;
  const { transposeA, transposeB } = attrs;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new Error(`BatchMatMul on the WASM backend needs float32 operands, got ${a.dtype} and ${b.dtype}`);
  }
  if (!isUnbatched(a, b)) return ops.matMul(a, b, transposeA, transposeB);
  return xnnpackProduct(ops, a, b, transposeA, transposeB).product;
}

/** Kernel config replacing the shipped WASM BatchMatMul. */
export const batchMatMulConfig: tf.KernelConfig = {
  kernelName: 'BatchMatMul',
  backendName: 'wasm',
  kernelFunc: batchMatMul as unknown as tf.KernelFunc,
};
