/**
 * Sum over leading axes for the WASM backend through BLAS: the sum of a
 * [rows, cols] view over its rows is ones(1×rows)·X, one sgemm on the WASM
 * heap. These are the bias gradients (dy summed over batch and positions);
 * the shipped kernel transposes the reduced axes to the end first, which for
 * a conv layer's [50, 28, 28, 32] gradient cost several milliseconds. Other
 * axes and dtypes go to the shipped kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { Sgemm } from '../native-libs/index';

interface SumArgs {
  inputs: { x: tf.TensorInfo };
  backend: BackendWasm;
  attrs: { axis: number | number[] | null; keepDims: boolean };
}

/** Rows and columns when `axis` is exactly the first few axes of `shape` (not all of them), else undefined. */
function leadingAxesSplit(shape: readonly number[], axis: number | number[] | null): { rows: number; cols: number; kept: number[] } | undefined {
  const axes = tf.util.parseAxisParam(axis ?? shape.map((_, i) => i), [...shape]).sort((a, b) => a - b);
  // A full reduction (the loss) is one small dot product: the shipped kernel is as fast.
  if (axes.length === 0 || axes.length === shape.length || !axes.every((a, i) => a === i)) return undefined;
  const rows = shape.slice(0, axes.length).reduce((p, d) => p * d, 1);
  const kept = shape.slice(axes.length);
  return { rows, cols: kept.reduce((p, d) => p * d, 1), kept };
}

/** The Sum kernel config through `sgemm`; `shipped` takes every case it does not. */
export function createNativeSumConfig(sgemm: Sgemm, shipped: tf.KernelConfig): tf.KernelConfig {
  const fallback = shipped.kernelFunc as unknown as (args: SumArgs) => tf.TensorInfo;
  let ones = new Float32Array(0);
  const sum = (args: SumArgs): tf.TensorInfo => {
    const { x } = args.inputs;
    const split = x.dtype === 'float32' ? leadingAxesSplit(x.shape, args.attrs.axis) : undefined;
    if (!split || split.rows === 0 || split.cols === 0) return fallback(args);
    const { rows, cols, kept } = split;
    const outShape = args.attrs.keepDims ? [...x.shape.slice(0, x.shape.length - kept.length).map(() => 1), ...kept] : kept;
    if (ones.length < rows) ones = new Float32Array(rows).fill(1);
    const out = args.backend.makeOutput(outShape, 'float32');
    // Views are taken after makeOutput, which may grow (and so move) the heap.
    const X = args.backend.typedArrayFromHeap(x) as Float32Array;
    const Y = args.backend.typedArrayFromHeap(out) as Float32Array;
    sgemm(false, false, 1, cols, rows, ones, X, Y, 1, 0);
    return out;
  };
  return { kernelName: 'Sum', backendName: 'wasm', kernelFunc: sum as unknown as tf.KernelFunc };
}
