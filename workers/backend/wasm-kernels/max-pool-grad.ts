/**
 * MaxPoolGrad for the WASM backend, written over the WASM heap in JavaScript
 * (as the shipped Slice kernel is); the shipped C++ kernel visits every input
 * pixel's windows and was ~16% of a CNN training step.
 *
 * Each window's gradient goes to its first maximum in row-major order (a
 * strictly greater value replaces it), which is how tfjs's cpu backend breaks
 * ties; ties are common after a ReLU, where whole windows are zero.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

interface MaxPoolGradArgs {
  inputs: { dy: tf.TensorInfo; input: tf.TensorInfo; output: tf.TensorInfo };
  backend: BackendWasm;
  attrs: {
    filterSize: [number, number] | number;
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
}

function maxPoolGrad({ inputs, backend, attrs }: MaxPoolGradArgs): tf.TensorInfo {
  const { dy, input } = inputs;
  if (input.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(`MaxPoolGrad on the WASM backend needs float32 tensors, got ${input.dtype} and ${dy.dtype}`);
  }
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight: filterHeight, effectiveFilterWidth: filterWidth } = info;
  const { top, left } = info.padInfo;

  const out = backend.makeOutput(input.shape, 'float32');
  // Views are taken after makeOutput, which may grow (and so move) the heap.
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const gradOut = backend.typedArrayFromHeap(dy) as Float32Array;
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  const tiles = top === 0 && left === 0 && filterHeight === strideHeight && filterWidth === strideWidth;
  if (tiles && outHeight * filterHeight <= inHeight && outWidth * filterWidth <= inWidth) {
    tiledMaxPoolGrad(x, gradOut, dx, info);
    return out;
  }

  const best = new Float32Array(channels);
  const bestAt = new Int32Array(channels);
  for (let b = 0; b < batchSize; b++) {
    const imageBase = b * inHeight * inWidth * channels;
    for (let yR = 0; yR < outHeight; yR++) {
      const rStart = Math.max(0, yR * strideHeight - top);
      const rEnd = Math.min(inHeight, yR * strideHeight - top + filterHeight);
      for (let yC = 0; yC < outWidth; yC++) {
        const cStart = Math.max(0, yC * strideWidth - left);
        const cEnd = Math.min(inWidth, yC * strideWidth - left + filterWidth);
        best.fill(Number.NEGATIVE_INFINITY);
        bestAt.fill(-1);
        for (let r = rStart; r < rEnd; r++) {
          for (let c = cStart; c < cEnd; c++) {
            const pixel = imageBase + (r * inWidth + c) * channels;
            for (let d = 0; d < channels; d++) {
              const value = x[pixel + d];
              if (value > best[d]) {
                best[d] = value;
                bestAt[d] = pixel + d;
              }
            }
          }
        }
        const dyBase = ((b * outHeight + yR) * outWidth + yC) * channels;
        for (let d = 0; d < channels; d++) {
          if (bestAt[d] >= 0) dx[bestAt[d]] += gradOut[dyBase + d];
        }
      }
    }
  }
  return out;
}

/**
 * Windows that tile the input without overlap and inside it (2×2 pools with stride 2, as in most CNNs): each
 * input value is in at most one window, so its gradient is written, not accumulated, and the running maximum
 * lives in locals, channel by channel, instead of per-channel arrays reset for every window.
 */
function tiledMaxPoolGrad(x: Float32Array, gradOut: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, filterHeight, filterWidth } = info;
  const rowStride = inWidth * channels;
  if (filterHeight === 2 && filterWidth === 2) {
    twoByTwoMaxPoolGrad(x, gradOut, dx, info);
    return;
  }
  for (let b = 0; b < batchSize; b++) {
    const imageBase = b * inHeight * rowStride;
    for (let yR = 0; yR < outHeight; yR++) {
      for (let yC = 0; yC < outWidth; yC++) {
        const corner = imageBase + yR * filterHeight * rowStride + yC * filterWidth * channels;
        const dyBase = ((b * outHeight + yR) * outWidth + yC) * channels;
        for (let d = 0; d < channels; d++) {
          let best = Number.NEGATIVE_INFINITY,
            bestAt = -1;
          for (let r = 0; r < filterHeight; r++) {
            let at = corner + r * rowStride + d;
            for (let c = 0; c < filterWidth; c++, at += channels) {
              const value = x[at];
              if (value > best) {
                best = value;
                bestAt = at;
              }
            }
          }
          if (bestAt >= 0) dx[bestAt] = gradOut[dyBase + d];
        }
      }
    }
  }
}

/** 2×2 tiles, unrolled: four loads per channel along contiguous rows, the same first-maximum rule. */
function twoByTwoMaxPoolGrad(x: Float32Array, gradOut: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const rowStride = inWidth * channels;
  let dyAt = 0;
  for (let b = 0; b < batchSize; b++) {
    const imageBase = b * inHeight * rowStride;
    for (let yR = 0; yR < outHeight; yR++) {
      for (let yC = 0; yC < outWidth; yC++) {
        const p00 = imageBase + 2 * yR * rowStride + 2 * yC * channels;
        const p01 = p00 + channels,
          p10 = p00 + rowStride,
          p11 = p10 + channels;
        for (let d = 0; d < channels; d++, dyAt++) {
          let best = Number.NEGATIVE_INFINITY,
            at = -1;
          if (x[p00 + d] > best) {
            best = x[p00 + d];
            at = p00 + d;
          }
          if (x[p01 + d] > best) {
            best = x[p01 + d];
            at = p01 + d;
          }
          if (x[p10 + d] > best) {
            best = x[p10 + d];
            at = p10 + d;
          }
          if (x[p11 + d] > best) at = p11 + d;
          if (at >= 0) dx[at] = gradOut[dyAt];
        }
      }
    }
  }
}

/** Kernel config replacing the shipped WASM MaxPoolGrad. */
export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as tf.KernelFunc,
};
