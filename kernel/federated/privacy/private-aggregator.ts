/**
 * The aggregator chain for private rounds: clipping → secure sum → noise → mean.
 *
 * Noise is central: the server adds N(0, (σC)²) once, after the secure sum is
 * unmasked. Distributed noise (each client adding its share) would keep even
 * the server from seeing the exact sum, but with dropouts the survivors' shares
 * fall short of σ, and noise added in fixed point is no longer Gaussian (it needs
 * the distributed discrete Gaussian of Kairouz et al. 2021 and its own
 * accountant). Central noise keeps the accountant exact; secure aggregation
 * still hides every individual update from the server.
 */
import type { AggregationContext, AggregationResult, Aggregator, ClientUpdate } from '../types';
import { nextClip, unclippedFraction } from './adaptive-clipping';
import { clipToNorm } from './clipping';
import { addGaussianNoise, gaussianNoise } from './gaussian-noise';
import { clippedCountStddevFor, validatePrivacySpec, valueNoiseMultiplier, type PrivacySpec } from './privacy-spec';
import { epsilonFor } from './rdp-accountant';
import { resolveSecureAggregation, type SecureAggregationOption } from './secure-aggregation-option';
import { secureSumOfVectors, type SecAggMetrics, type SecureAggregationSettings } from './secagg/secure-sum-layer';

/** How to build a private aggregator. */
export interface PrivateAggregatorOptions {
  /** DP-FedAvg settings; absent for no differential privacy. */
  readonly privacy?: PrivacySpec;
  /** Secure aggregation: true for threshold ⌈2m/3⌉, or { threshold, dropouts?, bound? }. */
  readonly secureAggregation?: SecureAggregationOption;
  /**
   * Weights of clients in the mean without DP. Under DP every client weighs the same
   * (this option is ignored): weighting by example count would let one client with many
   * examples move the mean by more than C / E, so the sensitivity would be unbounded.
   */
  readonly weighting: 'examples' | 'uniform';
}

/** What persists between rounds; pass it back with restore() to replay from an earlier state. */
export interface PrivateAggregatorState {
  /** Clip norm of the next round (adaptive clipping only). */
  readonly clip?: number;
}

/** An aggregator whose adaptive clip norm can be read and set by the round loop. */
export interface PrivateAggregator extends Aggregator {
  /** State after the latest aggregate(): store it in the algorithm state. */
  readonly state: PrivateAggregatorState;
  /** Resets the state, e.g. from the algorithm state passed to next(). */
  restore(state: PrivateAggregatorState): void;
}

/** The per-round `dp` metrics. */
export interface DpMetrics {
  readonly clip: number;
  /** Standard deviation of the noise added to each coordinate of the sum. */
  readonly noiseStd: number;
  /** Adaptive clipping only: the noised fraction of unclipped clients b̄, and the next round's clip. */
  readonly unclippedFraction?: number;
  readonly nextClip?: number;
}

function checkUpdates(updates: readonly ClientUpdate[], dimension: number): void {
  for (const update of updates) {
    if (update.delta.length !== dimension) {
      throw new RangeError(`client ${update.clientId} sent an update of length ${update.delta.length}, expected ${dimension}`);
    }
  }
}

/** The name that appears in metrics and run records, e.g. "dp-gaussian+secagg". */
function aggregatorName(privacy: PrivacySpec | undefined, secure: SecureAggregationSettings | undefined, weighting: string): string {
  const parts = [privacy ? `dp-${privacy.kind}` : `mean-${weighting}`];
  if (secure) parts.push('secagg');
  return parts.join('+');
}

