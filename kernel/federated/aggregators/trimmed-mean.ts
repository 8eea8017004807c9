/**
 * Coordinate-wise trimmed mean (Yin et al. 2018): per coordinate, drop the
 * ⌊β·K⌋ largest and ⌊β·K⌋ smallest values and average the rest.
 */
import { checkLengths, type AggregationContext, type Aggregator, type AggregatorInput, type AggregateOutput } from './aggregator';
import { coordinateWise } from './order-statistics';

export interface TrimmedMeanOptions {
  /** β in [0, 0.5): the share trimmed at each end. */
  readonly beta: number;
}

export function trimmedMean(options: TrimmedMeanOptions): Aggregator {
  const beta = options?.beta;
  if (!(typeof beta === 'number' && beta >= 0 && beta < 0.5)) {
    throw new RangeError(`trimmedMean: beta must be in [0, 0.5) (got ${String(beta)}): it is the share of values trimmed at each end`);
  }
  return {
    kind: 'aggregator',
    name: `trimmedMean(${beta})`,
    traits: { needsIndividualUpdates: true },
    init: () => undefined,
    aggregate(inputs: readonly AggregatorInput[], state: unknown, context: AggregationContext): AggregateOutput {
      checkLengths(inputs, context.dimension);
      if (inputs.length === 0) return { delta: new Float32Array(context.dimension), state, metrics: {} };
      const trim = Math.floor(beta * inputs.length);
      const kept = inputs.length - 2 * trim;
      const delta = coordinateWise(inputs, context.dimension, (sorted) => {
        let total = 0;
        for (let i = trim; i < inputs.length - trim; i++) total += sorted[i];
        return total / kept;
      });
      return { delta, state, metrics: { trimmed: 2 * trim } };
    },
  };
}
