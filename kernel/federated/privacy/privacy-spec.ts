/**
 * What a user asks for when they turn on differential privacy: a small,
 * serialisable description (it goes into run records as a hyperparameter),
 * validated here with exact messages so that bad input fails at the edge.
 */

/** DP-FedAvg with a fixed clip norm (McMahan et al. 2018). */
import { checkKnownOptions, numberIn, positiveNumber, requireObject } from '../../validate';

export interface GaussianPrivacySpec {
  readonly kind: 'gaussian';
  /** C: each client's update is scaled down to L2 norm at most C. */
  readonly clip: number;
  /** z: the noise added to the sum of clipped updates has standard deviation z·C per coordinate. */
  readonly noiseMultiplier: number;
  /** δ of the (ε, δ) guarantee reported each round. */
  readonly delta: number;
}

/** DP-FedAvg with adaptive clipping toward a quantile of update norms (Andrew et al. 2021). */
export interface AdaptivePrivacySpec {
  readonly kind: 'adaptive';
  /** γ: the fraction of clients whose update should be left unclipped. */
  readonly targetQuantile: number;
  /** Clip norm of the first round. */
  readonly initialClip: number;
  /** η_C of the geometric update C ← C·exp(−η_C (b̄ − γ)). */
  readonly clipLr: number;
  /** z: total noise multiplier used by the accountant (value and count queries together). */
  readonly noiseMultiplier: number;
  /** σ_b: std of the noise on the count of unclipped clients; default 0.05 × expected cohort (TFF's choice). */
  readonly clippedCountStddev?: number;
  readonly delta: number;
}

export type PrivacySpec = GaussianPrivacySpec | AdaptivePrivacySpec;

const requirePositive = (where: string, name: string, value: unknown): number => positiveNumber(`${where}: ${name}`, value);
const requireNonNegative = (where: string, name: string, value: unknown): number => positiveNumber(`${where}: ${name}`, value, true);
const requireOpenUnit = (where: string, name: string, value: unknown): number => numberIn(`${where}: ${name}`, value, 0, 1, true, true);

/** Validates and builds a fixed-clip Gaussian spec. */
export function createGaussianSpec(options: unknown, where = 'dp.gaussian'): GaussianPrivacySpec {
  const o = requireObject(where, options);
  checkKnownOptions(where, o, ['kind', 'clip', 'noiseMultiplier', 'delta']);
  return Object.freeze({
    kind: 'gaussian' as const,
    clip: requirePositive(where, 'clip', o.clip),
    noiseMultiplier: requireNonNegative(where, 'noiseMultiplier', o.noiseMultiplier),
    delta: requireOpenUnit(where, 'delta', o.delta),
  });
}

/** Validates and builds an adaptive-clipping spec, filling TFF's defaults (initial clip 0.1, clip learning rate 0.2). */
export function createAdaptiveSpec(options: unknown, where = 'dp.adaptive'): AdaptivePrivacySpec {
  const o = requireObject(where, options);
  checkKnownOptions(where, o, ['kind', 'targetQuantile', 'initialClip', 'clipLr', 'noiseMultiplier', 'clippedCountStddev', 'delta']);
  const targetQuantile = numberIn(`${where}: targetQuantile`, o.targetQuantile, 0, 1);
  const noiseMultiplier = requireNonNegative(where, 'noiseMultiplier', o.noiseMultiplier);
  const clippedCountStddev = o.clippedCountStddev === undefined ? undefined : requireNonNegative(where, 'clippedCountStddev', o.clippedCountStddev);
  if (clippedCountStddev !== undefined && noiseMultiplier > 0) valueNoiseMultiplier(noiseMultiplier, clippedCountStddev, where);
  return Object.freeze({
    kind: 'adaptive' as const,
    targetQuantile,
    initialClip: o.initialClip === undefined ? 0.1 : requirePositive(where, 'initialClip', o.initialClip),
    clipLr: o.clipLr === undefined ? 0.2 : requireNonNegative(where, 'clipLr', o.clipLr),
    noiseMultiplier,
    ...(clippedCountStddev === undefined ? {} : { clippedCountStddev }),
    delta: requireOpenUnit(where, 'delta', o.delta),
  });
}