/** Builds the chain clipping → secure sum → noise → mean for one run. */
export function buildPrivateAggregator(options: PrivateAggregatorOptions): PrivateAggregator {
  const privacy = options.privacy === undefined ? undefined : validatePrivacySpec(options.privacy);
  const secure = resolveSecureAggregation(options.secureAggregation);
  if (options.weighting !== 'examples' && options.weighting !== 'uniform') {
    throw new TypeError(`weighting must be 'examples' or 'uniform' (got ${String(options.weighting)})`);
  }
  let state: PrivateAggregatorState = privacy?.kind === 'adaptive' ? { clip: privacy.initialClip } : {};

  const aggregate = (updates: readonly ClientUpdate[], context: AggregationContext): AggregationResult => {
    checkUpdates(updates, context.dimension);
    // Round 1 follows initialize(): a new run starts from the initial clip, not the last run's.
    if (context.round === 1 && privacy?.kind === 'adaptive') state = { clip: privacy.initialClip };
    if (privacy) {
      const { delta, dp, secagg, next } = aggregateWithDp(privacy, secure, state, updates, context);
      state = next;
      return { delta, metrics: { dp, ...(secagg ? { secagg } : {}) } };
    }
    const { delta, secagg } = aggregateWeighted(options.weighting, secure, updates, context);
    return { delta, metrics: secagg ? { secagg } : {} };
  };

  return {
    name: aggregatorName(privacy, secure, options.weighting),
    aggregate,
    get state() {
      return state;
    },
    restore(next: PrivateAggregatorState) {
      if (privacy?.kind === 'adaptive') {
        if (!(typeof next.clip === 'number' && next.clip > 0)) throw new RangeError(`adaptive clipping state needs a clip > 0 (got ${String(next.clip)})`);
        state = { clip: next.clip };
      }
    },
  };
}

/** DP-FedAvg: clip each update to C, sum (securely or not), add N(0, (σC)²), divide by the expected cohort. */
function aggregateWithDp(
  privacy: PrivacySpec,
  secure: SecureAggregationSettings | undefined,
  state: PrivateAggregatorState,
  updates: readonly ClientUpdate[],
  context: AggregationContext,
): { delta: Float32Array; dp: DpMetrics; secagg?: SecAggMetrics; next: PrivateAggregatorState } {
  const { dimension, expectedCohort, rng } = context;
  if (!(expectedCohort > 0)) throw new RangeError(`DP aggregation needs expectedCohort > 0 (got ${expectedCohort})`);
  const clip = privacy.kind === 'adaptive' ? (state.clip as number) : privacy.clip;
  const adaptive = privacy.kind === 'adaptive';
  // Each client's vector: its clipped update, plus (adaptive) C·(b_i − ½) in one extra slot,
  // so that the count of unclipped clients is summed as privately as the updates.
  const vectors = updates.map((update) => {
    const clipped = clipToNorm(update.delta, clip);
    if (!adaptive) return clipped.vector;
    const extended = new Float64Array(dimension + 1);
    extended.set(clipped.vector);
    extended[dimension] = clip * ((clipped.unclipped ? 1 : 0) - 0.5);
    return extended;
  });
  const width = adaptive ? dimension + 1 : dimension;
  let sum: Float64Array;
  let secagg: SecAggMetrics | undefined;
  if (secure && vectors.length > 0) {
    // |Δ_ij| ≤ ‖Δ_i‖ ≤ C after clipping, so C bounds every coordinate exactly.
    const settings = scaleToPoissonCohort(secure, vectors.length, expectedCohort);
    const result = secureSumOfVectors(vectors, vectors.map(() => clip), settings, rng.fork('secagg'));
    sum = result.sum;
    secagg = result.metrics;
  } else {
    sum = new Float64Array(width);
    for (const vector of vectors) for (let j = 0; j < width; j++) sum[j] += vector[j];
  }
  const multiplier = adaptive
    ? valueNoiseMultiplier(privacy.noiseMultiplier, clippedCountStddevFor(privacy, expectedCohort))
    : privacy.noiseMultiplier;
  const noiseStd = multiplier * clip;
  const values = sum.subarray(0, dimension);
  addGaussianNoise(values, noiseStd, rng.fork('dp-noise'));
  const delta = new Float32Array(dimension);
  for (let j = 0; j < dimension; j++) delta[j] = values[j] / expectedCohort;
  if (!adaptive) return { delta, dp: { clip, noiseStd }, secagg, next: {} };

  const countNoise = gaussianNoise(clippedCountStddevFor(privacy, expectedCohort), rng.fork('dp-count-noise'));
  const fraction = unclippedFraction(sum[dimension] / clip + countNoise, expectedCohort);
  const updated = nextClip(clip, fraction, privacy.targetQuantile, privacy.clipLr);
  return { delta, dp: { clip, noiseStd, unclippedFraction: fraction, nextClip: updated }, secagg, next: { clip: updated } };
}

