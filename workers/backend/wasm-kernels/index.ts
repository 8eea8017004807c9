/**
 * Training kernels for the WASM backend: replacements registered over the ones
 * tfjs-backend-wasm 4.x ships, composed from its own XNNPACK-backed kernels.
 *
 * - BatchMatMul: the shipped kernel is scalar whenever an operand is transposed
 *   (every backprop matmul); here transposes are materialised first, and the
 *   product is taken whichever way round packs fewer new weights into XNNPACK.
 * - _FusedMatMul (dense layers): the same choice of way round.
 * - Conv2DBackpropFilter: not shipped at all (CNNs cannot train); here a convolution.
 * - Conv2DBackpropInput: the shipped kernel is scalar; here a convolution.
 * - DepthwiseConv2dNativeBackpropFilter/Input: not shipped (depthwise and
 *   separable convolutions cannot train); here depthwise convolutions.
 * - MaxPoolGrad: one pass over the windows in JavaScript on the WASM heap.
 * - UnsortedSegmentSum (the gradient of gather, so of Embedding layers): not
 *   shipped; one pass in JavaScript on the WASM heap.
 * - Identity and Cast to the same dtype: share their input's buffer instead of
 *   copying it.
 *
 * With native libraries (`useNativeKernels`), matmuls and Sum over leading
 * axes go through BLAS, Conv2D and its gradients through oneDNN.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { batchMatMulConfig } from './batch-mat-mul';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-conv2d-backprop';
import { fusedMatMulConfig } from './fused-mat-mul';
import { maxPoolGradConfig } from './max-pool-grad';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter';
import { createConv2DBackpropInputConfig } from './conv2d-backprop-input';
import { captureShipped, COMPOSED_KERNELS } from './shipped-ops';
import { createNativeMatMulConfigs } from './native-mat-mul';
import type { Dnnl, Sgemm } from '../native-libs/index';
import { createNativeConvConfigs } from './native-conv';
import { createCastConfig, identityConfig } from './identity';
import { createNativeSumConfig } from './native-sum';

/** Names of the kernels fedbook registers for the WASM backend. */
export const WASM_TRAINING_KERNELS = [
  'BatchMatMul',
  '_FusedMatMul',
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'MaxPoolGrad',
  'UnsortedSegmentSum',
  'Identity',
  'Cast',
] as const;
/** One of the kernels fedbook registers for the WASM backend. */
export type WasmTrainingKernel = (typeof WASM_TRAINING_KERNELS)[number];

const registered = new Set<WasmTrainingKernel>();

function replacementFor(name: WasmTrainingKernel): tf.KernelConfig {
  const shipped = captureShipped(name);
  switch (name) {
    case 'BatchMatMul':
      return batchMatMulConfig;
    case '_FusedMatMul':
      return fusedMatMulConfig;
    case 'Conv2DBackpropFilter':
      return conv2DBackpropFilterConfig;
    case 'Conv2DBackpropInput':
      return createConv2DBackpropInputConfig(shipped);
    case 'DepthwiseConv2dNativeBackpropFilter':
      return depthwiseBackpropFilterConfig;
    case 'DepthwiseConv2dNativeBackpropInput':
      return depthwiseBackpropInputConfig;
    case 'MaxPoolGrad':
      return maxPoolGradConfig;
    case 'UnsortedSegmentSum':
      return unsortedSegmentSumConfig;
    case 'Identity':
      return identityConfig;
    case 'Cast':
      return createCastConfig(shipped);
  }
}

/**
 * Registers fedbook's training kernels for the WASM backend (all of them, or
 * only those named), replacing the shipped ones. Idempotent; safe to call
 * before or after `tf.setBackend('wasm')`.
 */
