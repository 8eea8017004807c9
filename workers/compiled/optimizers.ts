/**
 * The client optimizers of the compiled step, in place on the flat weight
 * vector, with tfjs's formulas and constants (tf.train.sgd, tf.train.adam).
 * A fresh state per client, as trainLocally creates a fresh tfjs optimizer.
 */
import type { Saxpy } from '../backend/native-libs/blas';

export interface CompiledOptimizer {
  /** w ← w − update(g) over the trainable ranges. */
  apply(weights: Float32Array, gradient: Float32Array): void;
}

/** w ← w − lr·g, through BLAS's saxpy when given (vectorised; a CNN has millions of weights). */
export function createSgd(lr: number, trainable: ReadonlyArray<[number, number]>, saxpy?: Saxpy): CompiledOptimizer {
  const rate = Math.fround(lr);
  return {
    apply(w, g) {
      for (const [offset, size] of trainable) {
        if (saxpy) saxpy(size, -rate, g.subarray(offset, offset + size), w.subarray(offset, offset + size));
        else for (let j = offset; j < offset + size; j++) w[j] -= rate * g[j];
      }
    },
  };
}

/** Adam buffers, kept per worker and zeroed per client. */
export interface AdamMoments {
  first: Float32Array;
  second: Float32Array;
}

/** tf.train.adam(lr) with β1 0.9, β2 0.999 and the backend's epsilon; bias corrections accumulate in float32 as in tfjs. */
export function createAdam(lr: number, epsilon: number, moments: AdamMoments, trainable: ReadonlyArray<[number, number]>): CompiledOptimizer {
  const beta1 = 0.9,
    beta2 = 0.999;
  moments.first.fill(0);
  moments.second.fill(0);
  let accBeta1 = Math.fround(beta1),
    accBeta2 = Math.fround(beta2);
  return {
    apply(w, g) {
      const { first: m, second: v } = moments;
      const c1 = 1 - accBeta1,
        c2 = 1 - accBeta2;
      for (const [offset, size] of trainable) {
        for (let j = offset; j < offset + size; j++) {
          const gj = g[j];
          m[j] = m[j] * beta1 + gj * (1 - beta1);
          v[j] = v[j] * beta2 + gj * gj * (1 - beta2);
          w[j] -= (lr * (m[j] / c1)) / (Math.sqrt(v[j] / c2) + epsilon);
        }
      }
      accBeta1 = Math.fround(accBeta1 * beta1);
      accBeta2 = Math.fround(accBeta2 * beta2);
    },
  };
}
