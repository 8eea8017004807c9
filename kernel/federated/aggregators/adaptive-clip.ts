/**
 * Adaptive clipping (Andrew et al. 2021) as a sum layer: clips at the current
 * norm C, sums each client's bit "was I unclipped" as privately as the updates
 * (one extra coordinate, C·(b_i − ½), through the same sum), then moves C toward
 * the target quantile of update norms. C is the layer's state.
 */
import { nextClip, unclippedFraction } from '../privacy/adaptive-clipping';
import { clipToNorm } from '../privacy/clipping';
import { gaussianNoise as scalarNoise } from '../privacy/gaussian-noise';
import { mergeMetrics, type AggregationContext, type AggregatorInput, type SumLayer, type SumOutput } from './aggregator';

export interface AdaptiveClipOptions {
  readonly initialClip: number;
  readonly targetQuantile: number;
  readonly clipLr: number;
  /** σ_b: noise on the count of unclipped clients, for this round's expected cohort. */
  readonly clippedCountStddev: (expectedCohort: number) => number;
}

export interface AdaptiveClipState {
  readonly clip: number;
  readonly inner: unknown;
}

export function adaptiveClip(options: AdaptiveClipOptions, inner: SumLayer): SumLayer {
  return {
    kind: 'sum',
    name: `adaptiveClip(${options.targetQuantile})>${inner.name}`,
    traits: inner.traits,
    init: (): AdaptiveClipState => ({ clip: options.initialClip, inner: inner.init() }),
    aggregate(inputs: readonly AggregatorInput[], state: unknown, context: AggregationContext): SumOutput {
      const { clip, inner: innerState } = checkState(state);
      const { dimension, expectedCohort } = context;
      const extended = inputs.map((input) => {
        const clipped = clipToNorm(input.vector, clip);
        const vector = new Float64Array(dimension + 1);
        vector.set(clipped.vector);
        vector[dimension] = clip * ((clipped.unclipped ? 1 : 0) - 0.5);
        return { ...input, vector, bound: clip };
      });
      const output = inner.aggregate(extended, innerState, { ...context, width: dimension + 1 });
      const countNoise = scalarNoise(options.clippedCountStddev(expectedCohort), context.rng.fork('dp-count-noise'));
      const fraction = unclippedFraction(output.sum[dimension] / clip + countNoise, expectedCohort);
      const updated = nextClip(clip, fraction, options.targetQuantile, options.clipLr);
      return {
        ...output,
        sensitivity: clip,
        state: { clip: updated, inner: output.state } satisfies AdaptiveClipState,
        metrics: mergeMetrics({ dp: { unclippedFraction: fraction, nextClip: updated } }, output.metrics),
      };
    },
  };
}

function checkState(state: unknown): AdaptiveClipState {
  const clip = (state as AdaptiveClipState | undefined)?.clip;
  if (!(typeof clip === 'number' && clip > 0)) throw new RangeError(`adaptive clipping state needs a clip > 0 (got ${String(clip)})`);
  return state as AdaptiveClipState;
}
