/**
 * Secure aggregation (Bonawitz et al. 2017) as a sum layer: the server only ever
 * sees masked vectors and recovers the survivors' sum. Each coordinate must lie
 * within a public bound: a clip layer's norm, or the setting's bound B scaled by
 * what a mean applied (α_i·B).
 */
import type { SecureAggregationSettings } from '../privacy/secagg/secure-sum-layer';
import { secureSumOfVectors } from '../privacy/secagg/secure-sum-layer';
import type { AggregationContext, AggregatorInput, SumLayer, SumOutput } from './aggregator';

export interface SecureSumOptions {
  readonly settings: SecureAggregationSettings;
  /**
   * Under Poisson sampling the cohort m varies around its expectation E, so a numeric
   * threshold t (and the simulated dropouts) scale with it: ⌈t·m/E⌉ must survive.
   */
  readonly scaleToCohort?: boolean;
}

export function secureSum(options: SecureSumOptions): SumLayer {
  const { settings } = options;
  return {
    kind: 'sum',
    name: 'secureSum',
    traits: { secure: true },
    init: () => undefined,
    aggregate(inputs: readonly AggregatorInput[], state: unknown, context: AggregationContext): SumOutput {
      if (inputs.length === 0) return { sum: new Float64Array(context.width ?? context.dimension), state, metrics: {} };
      const round = options.scaleToCohort ? scaleToPoissonCohort(settings, inputs.length, context.expectedCohort) : settings;
      const bounds = inputs.map((input) => (input.scale ?? 1) * (input.bound ?? settings.bound));
      const result = secureSumOfVectors(
        inputs.map((input) => input.vector),
        bounds,
        round,
        context.rng.fork('secagg'),
      );
      return { sum: result.sum, survivors: result.survivors, state, metrics: { secagg: result.metrics } };
    },
  };
}

/** The threshold and dropouts of a Poisson-sampled cohort of `cohort` clients whose expectation is `expectedCohort`. */
export function scaleToPoissonCohort(settings: SecureAggregationSettings, cohort: number, expectedCohort: number): SecureAggregationSettings {
  if (settings.threshold === 'default' || cohort === expectedCohort) return settings;
  const threshold = Math.min(cohort, Math.max(1, Math.ceil((settings.threshold * cohort) / expectedCohort)));
  const dropouts = Math.min(cohort - threshold, Math.round((settings.dropouts * cohort) / expectedCohort));
  return { ...settings, threshold, dropouts };
}
