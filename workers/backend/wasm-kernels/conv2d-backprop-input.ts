/**
 * Conv2DBackpropInput for the WASM backend through XNNPACK (the shipped one is
 * a scalar loop).
 *
 * The input gradient is the 'full' correlation of dy, dilated by the forward
 * stride, with the filter rotated 180° and its channel axes swapped:
 *   dx[n, i, j, ci] = Σ z[n, i + kh, j + kw, co] · W[fh-1-kh, fw-1-kw, ci, co]
 * where z is dy spread out and padded (see spreadForInputGradient).
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { forwardConvInfo, spreadForInputGradient, type ConvGradAttrs } from './conv-geometry';
import { shippedOps } from './shipped-ops';

interface Conv2DBackpropInputArgs {
  inputs: { dy: tf.TensorInfo; filter: tf.TensorInfo };
  backend: BackendWasm;
  attrs: ConvGradAttrs & { inputShape: [number, number, number, number] };
}

/**
 * Builds the input-gradient kernel; `shippedKernel` handles the explicit-padding
 * corner cases (padding wider than the filter) that the composition does not.
 */
export function createConv2DBackpropInputConfig(shippedKernel: tf.KernelConfig | undefined): tf.KernelConfig {
  function conv2DBackpropInput(args: Conv2DBackpropInputArgs): tf.TensorInfo {
    const { inputs, backend, attrs } = args;
    const ops = shippedOps(backend);
    const { dy, filter } = inputs;
    const info = forwardConvInfo('Conv2DBackpropInput', attrs.inputShape, filter.shape, attrs);
    const made: tf.TensorInfo[] = [];
    const keep = (t: tf.TensorInfo): tf.TensorInfo => (made.push(t), t);
    try {
      const z = spreadForInputGradient(ops, dy, info, made);
      if (z === undefined) {
        if (shippedKernel === undefined) throw new Error('Conv2DBackpropInput: padding wider than the filter is not supported on WASM');
        return shippedKernel.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
      }
      const rotated = keep(ops.reverse(filter, [0, 1]));
      const swapped = keep(ops.transpose(rotated, [0, 1, 3, 2]));
      return ops.conv2dValid(z, swapped, [1, 1], [1, 1]);
    } finally {
      ops.release(...made);
    }
  }
  return {
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    setupFunc: shippedKernel?.setupFunc,
    kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
  };
}
