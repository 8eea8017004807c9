/**
 * The Gaussian mechanism as a sum layer: adds N(0, (z·C)²) to every model
 * coordinate of the inner sum, C being the sensitivity a clip layer inside it
 * reports. Noise is central, added once after the (secure) sum is known:
 * distributed noise would fall short of σ when clients drop out, and noise in
 * fixed point is no longer Gaussian (Kairouz et al. 2021 need their own accountant).
 */
import { addGaussianNoise } from '../privacy/gaussian-noise';
import { mergeMetrics, type AggregationContext, type AggregatorInput, type SumLayer, type SumOutput } from './aggregator';

/** z, or z as a function of the round (adaptive clipping's value share depends on the expected cohort). */
export type NoiseMultiplier = number | ((context: AggregationContext) => number);

export function gaussianNoise(noiseMultiplier: NoiseMultiplier, inner: SumLayer): SumLayer {
  return {
    kind: 'sum',
    name: `noise(${typeof noiseMultiplier === 'number' ? noiseMultiplier : 'z'})>${inner.name}`,
    traits: { ...inner.traits, private: true },
    init: () => inner.init(),
    aggregate(inputs: readonly AggregatorInput[], state: unknown, context: AggregationContext): SumOutput {
      const output = inner.aggregate(inputs, state, context);
      if (output.sensitivity === undefined) {
        throw new TypeError('gaussianNoise needs a clip layer inside it: without a bound on each update, noise gives no privacy');
      }
      const multiplier = typeof noiseMultiplier === 'number' ? noiseMultiplier : noiseMultiplier(context);
      const noiseStd = multiplier * output.sensitivity;
      addGaussianNoise(output.sum.subarray(0, context.dimension), noiseStd, context.rng.fork('dp-noise'));
      return { ...output, metrics: mergeMetrics({ dp: { clip: output.sensitivity, noiseStd } }, output.metrics) };
    },
  };
}
