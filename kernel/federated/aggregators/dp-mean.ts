/**
 * DP-FedAvg's estimator (McMahan et al. 2018): the noised sum of clipped updates
 * divided by the expected cohort size E = q·N, not by the cohort that showed up,
 * so that the sensitivity of the mean stays C/E under Poisson sampling. Every
 * client weighs the same: weighting by examples would let one client with many
 * examples move the mean by more than C/E.
 */
import { checkLengths, type AggregationContext, type Aggregator, type AggregatorInput, type AggregateOutput, type SumLayer } from './aggregator';

export function dpMean(inner: SumLayer): Aggregator {
  return {
    kind: 'aggregator',
    name: `dpMean>${inner.name}`,
    traits: inner.traits,
    init: () => inner.init(),
    aggregate(inputs: readonly AggregatorInput[], state: unknown, context: AggregationContext): AggregateOutput {
      checkLengths(inputs, context.dimension);
      const { dimension, expectedCohort } = context;
      if (!(expectedCohort > 0)) throw new RangeError(`DP aggregation needs expectedCohort > 0 (got ${expectedCohort})`);
      const output = inner.aggregate(inputs, state, context);
      const delta = new Float32Array(dimension);
      for (let j = 0; j < dimension; j++) delta[j] = output.sum[j] / expectedCohort;
      return { delta, state: output.state, metrics: output.metrics };
    },
  };
}
