/**
 * A secure sum of real vectors in process (fed.secagg.sum, the bench): vectors in,
 * their exact sum (up to fixed-point rounding) out, with only masked vectors
 * ever reaching the server. Each client's coordinates must lie within its own
 * public bound (clipping guarantees it under DP); the bounds fix the scale.
 */
import type { SecAggMetrics } from '../../../contract';
import type { Rng } from '../../random';
import { decodeFixedPoint, encodeFixedPoint, fixedPointScale } from './fixed-point';
import { defaultThreshold, runSecureSum } from './run-secure-sum';

/** Secure-aggregation settings after validation. */
export interface SecureAggregationSettings {
  /** t, or 'default' for ⌈2m/3⌉ of the actual cohort m. */
  readonly threshold: number | 'default';
  /** Simulated clients that drop out after the key exchange. */
  readonly dropouts: number;
  /** Per-coordinate bound B on an update without DP (under DP the clip norm is the bound). */
  readonly bound: number;
}

/** Result of a secure sum over real vectors. */
export interface SecureSumOfVectors {
  readonly sum: Float64Array;
  /** Positions (in the input array) of the clients whose vectors are in the sum. */
  readonly survivors: readonly number[];
  readonly metrics: SecAggMetrics;
}

/**
 * Sums `vectors` with secure aggregation. `bounds[i]` bounds |vectors[i][j]| for every j
 * (values beyond it are clamped); the scale leaves headroom for Σ bounds over the cohort.
 */
export function secureSumOfVectors(
  vectors: readonly (Float64Array | Float32Array)[],
  bounds: readonly number[],
  settings: SecureAggregationSettings,
  rng: Rng,
): SecureSumOfVectors {
  const m = vectors.length;
  const threshold = settings.threshold === 'default' ? defaultThreshold(m) : settings.threshold;
  const sumBound = bounds.reduce((a, b) => a + b, 0);
  const scale = fixedPointScale(sumBound, Math.max(1, m));
  const inputs = vectors.map((v, i) => encodeFixedPoint(v, scale, bounds[i]));
  const result = runSecureSum(inputs, { threshold, dropouts: settings.dropouts, rng });
  return {
    sum: decodeFixedPoint(result.sum, scale),
    survivors: result.survivors,
    metrics: { dropped: result.dropped, recovered: true, ms: result.ms, serverMs: result.serverMs, bytes: result.bytes, threshold, scale },
  };
}
