/**
 * Conv2DBackpropFilter for the WASM backend, which ships none (so CNNs cannot
 * train on it as shipped).
 *
 * The filter gradient is itself a convolution: with the batch and channel axes
 * of x swapped and dy used as the filter,
 *   dW[kh, kw, ci, co] = Σ_{n, oh, ow} x_pad[n, oh·s + kh, ow·s + kw, ci] · dy[n, oh, ow, co]
 * is a 'valid' convolution of x′ = x_padᵀ [ci, H, W, n] by dy′ [OH, OW, n, co]
 * dilated by the forward stride, giving [ci, fh, fw, co]. XNNPACK runs it.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { forwardConvInfo, type ConvGradAttrs } from './conv-geometry';
import { shippedOps } from './shipped-ops';

interface Conv2DBackpropFilterArgs {
  inputs: { x: tf.TensorInfo; dy: tf.TensorInfo };
  backend: BackendWasm;
  attrs: ConvGradAttrs & { filterShape: [number, number, number, number] };
}

function conv2DBackpropFilter({ inputs, backend, attrs }: Conv2DBackpropFilterArgs): tf.TensorInfo {
  const ops = shippedOps(backend);
  const { x, dy } = inputs;
  const info = forwardConvInfo('Conv2DBackpropFilter', x.shape, attrs.filterShape, attrs);
  const { filterHeight: fh, filterWidth: fw, inChannels, outChannels, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const [, inHeight, inWidth] = x.shape;
  const [, outHeight, outWidth] = dy.shape;
  // Pad only as far as the last tap of the last output reaches; anything past
  // it would only widen the result, which is sliced back to fh × fw below.
  const bottom = Math.max(0, fh + (outHeight - 1) * sh - inHeight - top);
  const right = Math.max(0, fw + (outWidth - 1) * sw - inWidth - left);

  const made: tf.TensorInfo[] = [];
  const keep = (info: tf.TensorInfo): tf.TensorInfo => (made.push(info), info);
  try {
    let xT = keep(ops.transpose(x, [3, 1, 2, 0]));
    if (top + bottom + left + right > 0)
      xT = keep(
        ops.pad(xT, [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ]),
      );
    const dyAsFilter = keep(ops.transpose(dy, [1, 2, 0, 3]));
    let grad = keep(ops.conv2dValid(xT, dyAsFilter, [1, 1], [sh, sw]));
    if (grad.shape[1] !== fh || grad.shape[2] !== fw) grad = keep(ops.slice(grad, [0, 0, 0, 0], [inChannels, fh, fw, outChannels]));
    return ops.transpose(grad, [1, 2, 0, 3]);
  } finally {
    ops.release(...made);
  }
}

/** Kernel config adding Conv2DBackpropFilter to the WASM backend. */
export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};