/** Checks a spec that arrived from elsewhere (e.g. a strategy option or a run record). */
export function validatePrivacySpec(spec: unknown, where = 'privacy'): PrivacySpec {
  const o = requireObject(where, spec);
  if (o.kind === 'gaussian') return createGaussianSpec(o, where);
  if (o.kind === 'adaptive') return createAdaptiveSpec(o, where);
  throw new TypeError(`${where}: kind must be 'gaussian' or 'adaptive' (got ${String(o.kind)}); build it with fed.dp.gaussian() or fed.dp.adaptive()`);
}

/** TFF's default σ_b per expected client: σ_b = 0.05 × expected cohort. */
const DEFAULT_COUNT_STDDEV_PER_CLIENT = 0.05;

function defaultClippedCountStddev(expectedCohort: number): number {
  return DEFAULT_COUNT_STDDEV_PER_CLIENT * expectedCohort;
}

/**
 * σ_b for a round: the spec's value, or 0.05 × expected cohort as in TFF's
 * gaussian_adaptive (0 when there is no noise at all). Throws the message of
 * {@link checkAdaptiveCohort} when that default is too small for z.
 */
export function clippedCountStddevFor(spec: AdaptivePrivacySpec, expectedCohort: number, where = 'privacy'): number {
  if (spec.clippedCountStddev !== undefined) return spec.clippedCountStddev;
  if (spec.noiseMultiplier === 0) return 0;
  checkAdaptiveCohort(spec, expectedCohort, where);
  return defaultClippedCountStddev(expectedCohort);
}

/**
 * With the default σ_b = 0.05 × expected cohort, adaptive clipping works only
 * when 2σ_b > z, i.e. when the expected cohort (clientsPerRound: with DP on,
 * q = clientsPerRound / N and q·N = clientsPerRound) exceeds 10z. The cohort is
 * unknown when `fed.dp.adaptive` builds the spec, so this runs where the
 * algorithm is built (and, at the latest, in the first round). The message
 * names the numbers and the three ways out.
 */
export function checkAdaptiveCohort(spec: PrivacySpec, expectedCohort: number, where: string): void {
  if (spec.kind !== 'adaptive' || spec.clippedCountStddev !== undefined || spec.noiseMultiplier === 0) return;
  const z = spec.noiseMultiplier;
  const stddev = defaultClippedCountStddev(expectedCohort);
  if (2 * stddev > z) return;
  let cohort = Math.max(1, Math.floor(z / (2 * DEFAULT_COUNT_STDDEV_PER_CLIENT)));
  while (!(2 * defaultClippedCountStddev(cohort) > z)) cohort++;
  throw new RangeError(
    `${where}: fed.dp.adaptive's default clippedCountStddev is 0.05 × ${expectedCohort} expected clients per round = ${round6(stddev)}, ` +
      `too small for noiseMultiplier ${z}: adaptive clipping needs 2·clippedCountStddev > noiseMultiplier (${round6(2 * stddev)} is not > ${z}). ` +
      `Pass clippedCountStddev > ${round6(z / 2)} to fed.dp.adaptive (e.g. clippedCountStddev: ${z}), or clientsPerRound ≥ ${cohort}, or noiseMultiplier < ${round6(2 * stddev)}`,
  );
}

/** Numbers for messages: no float noise such as 0.30000000000000004. */
function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/**
 * Noise multiplier applied to the sum of updates under adaptive clipping (Andrew et al. 2021, Thm 1):
 * σ_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2). The count query (sensitivity 1/2, noise σ_b) and the value query
 * together are then exactly as private as one Gaussian query with multiplier z, which the accountant uses.
 */
export function valueNoiseMultiplier(noiseMultiplier: number, clippedCountStddev: number, where = 'dp.adaptive'): number {
  if (noiseMultiplier === 0) return 0;
  const countMultiplier = 2 * clippedCountStddev;
  if (countMultiplier <= noiseMultiplier) {
    throw new RangeError(
      `${where}: clippedCountStddev ${clippedCountStddev} is too small for noiseMultiplier ${noiseMultiplier}: ` +
        `adaptive clipping needs 2·clippedCountStddev > noiseMultiplier so that the count query leaves privacy for the update`,
    );
  }
  return 1 / Math.sqrt(noiseMultiplier ** -2 - countMultiplier ** -2);
}
