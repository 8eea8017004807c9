/**
 * Shared geometry for the convolution gradients: the forward convolution's
 * shapes and padding, validated for the NHWC layout the WASM backend supports.
 */
import * as tf from '@tensorflow/tfjs';
import type { ShippedOps } from './shipped-ops';

/** What the gradient kernels receive as attributes (tfjs-core's Conv2DBackprop* attrs). */
export interface ConvGradAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Computes the forward convolution's info, or throws for layouts the WASM backend lacks. */
export function forwardConvInfo(
  kernelName: string,
  xShape: number[],
  filterShape: number[],
  attrs: ConvGradAttrs,
  depthwise = false,
): tf.backend_util.Conv2DInfo {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new Error(`${kernelName} on the WASM backend supports dataFormat 'NHWC' only, got '${attrs.dataFormat}'`);
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    'channelsLast',
  );
}

/** Inserts (s - 1) zeros after every row and column of dy: [n, oh·sh, ow·sw, c]. */
function dilate(ops: ShippedOps, dy: tf.TensorInfo, sh: number, sw: number, made: tf.TensorInfo[]): tf.TensorInfo {
  const [n, oh, ow, c] = dy.shape;
  const spread = ops.reshape(dy, [n, oh, 1, ow, 1, c]);
  made.push(spread);
  const padded = ops.pad(spread, [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  made.push(padded);
  const z = ops.reshape(padded, [n, oh * sh, ow * sw, c]);
  made.push(z);
  return z;
}

/**
 * The input gradient of a convolution is a 'valid' convolution, with the
 * filter rotated 180°, of z: dy with (s - 1) zeros between its rows and
 * columns, padded by fh-1-top before and whatever makes the result as tall as
 * the input after. Returns z (its intermediates pushed on `made`), or
 * undefined when explicit padding wider than the filter makes `before`
 * negative (left to the shipped kernel).
 */
export function spreadForInputGradient(ops: ShippedOps, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo, made: tf.TensorInfo[]): tf.TensorInfo | undefined {
  const { filterHeight: fh, filterWidth: fw, inHeight, inWidth, strideHeight: sh, strideWidth: sw } = info;
  const [, outHeight, outWidth] = dy.shape;
  // The dilated dy spans oh·sh rows (the last sh-1 of them zeros).
  const before = [fh - 1 - info.padInfo.top, fw - 1 - info.padInfo.left];
  const after = [inHeight + fh - 1 - before[0] - outHeight * sh, inWidth + fw - 1 - before[1] - outWidth * sw];
  if (Math.min(before[0], before[1]) < 0) return undefined;
  let z = sh > 1 || sw > 1 ? dilate(ops, dy, sh, sw, made) : dy;
  // A negative `after` means z runs past what any output reads: trim it.
  if (after[0] < 0 || after[1] < 0) {
    const [n, zh, zw, c] = z.shape;
    z = ops.slice(z, [0, 0, 0, 0], [n, zh + Math.min(0, after[0]), zw + Math.min(0, after[1]), c]);
    made.push(z);
  }
  const pads: Array<[number, number]> = [
    [0, 0],
    [before[0], Math.max(0, after[0])],
    [before[1], Math.max(0, after[1])],
    [0, 0],
  ];
  if (pads.some(([b, a]) => b + a > 0)) {
    z = ops.pad(z, pads);
    made.push(z);
  }
  return z;
}
