/**
 * A secure aggregation stack split at the secure sum: `plan` says how each
 * client of a cohort encodes its update (weight, clip, fixed-point scale: plain
 * data, see secure-encoding.ts), `finish` turns the recovered sum into the
 * round's delta (renormalised mean, DP noise, division by the expected cohort,
 * adaptive clip update). In the simulation the sum in between is the in-process
 * protocol over the clients' encoded updates; across processes the transport
 * runs the protocol and hands `finish` the sum, and the server never holds an
 * update. Both paths go through the same plan, encoding and finish.
 */
import type { SecAggMetrics } from '../../contract';
import { nextClip, unclippedFraction } from '../privacy/adaptive-clipping';
import { addGaussianNoise, gaussianNoise as scalarNoise } from '../privacy/gaussian-noise';
import { clippedCountStddevFor, valueNoiseMultiplier, type PrivacySpec } from '../privacy/privacy-spec';
import { decodeFixedPoint, fixedPointScale } from '../privacy/secagg/fixed-point';
import { defaultThreshold, runSecureSum } from '../privacy/secagg/run-secure-sum';
import type { SecureAggregationSettings } from '../privacy/secagg/secure-sum-layer';
import { checkLengths, mergeMetrics, type AggregateOutput, type AggregationContext, type Aggregator, type AggregatorInput, type Metrics } from './aggregator';
import { encodeUpdate, type SecureEncoding } from './secure-encoding';
import { meanWeights, type Weighting } from './weighted-mean';

/** A client of the cohort whose updates are summed, as the plan needs it. */
export interface CohortMember {
  readonly clientId: number;
  /** n_i: the examples it trains on. */
  readonly numExamples: number;
}

/** How one round's secure sum is made: one encoding per cohort member, in cohort order. */
export interface SecurePlan {
  readonly cohort: readonly CohortMember[];
  readonly encodings: readonly SecureEncoding[];
  /** t: members that must be left at every step of the protocol. */
  readonly threshold: number;
  /** Simulated dropouts (the in-process protocol only; a federation's clients drop for real). */
  readonly dropouts: number;
  readonly scale: number;
  /** Words per encoded update: the model's dimension, plus one under adaptive clipping. */
  readonly width: number;
}

/** What the protocol recovered: the decoded sum over the survivors (positions in the plan's cohort). */
export interface RecoveredSum {
  readonly sum: Float64Array;
  readonly survivors: readonly number[];
  readonly metrics?: SecAggMetrics;
}

/** How a secure round's clients encode their updates, given how many examples each trains on. */
export interface SecureSumRequest {
  /** `cohort` sorted by client id (the order the simulation sums in). */
  plan(cohort: readonly CohortMember[]): SecurePlan;
}

/** A secure round's result: the plan the clients followed and the sum of the survivors' encoded updates. */
export interface SecureSumOutcome {
  readonly plan: SecurePlan;
  readonly recovered: RecoveredSum;
}

export interface SecureStack {
  plan(cohort: readonly CohortMember[], state: unknown, context: Omit<AggregationContext, 'rng'>): SecurePlan;
  finish(plan: SecurePlan, recovered: RecoveredSum, state: unknown, context: AggregationContext): AggregateOutput;
}

/** An aggregator whose clients' updates only ever reach the server as a secure sum. */
export type SecureAggregator = Aggregator & { readonly secure: SecureStack };

export interface SecureChoice {
  readonly secure: SecureAggregationSettings;
  readonly privacy?: PrivacySpec;
  readonly weighting: Weighting;
}

interface AdaptiveState {
  readonly clip: number;
  readonly inner: unknown;
}

