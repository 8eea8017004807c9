/**
 * Identity, and Cast to the same dtype, for the WASM backend: they share their
 * input's buffer (one more reference) instead of copying it, as the cpu
 * backend's do. The engine
 * clones, through Identity, every tensor a gradient will need; the shipped
 * kernel copied each one (34 copies a step for the CNN at batch 50, ~10 ms);
 * the ReLU gradient casts its float32 input to float32 (3 more copies).
 * Tensors are immutable and every kernel here writes only into its own
 * outputs, so a shared buffer is never written under another tensor.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

function identity(args: { inputs: { x: tf.TensorInfo }; backend: BackendWasm }): tf.TensorInfo {
  const { x } = args.inputs;
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

export const identityConfig: tf.KernelConfig = { kernelName: 'Identity', backendName: 'wasm', kernelFunc: identity as unknown as tf.KernelFunc };

/** Cast that shares the buffer when the dtype does not change; `shipped` converts between dtypes. */
export function createCastConfig(shipped: tf.KernelConfig | undefined): tf.KernelConfig {
  const convert = shipped?.kernelFunc as unknown as (args: {
    inputs: { x: tf.TensorInfo };
    backend: BackendWasm;
    attrs: { dtype: tf.DataType };
  }) => tf.TensorInfo;
  const cast = (args: { inputs: { x: tf.TensorInfo }; backend: BackendWasm; attrs: { dtype: tf.DataType } }): tf.TensorInfo =>
    args.inputs.x.dtype === args.attrs.dtype ? identity(args) : convert(args);
  return { kernelName: 'Cast', backendName: 'wasm', kernelFunc: cast as unknown as tf.KernelFunc };
}
