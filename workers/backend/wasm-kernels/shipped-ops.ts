/**
 * The WASM backend's own fast kernels, captured as they shipped, so that the
 * training kernels in this folder can be composed from them.
 *
 * Every function takes and returns the backend's `TensorInfo`s; each result is
 * owned by the caller, who must hand it to `release` (or return it as a kernel
 * output) so that no intermediate leaks on the WASM heap.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type TensorInfo = tf.TensorInfo;
type ShippedKernel = (args: { inputs: object; backend: BackendWasm; attrs?: object }) => TensorInfo;

/** Kernels this folder composes from; captured before any of them is replaced. */
export const COMPOSED_KERNELS = [
  'Conv2D',
  'Transpose',
  'PadV2',
  'Reverse',
  'Slice',
  'Reshape',
  'Identity',
  'Add',
  'BatchMatMul',
  '_FusedMatMul',
  'Relu',
  'Relu6',
  'Elu',
  'Sigmoid',
  'LeakyRelu',
  'Prelu',
  'DepthwiseConv2dNative',
  'Sum',
] as const;
type ComposedKernel = (typeof COMPOSED_KERNELS)[number];

/** The shipped configs of the kernels we compose from (and of those we replace). */
const shipped = new Map<string, tf.KernelConfig | undefined>();

/**
 * Records the WASM backend's shipped kernel config for `kernelName`, once.
 * Returns undefined when the backend ships no such kernel.
 */
export function captureShipped(kernelName: string): tf.KernelConfig | undefined {
  // Absence is recorded too, so that a kernel we add is never taken for a shipped one.
  if (!shipped.has(kernelName)) shipped.set(kernelName, tf.getKernel(kernelName, 'wasm'));
  return shipped.get(kernelName);
}

function kernel(name: ComposedKernel): ShippedKernel {
  const config = captureShipped(name);
  if (config === undefined) {
    throw new Error(`The WASM backend has no '${name}' kernel; fedbook's training kernels need it (is @tensorflow/tfjs-backend-wasm 4.x installed?)`);
  }
  return config.kernelFunc as unknown as ShippedKernel;
}

/** Typed calls into the shipped kernels of one WASM backend instance. */
export interface ShippedOps {
  readonly backend: BackendWasm;
  transpose(x: TensorInfo, perm: number[]): TensorInfo;
  pad(x: TensorInfo, paddings: Array<[number, number]>): TensorInfo;
  reverse(x: TensorInfo, dims: number[]): TensorInfo;
  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo;
  reshape(x: TensorInfo, shape: number[]): TensorInfo;
  /** NHWC 'valid' convolution with the given strides and dilations. */
  conv2dValid(x: TensorInfo, filter: TensorInfo, strides: [number, number], dilations: [number, number]): TensorInfo;
  /** NHWC 'valid' depthwise convolution with the given strides and dilations. */
  depthwiseConv2dValid(x: TensorInfo, filter: TensorInfo, strides: [number, number], dilations: [number, number]): TensorInfo;
  /** Sum over `axis`, dropping it. */
  sum(x: TensorInfo, axis: number[]): TensorInfo;
  /** A copy of x in a new buffer. */
  copy(x: TensorInfo): TensorInfo;
  /** x + y, broadcasting. */
  add(x: TensorInfo, y: TensorInfo): TensorInfo;
  /** An elementwise activation kernel. */
  unary(kernel: 'Relu' | 'Relu6' | 'Elu' | 'Sigmoid' | 'LeakyRelu', x: TensorInfo, attrs?: object): TensorInfo;
  prelu(x: TensorInfo, alpha: TensorInfo): TensorInfo;
  /** The shipped BatchMatMul (XNNPACK only untransposed and unbatched). */
  matMul(a: TensorInfo, b: TensorInfo, transposeA?: boolean, transposeB?: boolean): TensorInfo;
  /** The shipped _FusedMatMul with the given attrs and optional bias and PReLU weights. */
  fusedMatMul(a: TensorInfo, b: TensorInfo, bias: TensorInfo | undefined, attrs: object, preluActivationWeights?: TensorInfo): TensorInfo;
  /** Frees intermediates (a reshape shares data with its source, so refcounts matter). */
  release(...infos: TensorInfo[]): void;
}

/** Binds the shipped kernels to `backend`. */
export function shippedOps(backend: BackendWasm): ShippedOps {
  const call = (name: ComposedKernel, inputs: object, attrs: object): TensorInfo => kernel(name)({ inputs, backend, attrs });
  return {
    backend,
    transpose: (x, perm) => call('Transpose', { x }, { perm }),
    pad: (x, paddings) => call('PadV2', { x }, { paddings, constantValue: 0 }),
    reverse: (x, dims) => call('Reverse', { x }, { dims }),
    slice: (x, begin, size) => call('Slice', { x }, { begin, size }),
    reshape: (x, shape) => call('Reshape', { x }, { shape }),
    conv2dValid: (x, filter, strides, dilations) =>
      call('Conv2D', { x, filter }, { strides, pad: 'valid', dataFormat: 'NHWC', dilations, dimRoundingMode: undefined }),
    depthwiseConv2dValid: (x, filter, strides, dilations) =>
      call('DepthwiseConv2dNative', { x, filter }, { strides, pad: 'valid', dataFormat: 'NHWC', dilations, dimRoundingMode: undefined }),
    sum: (x, axis) => call('Sum', { x }, { axis, keepDims: false }),
    copy: (x) => call('Identity', { x }, {}),
    add: (a, b) => call('Add', { a, b }, {}),
    unary: (name, x, attrs = {}) => call(name, { x }, attrs),
    prelu: (x, alpha) => call('Prelu', { x, alpha }, {}),
    matMul: (a, b, transposeA = false, transposeB = false) => call('BatchMatMul', { a, b }, { transposeA, transposeB }),
    fusedMatMul: (a, b, bias, attrs, preluActivationWeights) => call('_FusedMatMul', { a, b, bias, preluActivationWeights }, attrs),
    release: (...infos) => {
      for (const info of infos) backend.disposeData(info.dataId);
    },
  };
}
