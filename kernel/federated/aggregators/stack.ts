/**
 * Builds a strategy's aggregation from what the user asked for: a robust or
 * custom aggregator, differential privacy, secure aggregation. Privacy and
 * secure aggregation are layers like any other; this file only decides the
 * order and refuses the combinations that are not sound.
 */
import { clippedCountStddevFor, valueNoiseMultiplier, type PrivacySpec } from '../privacy/privacy-spec';
import type { SecureAggregationSettings } from '../privacy/secagg/secure-sum-layer';
import type { Aggregator, SumLayer } from './aggregator';
import { adaptiveClip } from './adaptive-clip';
import { clip } from './clip';
import { dpMean } from './dp-mean';
import { gaussianNoise } from './gaussian-noise';
import { secureAggregator } from './secure-stack';
import { sum } from './sum';
import { weightedMean, type Weighting } from './weighted-mean';

export interface AggregationChoice {
  /** A user aggregator (fed.aggregators.median(), ...); the weighted mean when absent. */
  readonly aggregator?: Aggregator;
  readonly privacy?: PrivacySpec;
  readonly secure?: SecureAggregationSettings;
  readonly weighting: Weighting;
}

export function buildAggregation(choice: AggregationChoice, where = 'aggregator'): Aggregator {
  const { aggregator, privacy, secure } = choice;
  if (aggregator && secure && aggregator.traits.needsIndividualUpdates) {
    throw new TypeError(
      `${where}: secure aggregation cannot be combined with ${aggregator.name}: the server only ever learns the sum of the updates, ` +
        'and this aggregator needs each update in the clear. Drop secureAggregation, or use the (weighted) mean.',
    );
  }
  if (aggregator && secure) {
    // Returning the aggregator as is would aggregate every update in the clear and drop the secure sum without a word.
    throw new TypeError(
      `${where}: secure aggregation cannot be combined with a custom aggregator (${aggregator.name}): secureAggregation brings its own mean ` +
        `over the secure sum, and ${aggregator.name} would run on each update in the clear instead, so nothing would be summed securely. ` +
        "Leave out aggregator (the strategy's mean runs over the secure sum; weighting: 'uniform' gives the unweighted mean), or drop secureAggregation.",
    );
  }
  if (aggregator && privacy) {
    throw new TypeError(
      `${where}: differential privacy calibrates its noise to a clipped sum divided by the expected cohort; ${aggregator.name} has another sensitivity, ` +
        "so the accountant's ε would not hold. Drop the aggregator (DP uses its own mean), or drop privacy and pre-clip: fed.aggregators.clip(norm, aggregator).",
    );
  }
  if (aggregator) return aggregator;
  // Split at the secure sum, so that a federation's clients can do the part below it themselves (secure-stack.ts).
  if (secure) return secureAggregator({ secure, privacy, weighting: choice.weighting });
  const inner: SumLayer = sum();
  if (!privacy) return weightedMean(choice.weighting, inner);
  if (privacy.kind === 'gaussian') return dpMean(gaussianNoise(privacy.noiseMultiplier, clip(privacy.clip, inner)));
  const countStddev = (expectedCohort: number): number => clippedCountStddevFor(privacy, expectedCohort);
  return dpMean(
    gaussianNoise(
      (context) => valueNoiseMultiplier(privacy.noiseMultiplier, countStddev(context.expectedCohort)),
      adaptiveClip(
        { initialClip: privacy.initialClip, targetQuantile: privacy.targetQuantile, clipLr: privacy.clipLr, clippedCountStddev: countStddev },
        inner,
      ),
    ),
  );
}
