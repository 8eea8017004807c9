/**
 * Plain (non-private) aggregation of client updates, exactly as FedAvg states it:
 *   Δw_i = w_i − w;  w ← w + Σ α_i Δw_i  with  α_i = n_i / Σ_j n_j
 * or with α_i = 1/K (unweighted mean) when asked.
 */
import type { Aggregator, AggregationResult, ClientUpdate } from './types';

export type Weighting = 'examples' | 'uniform';

/** α_i for each update: n_i / Σ n_j ('examples') or 1/K ('uniform'). */
export function aggregationWeights(updates: readonly Pick<ClientUpdate, 'numExamples'>[], weighting: Weighting): Float64Array {
  const alphas = new Float64Array(updates.length);
  if (updates.length === 0) return alphas;
  if (weighting === 'uniform') return alphas.fill(1 / updates.length);
  let total = 0;
  for (const update of updates) total += update.numExamples;
  if (!(total > 0)) throw new RangeError('cannot weight by examples: the updates hold 0 examples in total');
  updates.forEach((update, i) => { alphas[i] = update.numExamples / total; });
  return alphas;
}

/** Σ α_i Δw_i, accumulated in float64 for stability, returned as float32. */
export function weightedSum(deltas: readonly Float32Array[], alphas: ArrayLike<number>): Float32Array {
  if (deltas.length === 0) throw new RangeError('cannot aggregate zero updates');
  const dimension = deltas[0].length;
  const sum = new Float64Array(dimension);
  deltas.forEach((delta, i) => {
    if (delta.length !== dimension) {
      throw new RangeError(`update ${i} has ${delta.length} values, expected ${dimension}`);
    }
    const alpha = alphas[i];
    for (let j = 0; j < dimension; j++) sum[j] += alpha * delta[j];
  });
  return Float32Array.from(sum);
}

/** w + Δ as a new array. */
export function applyDelta(weights: Float32Array, delta: Float32Array): Float32Array {
  if (weights.length !== delta.length) throw new RangeError(`delta has ${delta.length} values, weights have ${weights.length}`);
  const result = new Float32Array(weights.length);
  for (let j = 0; j < weights.length; j++) result[j] = weights[j] + delta[j];
  return result;
}

/** The plain mean aggregator: weighted by example counts or uniform. */
export function createMeanAggregator(weighting: Weighting = 'examples'): Aggregator {
  return {
    name: weighting === 'examples' ? 'weighted-mean' : 'mean',
    aggregate(updates: readonly ClientUpdate[]): AggregationResult {
      const alphas = aggregationWeights(updates, weighting);
      return { delta: weightedSum(updates.map((u) => u.delta), alphas), metrics: {} };
    },
  };
}

/** Why an update cannot be used, or undefined when it is fine (wrong length, NaN or Inf). */
export function findInvalidUpdate(delta: Float32Array, dimension: number): string | undefined {
  if (delta.length !== dimension) return `update has ${delta.length} values, the model has ${dimension}`;
  for (let j = 0; j < delta.length; j++) {
    if (!Number.isFinite(delta[j])) return `update value ${j} is ${delta[j]} (NaN or Inf updates are rejected)`;
  }
  return undefined;
}
