/**
 * FedAvg's mean, exactly as the paper states it: Δ = Σ α_i Δ_i with
 * α_i = n_i / Σ_j n_j ('examples') or 1/K ('uniform'). The weighted vectors go
 * through a sum layer (plain or secure); when some dropped out of a secure sum,
 * the survivors' weights renormalise it.
 */
import { checkLengths, type AggregationContext, type Aggregator, type AggregatorInput, type AggregateOutput, type SumLayer } from './aggregator';
import { sum as plainSum } from './sum';

export type Weighting = 'examples' | 'uniform';

/** α_i for each input: n_i / Σ n_j ('examples') or 1/K ('uniform'). */
export function meanWeights(inputs: readonly Pick<AggregatorInput, 'numExamples'>[], weighting: Weighting): number[] {
  const raw = inputs.map((input) => (weighting === 'examples' ? input.numExamples : 1));
  const total = raw.reduce((a, b) => a + b, 0);
  if (inputs.length > 0 && !(total > 0)) throw new RangeError(`cannot weight by examples: the cohort's updates report ${total} examples in all`);
  return raw.map((w) => w / total);
}

/**
 * The float64 accumulator of the fused path, kept between rounds: memory freshly mapped every round
 * costs a page fault per 4 KiB (a CNN's 13 MB: ~20 ms here). aggregate() is synchronous and the
 * accumulator never leaves it, so one per process is enough.
 */
let accumulator = new Float64Array(0);

function scratch(length: number): Float64Array {
  if (accumulator.length !== length) accumulator = new Float64Array(length);
  return accumulator;
}

export function weightedMean(weighting: Weighting = 'examples', inner: SumLayer = plainSum()): Aggregator {
  return {
    kind: 'aggregator',
    name: `${weighting === 'examples' ? 'weightedMean' : 'mean'}>${inner.name}`,
    traits: inner.traits,
    init: () => inner.init(),
    aggregate(inputs: readonly AggregatorInput[], state: unknown, context: AggregationContext): AggregateOutput {
      checkLengths(inputs, context.dimension);
      const delta = new Float32Array(context.dimension);
      if (inputs.length === 0) return { delta, state, metrics: {} };
      const alphas = meanWeights(inputs, weighting);
      if (inner.sumScaled && (context.width ?? context.dimension) === context.dimension) {
        inner.sumScaled(inputs, alphas, scratch(context.dimension), delta);
        return { delta, state, metrics: {} };
      }
      const weighted = inputs.map((input, i) => {
        const vector = new Float64Array(context.dimension);
        for (let j = 0; j < vector.length; j++) vector[j] = alphas[i] * input.vector[j];
        return { ...input, vector, scale: alphas[i] * (input.scale ?? 1) };
      });
      const output = inner.aggregate(weighted, state, context);
      if (output.survivors) {
        const surviving = output.survivors.reduce((acc, i) => acc + alphas[i], 0);
        for (let j = 0; j < delta.length; j++) delta[j] = output.sum[j] / surviving;
      } else {
        for (let j = 0; j < delta.length; j++) delta[j] = output.sum[j];
      }
      return { delta, state: output.state, metrics: output.metrics };
    },
  };
}

/** The unweighted mean 1/K Σ Δ_i. */
export const mean = (inner?: SumLayer): Aggregator => weightedMean('uniform', inner);
