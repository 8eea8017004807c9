/**
 * Server-side optimisers applied to the aggregated delta (Reddi et al. 2021,
 * "Adaptive Federated Optimization"). The aggregated delta Δ is treated as a
 * pseudo-gradient pointing downhill, so every update adds to the weights.
 * Pure functions over Float32Array; the state is returned, never mutated.
 */
export type ServerOptimizerState = Record<string, Float32Array>;

export interface ServerOptimizer {
  readonly name: string;
  init(dimension: number): ServerOptimizerState;
  step(weights: Float32Array, delta: Float32Array, state: ServerOptimizerState): { weights: Float32Array; state: ServerOptimizerState };
}

/** FedAvg's server: w ← w + η Δ (η = 1 is plain FedAvg). */
export function plainServer(serverLr = 1): ServerOptimizer {
  return {
    name: 'sgd',
    init: () => ({}),
    step(weights, delta) {
      const next = new Float32Array(weights.length);
      for (let j = 0; j < weights.length; j++) next[j] = weights[j] + serverLr * delta[j];
      return { weights: next, state: {} };
    },
  };
}

/** FedAvgM: v ← βv + Δ;  w ← w + η v (Hsu et al. 2019). */
export function momentumServer(serverLr: number, momentum: number): ServerOptimizer {
  return {
    name: 'momentum',
    init: (dimension) => ({ velocity: new Float32Array(dimension) }),
    step(weights, delta, state) {
      const velocity = new Float32Array(weights.length);
      const next = new Float32Array(weights.length);
      for (let j = 0; j < weights.length; j++) {
        velocity[j] = momentum * state.velocity[j] + delta[j];
        next[j] = weights[j] + serverLr * velocity[j];
      }
      return { weights: next, state: { velocity } };
    },
  };
}

export type AdaptiveKind = 'adam' | 'yogi' | 'adagrad';

/**
 * FedAdam / FedYogi / FedAdagrad (Reddi et al. Algorithm 2):
 *   m ← β1 m + (1 − β1) Δ
 *   v ← v + Δ²                               (Adagrad)
 *   v ← v − (1 − β2) Δ² sign(v − Δ²)         (Yogi)
 *   v ← β2 v + (1 − β2) Δ²                   (Adam)
 *   w ← w + η m / (√v + τ)
 * v starts at τ², as in the paper.
 */
export function adaptiveServer(kind: AdaptiveKind, options: { serverLr: number; beta1: number; beta2: number; tau: number }): ServerOptimizer {
  const { serverLr, beta1, beta2, tau } = options;
  return {
    name: kind,
    init: (dimension) => ({ m: new Float32Array(dimension), v: new Float32Array(dimension).fill(tau * tau) }),
    step(weights, delta, state) {
      const m = new Float32Array(weights.length);
      const v = new Float32Array(weights.length);
      const next = new Float32Array(weights.length);
      for (let j = 0; j < weights.length; j++) {
        const d = delta[j];
        const d2 = d * d;
        m[j] = beta1 * state.m[j] + (1 - beta1) * d;
        const vPrev = state.v[j];
        if (kind === 'adagrad') v[j] = vPrev + d2;
        else if (kind === 'yogi') v[j] = vPrev - (1 - beta2) * d2 * Math.sign(vPrev - d2);
        else v[j] = beta2 * vPrev + (1 - beta2) * d2;
        next[j] = weights[j] + (serverLr * m[j]) / (Math.sqrt(v[j]) + tau);
      }
      return { weights: next, state: { m, v } };
    },
  };
}
