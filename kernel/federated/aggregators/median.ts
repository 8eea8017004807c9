/**
 * Coordinate-wise median (Yin et al. 2018): each coordinate of the delta is the
 * median of the clients' values, the mean of the two middle ones for an even
 * count. Up to half the clients minus one can be arbitrarily wrong.
 */
import { checkLengths, type AggregationContext, type Aggregator, type AggregatorInput, type AggregateOutput } from './aggregator';
import { coordinateWise } from './order-statistics';

export function median(): Aggregator {
  return {
    kind: 'aggregator',
    name: 'median',
    traits: { needsIndividualUpdates: true },
    init: () => undefined,
    aggregate(inputs: readonly AggregatorInput[], state: unknown, context: AggregationContext): AggregateOutput {
      checkLengths(inputs, context.dimension);
      if (inputs.length === 0) return { delta: new Float32Array(context.dimension), state, metrics: {} };
      const middle = inputs.length >> 1;
      const odd = inputs.length % 2 === 1;
      const delta = coordinateWise(inputs, context.dimension, (sorted) => (odd ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2));
      return { delta, state, metrics: {} };
    },
  };
}
