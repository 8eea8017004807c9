/**
 * Centered clipping (Karimireddy et al. 2021): starting from the previous
 * round's aggregate v, repeat `iterations` times v ← v + 1/K Σ clip_τ(Δ_i − v).
 * Outliers move v by at most τ/K each. v is the layer's state.
 */
import { integerIn, positiveNumber } from '../../validate';
import { clipToNorm } from '../privacy/clipping';
import { checkLengths, type AggregationContext, type Aggregator, type AggregatorInput, type AggregateOutput } from './aggregator';

export interface CenteredClippingOptions {
  /** τ > 0: the radius around the centre. */
  readonly tau: number;
  /** Iterations per round (default 1, as in the paper's experiments with momentum). */
  readonly iterations?: number;
}

export function centeredClipping(options: CenteredClippingOptions): Aggregator {
  const tau = options?.tau;
  const iterations = options?.iterations ?? 1;
  positiveNumber('centeredClipping: tau', tau);
  integerIn('centeredClipping: iterations', iterations, 1);
  return {
    kind: 'aggregator',
    name: `centeredClipping(${tau},${iterations})`,
    traits: { needsIndividualUpdates: true },
    init: () => undefined,
    aggregate(inputs: readonly AggregatorInput[], state: unknown, context: AggregationContext): AggregateOutput {
      checkLengths(inputs, context.dimension);
      const previous = state instanceof Float32Array && state.length === context.dimension ? state : undefined;
      const center = previous ? Float64Array.from(previous) : new Float64Array(context.dimension);
      if (inputs.length === 0) return { delta: Float32Array.from(center), state, metrics: {} };
      const difference = new Float64Array(context.dimension);
      for (let iteration = 0; iteration < iterations; iteration++) {
        const step = new Float64Array(context.dimension);
        for (const input of inputs) {
          for (let j = 0; j < difference.length; j++) difference[j] = input.vector[j] - center[j];
          const clipped = clipToNorm(difference, tau).vector;
          for (let j = 0; j < step.length; j++) step[j] += clipped[j];
        }
        for (let j = 0; j < center.length; j++) center[j] += step[j] / inputs.length;
      }
      const delta = Float32Array.from(center);
      return { delta, state: delta, metrics: {} };
    },
  };
}