export function registerWasmTrainingKernels(only: readonly WasmTrainingKernel[] = WASM_TRAINING_KERNELS): void {
  // Capture every kernel we compose from before any is replaced, so that our
  // BatchMatMul never ends up calling itself.
  for (const name of COMPOSED_KERNELS) captureShipped(name);
  for (const name of only) {
    if (!WASM_TRAINING_KERNELS.includes(name)) {
      throw new Error(`Unknown WASM training kernel '${name}'; expected one of ${WASM_TRAINING_KERNELS.join(', ')}`);
    }
    if (registered.has(name)) continue;
    // The shipped kernel's setup binds its WASM function; ours runs it too, so
    // that the shipped kernel works when we call it or when it is restored.
    const shippedSetup = captureShipped(name)?.setupFunc;
    const config = { ...replacementFor(name), setupFunc: shippedSetup };
    if (tf.getKernel(name, 'wasm') !== undefined) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
    registered.add(name);
  }
}

/** Native libraries the fallback path's kernels can use. */
export interface NativeKernelLibs {
  sgemm?: Sgemm;
  dnnl?: Dnnl;
}

let native: NativeKernelLibs = {};

/**
 * Runs BatchMatMul, _FusedMatMul and Sum over leading axes through native BLAS (`sgemm`) and Conv2D and its
 * gradients through oneDNN (`dnnl`) on the WASM backend, or goes back to fedbook's composed kernels for whatever is not
 * given. Only where fedbook's kernels are registered (not with FEDBOOK_WASM_KERNELS=shipped). Idempotent.
 */
export function useNativeKernels(libs: NativeKernelLibs): void {
  if (libs.sgemm === native.sgemm && libs.dnnl === native.dnnl) return;
  if (!registered.has('BatchMatMul') || !registered.has('Conv2DBackpropInput')) return; // kernels as shipped
  const swap = (configs: tf.KernelConfig[]) => {
    for (const config of configs) {
      tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel({ ...config, setupFunc: captureShipped(config.kernelName)?.setupFunc });
    }
  };
  if (libs.sgemm !== native.sgemm) {
    const shippedSum = captureShipped('Sum')!;
    const matMul = libs.sgemm ? createNativeMatMulConfigs(libs.sgemm) : { batchMatMul: batchMatMulConfig, fusedMatMul: fusedMatMulConfig };
    swap([matMul.batchMatMul, matMul.fusedMatMul, libs.sgemm ? createNativeSumConfig(libs.sgemm, shippedSum) : shippedSum]);
  }
  if (libs.dnnl !== native.dnnl) {
    const composedInput = createConv2DBackpropInputConfig(captureShipped('Conv2DBackpropInput'));
    const shippedForward = captureShipped('Conv2D')!;
    const conv = libs.dnnl
      ? createNativeConvConfigs(libs.dnnl, composedInput, shippedForward)
      : { forward: shippedForward, backpropInput: composedInput, backpropFilter: conv2DBackpropFilterConfig };
    swap([conv.forward, conv.backpropInput, conv.backpropFilter]);
  }
  native = { ...libs };
}

/** The kernels that currently run natively on the WASM backend. */
export function nativeWasmKernels(): string[] {
  return [...(native.sgemm ? ['BatchMatMul', '_FusedMatMul', 'Sum'] : []), ...(native.dnnl ? ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'] : [])];
}

/** Puts back the kernels tfjs-backend-wasm shipped (for benchmarks and tests). */
export function restoreShippedWasmKernels(): void {
  const backend = tf.findBackend('wasm');
  // Sum and Conv2D are replaced only while native libraries are in use.
  for (const name of new Set<string>([...registered, ...nativeWasmKernels()])) {
    tf.unregisterKernel(name, 'wasm');
    const shipped = captureShipped(name);
    if (shipped === undefined) continue;
    tf.registerKernel(shipped);
    // Kernels registered after the backend started are not set up by tfjs.
    if (backend !== null && backend !== undefined) shipped.setupFunc?.(backend);
  }
  registered.clear();
  native = {};
}

/** The fedbook kernels currently registered for WASM. */
export function registeredWasmTrainingKernels(): WasmTrainingKernel[] {
  return [...registered];
}