/** FedAvg's weighted mean, DP-FedAvg or DP-FedAvg with adaptive clipping, over a secure sum. */
export function secureAggregator(choice: SecureChoice): SecureAggregator {
  const { secure: settings, privacy, weighting } = choice;
  const stack: SecureStack = {
    plan(cohort, state, context) {
      const m = cohort.length;
      // Under Poisson sampling the threshold scales with the cohort that showed up.
      const round = privacy ? scaleToPoissonCohort(settings, m, context.expectedCohort) : settings;
      const threshold = round.threshold === 'default' ? defaultThreshold(m) : round.threshold;
      const clip = privacy === undefined ? undefined : privacy.kind === 'gaussian' ? privacy.clip : adaptiveState(state).clip;
      const weights = privacy ? cohort.map(() => 1) : meanWeights(cohort, weighting);
      const bounds = weights.map((alpha) => (clip === undefined ? alpha * settings.bound : clip));
      const scale =
        m === 0
          ? 1
          : fixedPointScale(
              bounds.reduce((a, b) => a + b, 0),
              m,
            );
      const countUnclipped = privacy?.kind === 'adaptive';
      const encodings = cohort.map((_, i) => ({
        ...(clip === undefined ? {} : { clip }),
        ...(countUnclipped ? { countUnclipped } : {}),
        weight: weights[i],
        bound: bounds[i],
        scale,
      }));
      return { cohort, encodings, threshold, dropouts: round.dropouts, scale, width: context.dimension + (countUnclipped ? 1 : 0) };
    },

    finish(plan, recovered, state, context) {
      const { dimension, expectedCohort } = context;
      const secagg: Metrics = recovered.metrics ? { secagg: recovered.metrics } : {};
      const delta = new Float32Array(dimension);
      if (!privacy) {
        if (plan.cohort.length === 0) return { delta, state, metrics: {} };
        // The survivors' weights renormalise the mean when some dropped out.
        const surviving = recovered.survivors.reduce((acc, i) => acc + plan.encodings[i].weight, 0);
        for (let j = 0; j < dimension; j++) delta[j] = recovered.sum[j] / surviving;
        return { delta, state, metrics: secagg };
      }
      if (!(expectedCohort > 0)) throw new RangeError(`DP aggregation needs expectedCohort > 0 (got ${expectedCohort})`);
      let nextState = state;
      let metrics = secagg;
      let multiplier: number;
      let clip: number;
      if (privacy.kind === 'gaussian') {
        clip = privacy.clip;
        multiplier = privacy.noiseMultiplier;
      } else {
        const current = adaptiveState(state);
        clip = current.clip;
        const countStddev = clippedCountStddevFor(privacy, expectedCohort);
        const countNoise = scalarNoise(countStddev, context.rng.fork('dp-count-noise'));
        const fraction = unclippedFraction(recovered.sum[dimension] / clip + countNoise, expectedCohort);
        const updated = nextClip(clip, fraction, privacy.targetQuantile, privacy.clipLr);
        nextState = { clip: updated, inner: current.inner } satisfies AdaptiveState;
        metrics = mergeMetrics({ dp: { unclippedFraction: fraction, nextClip: updated } }, metrics);
        multiplier = valueNoiseMultiplier(privacy.noiseMultiplier, countStddev);
      }
      // Central noise, added once to the recovered sum (see gaussian-noise.ts for why not on the clients).
      const noiseStd = multiplier * clip;
      addGaussianNoise(recovered.sum.subarray(0, dimension), noiseStd, context.rng.fork('dp-noise'));
      metrics = mergeMetrics({ dp: { clip, noiseStd } }, metrics);
      for (let j = 0; j < dimension; j++) delta[j] = recovered.sum[j] / expectedCohort;
      return { delta, state: nextState, metrics };
    },
  };

  const name = !privacy
    ? `${weighting === 'examples' ? 'weightedMean' : 'mean'}>secureSum`
    : privacy.kind === 'gaussian'
      ? `dpMean>noise(${privacy.noiseMultiplier})>clip(${privacy.clip})>secureSum`
      : `dpMean>noise(z)>adaptiveClip(${privacy.targetQuantile})>secureSum`;
  return {
    kind: 'aggregator',
    name,
    traits: { secure: true, ...(privacy ? { private: true } : {}) },
    secure: stack,
    init: () => (privacy?.kind === 'adaptive' ? ({ clip: privacy.initialClip, inner: undefined } satisfies AdaptiveState) : undefined),
    /** The simulation: every client's encoded update goes through the in-process protocol. */
    aggregate(inputs: readonly AggregatorInput[], state: unknown, context: AggregationContext): AggregateOutput {
      checkLengths(inputs, context.dimension);
      const plan = stack.plan(inputs, state, context);
      if (inputs.length === 0) return stack.finish(plan, { sum: new Float64Array(plan.width), survivors: [] }, state, context);
      const encoded = inputs.map((input, i) => encodeUpdate(input.vector, plan.encodings[i]));
      const result = runSecureSum(encoded, { threshold: plan.threshold, dropouts: plan.dropouts, rng: context.rng.fork('secagg') });
      const metrics: SecAggMetrics = {
        dropped: result.dropped,
        recovered: true,
        ms: result.ms,
        serverMs: result.serverMs,
        bytes: result.bytes,
        threshold: plan.threshold,
        scale: plan.scale,
      };
      return stack.finish(plan, { sum: decodeFixedPoint(result.sum, plan.scale), survivors: result.survivors, metrics }, state, context);
    },
  };
}

function adaptiveState(state: unknown): AdaptiveState {
  const clip = (state as AdaptiveState | undefined)?.clip;
  if (!(typeof clip === 'number' && clip > 0)) throw new RangeError(`adaptive clipping state needs a clip > 0 (got ${String(clip)})`);
  return state as AdaptiveState;
}

/**
 * Under Poisson sampling the cohort m varies around its expectation E, so a numeric threshold t (and the simulated
 * dropouts) scale with it: ⌈t·m/E⌉ must survive.
 */
export function scaleToPoissonCohort(settings: SecureAggregationSettings, cohort: number, expectedCohort: number): SecureAggregationSettings {
  if (settings.threshold === 'default' || cohort === expectedCohort) return settings;
  const threshold = Math.min(cohort, Math.max(1, Math.ceil((settings.threshold * cohort) / expectedCohort)));
  const dropouts = Math.min(cohort - threshold, Math.round((settings.dropouts * cohort) / expectedCohort));
  return { ...settings, threshold, dropouts };
}
