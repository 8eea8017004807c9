/**
 * Conv2DBackpropInput for the WASM backend through XNNPACK (the shipped one is
 * a scalar loop).
 *
 * The input gradient is the 'full' correlation of dy, dilated by the forward
 * stride, with the filter rotated 180° and its channel axes swapped:
 *   dx[n, i, j, ci] = Σ z_pad[n, i + kh, j + kw, co] · W[fh-1-kh, fw-1-kw, ci, co]
 * where z is dy with (s - 1) zeros between its rows and columns, padded by
 * fh-1-top before and whatever makes the result H rows long after.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { forwardConvInfo, type ConvGradAttrs } from './conv-geometry';
import { shippedOps, type ShippedOps } from './shipped-ops';

interface Conv2DBackpropInputArgs {
  inputs: { dy: tf.TensorInfo; filter: tf.TensorInfo };
  backend: BackendWasm;
  attrs: ConvGradAttrs & { inputShape: [number, number, number, number] };
}

/** Inserts (s - 1) zeros after every row and column of dy: [n, oh·sh, ow·sw, c]. */
function dilate(ops: ShippedOps, dy: tf.TensorInfo, sh: number, sw: number, made: tf.TensorInfo[]): tf.TensorInfo {
  const [n, oh, ow, c] = dy.shape;
  const spread = ops.reshape(dy, [n, oh, 1, ow, 1, c]);
  made.push(spread);
  const padded = ops.pad(spread, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
  made.push(padded);
  const z = ops.reshape(padded, [n, oh * sh, ow * sw, c]);
  made.push(z);
  return z;
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
    const { filterHeight: fh, filterWidth: fw, inHeight, inWidth, strideHeight: sh, strideWidth: sw } = info;
    const [, outHeight, outWidth] = dy.shape;
    // Rows of z used: the dilated dy spans oh·sh rows (the last sh-1 are zeros).
    const before = [fh - 1 - info.padInfo.top, fw - 1 - info.padInfo.left];
    const after = [inHeight + fh - 1 - before[0] - outHeight * sh, inWidth + fw - 1 - before[1] - outWidth * sw];
    if (Math.min(before[0], before[1]) < 0) {
      if (shippedKernel === undefined) throw new Error('Conv2DBackpropInput: padding wider than the filter is not supported on WASM');
      return shippedKernel.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    }

    const made: tf.TensorInfo[] = [];
    const keep = (t: tf.TensorInfo): tf.TensorInfo => (made.push(t), t);
    try {
      let z = sh > 1 || sw > 1 ? dilate(ops, dy, sh, sw, made) : dy;
      // A negative `after` means z runs past what any output reads: trim it.
      if (after[0] < 0 || after[1] < 0) {
        const [n, zh, zw, c] = z.shape;
        z = keep(ops.slice(z, [0, 0, 0, 0], [n, zh + Math.min(0, after[0]), zw + Math.min(0, after[1]), c]));
      }
      const pads: Array<[number, number]> = [[0, 0], [before[0], Math.max(0, after[0])], [before[1], Math.max(0, after[1])], [0, 0]];
      if (pads.some(([b, a]) => b + a > 0)) z = keep(ops.pad(z, pads));
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
