/**
 * Shared geometry for the convolution gradients: the forward convolution's
 * shapes and padding, validated for the NHWC layout the WASM backend supports.
 */
import * as tf from '@tensorflow/tfjs';

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
    false,
    'channelsLast',
  );
}
