/**
 * The two gradients of a depthwise convolution for the WASM backend, which
 * ships neither (so depthwise and separable convolutions cannot train on it).
 * Both are depthwise convolutions themselves, run by the shipped kernel; the
 * filter is [fh, fw, C, M] (M the channel multiplier) and dy has C·M channels.
 *
 * - Input: dy spread and padded as for a plain convolution, convolved per
 *   channel with the filter rotated 180°, then summed over the M multiples.
 * - Filter: with x laid out as one image of C·N channels and dy as a filter of
 *   OH × OW taps, C·N input channels and M multiples, dilated by the stride,
 *   a depthwise convolution gives [fh, fw, C·N·M], summed over the batch N.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { forwardConvInfo, spreadForInputGradient, type ConvGradAttrs } from './conv-geometry';
import { shippedOps } from './shipped-ops';

type DepthwiseGradAttrs = ConvGradAttrs & { dilations?: number | [number, number] };

function assertNoDilation(kernelName: string, attrs: DepthwiseGradAttrs): void {
  const d = attrs.dilations ?? 1;
  const [dh, dw] = typeof d === 'number' ? [d, d] : d;
  if (dh !== 1 || dw !== 1) throw new Error(`${kernelName} on the WASM backend supports dilations of 1 only, got [${dh}, ${dw}]`);
}

interface InputArgs {
  inputs: { dy: tf.TensorInfo; filter: tf.TensorInfo };
  backend: BackendWasm;
  attrs: DepthwiseGradAttrs & { inputShape: [number, number, number, number] };
}

function depthwiseBackpropInput({ inputs, backend, attrs }: InputArgs): tf.TensorInfo {
  const name = 'DepthwiseConv2dNativeBackpropInput';
  assertNoDilation(name, attrs);
  const ops = shippedOps(backend);
  const { dy, filter } = inputs;
  const [fh, fw, channels, multiplier] = filter.shape;
  const info = forwardConvInfo(name, attrs.inputShape, filter.shape, attrs, true);
  const made: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo): tf.TensorInfo => (made.push(t), t);
  try {
    const z = spreadForInputGradient(ops, dy, info, made);
    if (z === undefined) throw new Error(`${name} on the WASM backend does not support padding wider than the filter`);
    const rotated = keep(ops.reverse(filter, [0, 1]));
    const perChannel = keep(ops.reshape(rotated, [fh, fw, channels * multiplier, 1]));
    const dxByMultiple = ops.depthwiseConv2dValid(z, perChannel, [1, 1], [1, 1]);
    if (multiplier === 1) return dxByMultiple;
    keep(dxByMultiple);
    const [n, h, w] = attrs.inputShape;
    const split = keep(ops.reshape(dxByMultiple, [n, h, w, channels, multiplier]));
    return ops.sum(split, [4]);
  } finally {
    ops.release(...made);
  }
}

interface FilterArgs {
  inputs: { x: tf.TensorInfo; dy: tf.TensorInfo };
  backend: BackendWasm;
  attrs: DepthwiseGradAttrs & { filterShape: [number, number, number, number] };
}

function depthwiseBackpropFilter({ inputs, backend, attrs }: FilterArgs): tf.TensorInfo {
  const name = 'DepthwiseConv2dNativeBackpropFilter';
  assertNoDilation(name, attrs);
  const ops = shippedOps(backend);
  const { x, dy } = inputs;
  const [fh, fw, channels, multiplier] = attrs.filterShape;
  const info = forwardConvInfo(name, x.shape, attrs.filterShape, attrs, true);
  const { strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const [batch, inHeight, inWidth] = x.shape;
  const [, outHeight, outWidth] = dy.shape;
  const bottom = Math.max(0, fh + (outHeight - 1) * sh - inHeight - top);
  const right = Math.max(0, fw + (outWidth - 1) * sw - inWidth - left);
  const made: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo): tf.TensorInfo => (made.push(t), t);
  try {
    // x as one image [1, H, W, C·N], channel c·N + n.
    let image = keep(ops.transpose(x, [1, 2, 3, 0]));
    if (top + bottom + left + right > 0)
      image = keep(
        ops.pad(image, [
          [top, bottom],
          [left, right],
          [0, 0],
          [0, 0],
        ]),
      );
    const [paddedHeight, paddedWidth] = image.shape;
    image = keep(ops.reshape(image, [1, paddedHeight, paddedWidth, channels * batch]));
    // dy as a filter [OH, OW, C·N, M].
    const dy5 = keep(ops.reshape(dy, [batch, outHeight, outWidth, channels, multiplier]));
    const dyT = keep(ops.transpose(dy5, [1, 2, 3, 0, 4]));
    const dyAsFilter = keep(ops.reshape(dyT, [outHeight, outWidth, channels * batch, multiplier]));
    let grad = keep(ops.depthwiseConv2dValid(image, dyAsFilter, [1, 1], [sh, sw]));
    if (grad.shape[1] !== fh || grad.shape[2] !== fw) grad = keep(ops.slice(grad, [0, 0, 0, 0], [1, fh, fw, channels * batch * multiplier]));
    const byExample = keep(ops.reshape(grad, [fh, fw, channels, batch, multiplier]));
    const summed = keep(ops.sum(byExample, [3]));
    return ops.reshape(summed, [fh, fw, channels, multiplier]);
  } finally {
    ops.release(...made);
  }
}

/** Kernel config adding DepthwiseConv2dNativeBackpropInput to the WASM backend. */
export const depthwiseBackpropInputConfig: tf.KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput as unknown as tf.KernelFunc,
};

/** Kernel config adding DepthwiseConv2dNativeBackpropFilter to the WASM backend. */
export const depthwiseBackpropFilterConfig: tf.KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter as unknown as tf.KernelFunc,
};
