/**
 * BatchMatMul and _FusedMatMul for the WASM backend through native BLAS: the
 * operands are read and the product written straight on the WASM heap (koffi
 * passes heap views to cblas_sgemm without copying), transposes included, so
 * no operand is materialised or packed. Used on the fallback path (models the
 * compiled step does not run) when `backend: 'auto'` finds BLAS.
 *
 * Cases it does not cover (mixed batch broadcasting, a bias that is neither a
 * scalar nor one value per column, PReLU) go to fedbook's XNNPACK kernels.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { Sgemm } from '../native-libs/index';
import { batchMatMulConfig } from './batch-mat-mul';
import { fusedMatMulConfig } from './fused-mat-mul';

interface MatMulArgs {
  inputs: { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
  backend: BackendWasm;
  attrs: { transposeA: boolean; transposeB: boolean; activation?: string; leakyreluAlpha?: number };
}

interface Geometry {
  m: number;
  k: number;
  n: number;
  batchA: number;
  batchB: number;
  outShape: number[];
}

/** The product's dimensions, or undefined when the batch dimensions broadcast in a way not handled here. */
function geometryOf(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): Geometry | undefined {
  const ra = a.shape.length,
    rb = b.shape.length;
  if (ra < 2 || rb < 2) return undefined;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kB) return undefined; // the fallback kernel throws tfjs's own message
  const batchShapeA = a.shape.slice(0, -2),
    batchShapeB = b.shape.slice(0, -2);
  const batchA = batchShapeA.reduce((p, d) => p * d, 1),
    batchB = batchShapeB.reduce((p, d) => p * d, 1);
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return undefined;
  // The larger batch's shape is the output's, provided the other's is no longer (else broadcasting adds axes).
  const [larger, smaller] =
    batchA > batchB || (batchA === batchB && batchShapeA.length >= batchShapeB.length) ? [batchShapeA, batchShapeB] : [batchShapeB, batchShapeA];
  if (smaller.length > larger.length) return undefined;
  if (batchA === batchB && batchA > 1 && !larger.slice(larger.length - smaller.length).every((d, i) => d === smaller[i])) return undefined;
  const batchShape = larger;
  return { m, k, n, batchA, batchB, outShape: [...batchShape, m, n] };
}

/** Writes op(A)·op(B) for every batch into a new output tensor. */
function product(backend: BackendWasm, sgemm: Sgemm, a: tf.TensorInfo, b: tf.TensorInfo, g: Geometry, transposeA: boolean, transposeB: boolean): tf.TensorInfo {
  const out = backend.makeOutput(g.outShape, 'float32');
  // Views are taken after makeOutput, which may grow (and so move) the heap.
  const A = backend.typedArrayFromHeap(a) as Float32Array;
  const B = backend.typedArrayFromHeap(b) as Float32Array;
  const C = backend.typedArrayFromHeap(out) as Float32Array;
  const { m, k, n } = g;
  const batch = Math.max(g.batchA, g.batchB);
  if (m * n === 0) return out;
  if (k === 0) {
    C.fill(0);
    return out;
  }
  for (let i = 0; i < batch; i++) {
    const ia = g.batchA === 1 ? 0 : i,
      ib = g.batchB === 1 ? 0 : i;
    sgemm(
      transposeA,
      transposeB,
      m,
      n,
      k,
      A.subarray(ia * m * k, (ia + 1) * m * k),
      B.subarray(ib * k * n, (ib + 1) * k * n),
      C.subarray(i * m * n, (i + 1) * m * n),
      1,
      0,
    );
  }
  return out;
}

const ACTIVATIONS: Record<string, ((x: number, alpha: number) => number) | null> = {
  linear: null,
  relu: (x) => (x > 0 ? x : 0),
  relu6: (x) => Math.min(Math.max(x, 0), 6),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  elu: (x) => (x >= 0 ? x : Math.exp(x) - 1),
  leakyrelu: (x, alpha) => (x < 0 ? alpha * x : x),
};

/** Kernel configs for BatchMatMul and _FusedMatMul on the WASM backend, multiplying with `sgemm`. */
export function createNativeMatMulConfigs(sgemm: Sgemm): { batchMatMul: tf.KernelConfig; fusedMatMul: tf.KernelConfig } {
  const batchMatMul = (args: MatMulArgs): tf.TensorInfo => {
    const { a, b } = args.inputs;
    const { transposeA, transposeB } = args.attrs;
    const g = a.dtype === 'float32' && b.dtype === 'float32' ? geometryOf(a, b, transposeA, transposeB) : undefined;
    if (!g) return (batchMatMulConfig.kernelFunc as unknown as (x: MatMulArgs) => tf.TensorInfo)(args);
    return product(args.backend, sgemm, a, b, g, transposeA, transposeB);
  };
  const fusedMatMul = (args: MatMulArgs): tf.TensorInfo => {
    const { a, b, bias } = args.inputs;
    const { transposeA, transposeB, activation = 'linear', leakyreluAlpha = 0.2 } = args.attrs;
    const g = a.dtype === 'float32' && b.dtype === 'float32' ? geometryOf(a, b, transposeA, transposeB) : undefined;
    const biasSize = bias ? bias.shape.reduce((p, d) => p * d, 1) : 0;
    const handled =
      g !== undefined &&
      activation in ACTIVATIONS &&
      (!bias || (bias.dtype === 'float32' && (biasSize === 1 || (biasSize === g.n && bias.shape[bias.shape.length - 1] === g.n))));
    if (!handled) return (fusedMatMulConfig.kernelFunc as unknown as (x: MatMulArgs) => tf.TensorInfo)(args);
    const out = product(args.backend, sgemm, a, b, g, transposeA, transposeB);
    const C = args.backend.typedArrayFromHeap(out) as Float32Array;
    if (bias) {
      const values = args.backend.typedArrayFromHeap(bias) as Float32Array;
      if (biasSize === 1) for (let i = 0; i < C.length; i++) C[i] += values[0];
      else for (let i = 0; i < C.length; i++) C[i] += values[i % g.n];
    }
    const f = ACTIVATIONS[activation];
    if (f) for (let i = 0; i < C.length; i++) C[i] = f(C[i], leakyreluAlpha);
    return out;
  };
  return {
    batchMatMul: { kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: batchMatMul as unknown as tf.KernelFunc },
    fusedMatMul: { kernelName: '_FusedMatMul', backendName: 'wasm', kernelFunc: fusedMatMul as unknown as tf.KernelFunc },
  };
}