/**
 * Under DP, Poisson sampling makes the cohort size m vary around its expectation E, so a numeric
 * threshold t (and the simulated dropouts) are scaled with it: the same fraction of the cohort,
 * ⌈t·m/E⌉, must survive. Without this a round whose cohort happens to fall below t could not run.
 */
export function scaleToPoissonCohort(settings: SecureAggregationSettings, cohort: number, expectedCohort: number): SecureAggregationSettings {
  if (settings.threshold === 'default' || cohort === expectedCohort) return settings;
  const threshold = Math.min(cohort, Math.max(1, Math.ceil((settings.threshold * cohort) / expectedCohort)));
  const dropouts = Math.min(cohort - threshold, Math.round((settings.dropouts * cohort) / expectedCohort));
  return { ...settings, threshold, dropouts };
}

/** Without DP: the weighted mean Σ α_i Δ_i, α_i = n_i/Σn_j (or 1/m), through secure aggregation when asked. */
function aggregateWeighted(
  weighting: 'examples' | 'uniform',
  secure: SecureAggregationSettings | undefined,
  updates: readonly ClientUpdate[],
  context: AggregationContext,
): { delta: Float32Array; secagg?: SecAggMetrics } {
  const { dimension } = context;
  const delta = new Float32Array(dimension);
  if (updates.length === 0) return { delta };
  const raw = updates.map((u) => (weighting === 'examples' ? u.numExamples : 1));
  const total = raw.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new RangeError(`cannot weight by examples: the cohort's updates report ${total} examples in all`);
  const alphas = raw.map((w) => w / total);
  if (!secure) {
    const sum = new Float64Array(dimension);
    updates.forEach((u, i) => {
      for (let j = 0; j < dimension; j++) sum[j] += alphas[i] * u.delta[j];
    });
    for (let j = 0; j < dimension; j++) delta[j] = sum[j];
    return { delta };
  }
  // Each client sends α_i·Δ_i with coordinates clamped to α_i·B, so the bounds add up to B
  // and the fixed-point scale does not shrink with the cohort. The weights are public
  // (the server knows n_i in plain FedAvg too); the survivors' weights renormalise the sum.
  const vectors = updates.map((u, i) => {
    const v = new Float64Array(dimension);
    for (let j = 0; j < dimension; j++) v[j] = alphas[i] * u.delta[j];
    return v;
  });
  const result = secureSumOfVectors(vectors, alphas.map((a) => a * secure.bound), secure, context.rng.fork('secagg'));
  const survivingWeight = result.survivors.reduce((acc, i) => acc + alphas[i], 0);
  for (let j = 0; j < dimension; j++) delta[j] = result.sum[j] / survivingWeight;
  return { delta, secagg: result.metrics };
}

/** True when the spec needs Poisson client sampling (each client independently with probability q): whenever DP is on. */
export function requiresPoissonSampling(spec: PrivacySpec | undefined): boolean {
  return spec !== undefined;
}

/**
 * (ε, δ) after `rounds` rounds of DP-FedAvg with Poisson sampling rate q = clientsPerRound / numClients.
 * Under adaptive clipping the accountant uses the total noise multiplier z of the spec.
 */
export function privacyAfter(spec: PrivacySpec, progress: { q: number; rounds: number }): { epsilon: number; delta: number; order: number } {
  const { q, rounds } = progress;
  if (!(q > 0 && q <= 1)) throw new RangeError(`privacyAfter: q must be in (0, 1] (got ${q})`);
  if (!Number.isInteger(rounds) || rounds < 0) throw new RangeError(`privacyAfter: rounds must be an integer >= 0 (got ${rounds})`);
  if (rounds === 0) return { epsilon: 0, delta: spec.delta, order: NaN };
  const { epsilon, order } = epsilonFor(q, spec.noiseMultiplier, rounds, spec.delta);
  return { epsilon, delta: spec.delta, order };
}
