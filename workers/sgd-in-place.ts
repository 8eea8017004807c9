/**
 * Plain SGD written straight into the variables' buffers on the WASM heap by
 * BLAS's saxpy. tfjs's SGD optimizer costs two kernels and an assign per
 * variable every step (a multiply and an add into new buffers, then the old
 * buffer freed); a JavaScript loop over the heap was no faster than those.
 * saxpy may fuse the multiply and the add (one rounding instead of two), so
 * the weights can differ from the optimizer's in the last bit.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Saxpy } from './backend/native-libs/index';

interface HeapBackend {
  refCount(dataId: object): number;
  typedArrayFromHeap(info: tfjs.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * Applies w ← w − lr·g to each variable in place and returns true, or returns
 * false (changing nothing) when the backend is not WASM, or a variable shares
 * its buffer, or is not float32: the caller then uses tfjs's optimizer.
 */
export function sgdInPlace(tf: typeof tfjs, saxpy: Saxpy, variables: readonly tfjs.Variable[], grads: Record<string, tfjs.Tensor>, lr: number): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  const backend = tf.backend() as unknown as HeapBackend;
  for (const v of variables) {
    const g = grads[v.name];
    if (g === undefined || v.dtype !== 'float32' || g.dtype !== 'float32' || g.size !== v.size || backend.refCount(v.dataId) !== 1) return false;
  }
  for (const v of variables) {
    // Views are taken per variable: nothing here allocates, so the heap cannot move in between.
    const w = backend.typedArrayFromHeap(v) as Float32Array;
    saxpy(w.length, -lr, backend.typedArrayFromHeap(grads[v.name]) as Float32Array, w);
  }
  return true;
}
