/**
 * Identity for the WASM backend that shares its input's buffer (one more
 * reference) instead of copying it, as the cpu backend's does. The engine
 * clones, through Identity, every tensor a gradient will need; the shipped
 * kernel copied each one (34 copies a step for the CNN at batch 50, ~10 ms).
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
