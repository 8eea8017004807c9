/**
 * Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter for the WASM backend
 * through oneDNN, on the WASM heap (NHWC and HWIO are tfjs's layouts, so nothing is
 * transposed or padded in JavaScript). One oneDNN convolution per geometry,
 * the most recent few kept. Used on the fallback path under `backend: 'auto'`.
 *
 * Dilated convolutions, layouts other than NHWC and geometries oneDNN refuses
 * go to fedbook's composed kernels.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { createConvolution, type ConvGeometry, type Convolution } from '../native-libs/dnnl-conv';
import type { Dnnl } from '../native-libs/index';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter';
import { forwardConvInfo, type ConvGradAttrs } from './conv-geometry';

interface BackpropArgs {
  inputs: { dy: tf.TensorInfo; filter?: tf.TensorInfo; x?: tf.TensorInfo };
  backend: BackendWasm;
  attrs: ConvGradAttrs & { inputShape?: number[]; filterShape?: number[] };
}

type KernelFunc = (args: BackpropArgs) => tf.TensorInfo;

/** Convolutions kept (one per geometry: layers × batch sizes). */
const KEPT = 16;

function geometryOf(info: tf.backend_util.Conv2DInfo): ConvGeometry | undefined {
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  const { top, left, bottom, right } = info.padInfo;
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    pt: top,
    pl: left,
    pb: bottom,
    pr: right,
    bias: false,
  };
}

interface ForwardArgs {
  inputs: { x: tf.TensorInfo; filter: tf.TensorInfo };
  backend: BackendWasm;
  attrs: ConvGradAttrs & { dilations?: [number, number] | number };
}

/**
 * Kernel configs for the convolution and its two gradients through `dnnl`; `composedInput` is fedbook's
 * Conv2DBackpropInput, `shippedForward` the WASM backend's own Conv2D (XNNPACK: 37 ms for the CNN's second
 * convolution at batch 50 here, against ~5 ms through oneDNN).
 */
export function createNativeConvConfigs(
  dnnl: Dnnl,
  composedInput: tf.KernelConfig,
  shippedForward: tf.KernelConfig,
): { forward: tf.KernelConfig; backpropInput: tf.KernelConfig; backpropFilter: tf.KernelConfig } {
  const cache = new Map<string, Convolution | null>();
  /** The convolution for `info`, or null when oneDNN cannot take it (remembered). */
  const convolutionFor = (info: tf.backend_util.Conv2DInfo): Convolution | null => {
    const geometry = geometryOf(info);
    if (!geometry) return null;
    const key = JSON.stringify(geometry);
    let conv = cache.get(key);
    if (conv !== undefined) {
      cache.delete(key);
    } else {
      try {
        conv = createConvolution(dnnl, geometry);
      } catch {
        conv = null;
      }
      if (cache.size >= KEPT) {
        const [oldest, evicted] = cache.entries().next().value as [string, Convolution | null];
        cache.delete(oldest);
        evicted?.dispose();
      }
    }
    cache.set(key, conv);
    return conv;
  };
  const fallbackInput = composedInput.kernelFunc as unknown as KernelFunc;
  const fallbackFilter = conv2DBackpropFilterConfig.kernelFunc as unknown as KernelFunc;
  const fallbackForward = shippedForward.kernelFunc as unknown as (args: ForwardArgs) => tf.TensorInfo;

  const forward = (args: ForwardArgs): tf.TensorInfo => {
    const { x, filter } = args.inputs;
    const { dilations = 1 } = args.attrs;
    const dilated = typeof dilations === 'number' ? dilations !== 1 : dilations.some((d) => d !== 1);
    if (x.dtype !== 'float32' || filter.dtype !== 'float32' || args.attrs.dataFormat === 'NCHW' || dilated) return fallbackForward(args);
    const info = forwardConvInfo('Conv2D', x.shape, filter.shape, args.attrs);
    const conv = convolutionFor(info);
    if (!conv) return fallbackForward(args);
    const out = args.backend.makeOutput(info.outShape, 'float32');
    const heap = (t: tf.TensorInfo) => args.backend.typedArrayFromHeap(t) as Float32Array;
    conv.forward(heap(x), heap(filter), undefined, heap(out));
    return out;
  };

  const backpropInput = (args: BackpropArgs): tf.TensorInfo => {
    const { dy, filter } = args.inputs;
    const inputShape = args.attrs.inputShape!;
    if (dy.dtype !== 'float32' || filter!.dtype !== 'float32' || args.attrs.dataFormat === 'NCHW') return fallbackInput(args);
    const conv = convolutionFor(forwardConvInfo('Conv2DBackpropInput', inputShape, filter!.shape, args.attrs));
    if (!conv) return fallbackInput(args);
    const out = args.backend.makeOutput(inputShape, 'float32');
    // Views are taken after makeOutput, which may grow (and so move) the heap.
    const heap = (t: tf.TensorInfo) => args.backend.typedArrayFromHeap(t) as Float32Array;
    conv.backwardData(heap(dy), heap(filter!), heap(out));
    return out;
  };
  const backpropFilter = (args: BackpropArgs): tf.TensorInfo => {
    const { dy, x } = args.inputs;
    const filterShape = args.attrs.filterShape!;
    if (dy.dtype !== 'float32' || x!.dtype !== 'float32' || args.attrs.dataFormat === 'NCHW') return fallbackFilter(args);
    const conv = convolutionFor(forwardConvInfo('Conv2DBackpropFilter', x!.shape, filterShape, args.attrs));
    if (!conv) return fallbackFilter(args);
    const out = args.backend.makeOutput(filterShape, 'float32');
    const heap = (t: tf.TensorInfo) => args.backend.typedArrayFromHeap(t) as Float32Array;
    conv.backwardWeights(heap(x!), heap(dy), heap(out), undefined);
    return out;
  };
  return {
    forward: { kernelName: 'Conv2D', backendName: 'wasm', kernelFunc: forward as unknown as tf.KernelFunc },
    backpropInput: { kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: backpropInput as unknown as tf.KernelFunc },
    backpropFilter: { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: backpropFilter as unknown as tf.KernelFunc },
  };
}
