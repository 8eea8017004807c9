/**
 * Rényi-DP accountant for the sampled Gaussian mechanism (Mironov, Talwar,
 * Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian Mechanism"),
 * with the (ε, δ) conversion of Balle et al. 2020 (Theorem 21), as
 * Google's dp_accounting and Opacus compute it. Everything is in log space.
 *
 * One step = one round of DP-FedAvg: each client is included independently
 * with probability q (Poisson sampling) and the sum of clipped updates gets
 * Gaussian noise of standard deviation σ·C.
 */
import { logAdd, logErfc, logSub } from './log-math';

/** Default Rényi orders: 1.1–10.9 by 0.1, 11–63, 128, 256, 512, 1024. */
export const DEFAULT_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, i) => Math.round((1.1 + i * 0.1) * 10) / 10),
  ...Array.from({ length: 53 }, (_, i) => 11 + i),
  128,
  256,
  512,
  1024,
]);

/** log A_α for integer α (Mironov et al. 2019, Section 3.3): a finite binomial sum. */
function logAInteger(q: number, sigma: number, alpha: number): number {
  let logA = -Infinity;
  let logBinom = 0; // log C(α, i), updated incrementally
  const logQ = Math.log(q),
    log1mQ = Math.log1p(-q);
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logBinom += Math.log(alpha - i + 1) - Math.log(i);
    const term = logBinom + i * logQ + (alpha - i) * log1mQ + (i * i - i) / (2 * sigma * sigma);
    logA = logAdd(logA, term);
  }
  return logA;
}

/** log A_α for fractional α (Mironov et al. 2019, Section 3.3): two converging series. */
function logAFractional(q: number, sigma: number, alpha: number): number {
  let logA0 = -Infinity,
    logA1 = -Infinity;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const logQ = Math.log(q),
    log1mQ = Math.log1p(-q);
  const sqrt2Sigma = Math.SQRT2 * sigma;
  let logAbsCoef = 0; // log |C(α, i)|
  let coefSign = 1;
  for (let i = 0; ; i++) {
    if (i > 0) {
      const factor = (alpha - i + 1) / i;
      logAbsCoef += Math.log(Math.abs(factor));
      if (factor < 0) coefSign = -coefSign;
    }
    const j = alpha - i;
    const logT0 = logAbsCoef + i * logQ + j * log1mQ;
    const logT1 = logAbsCoef + j * logQ + i * log1mQ;
    const logE0 = Math.log(0.5) + logErfc((i - z0) / sqrt2Sigma);
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / sqrt2Sigma);
    const logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0;
    const logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
    if (coefSign > 0) {
      logA0 = logAdd(logA0, logS0);
      logA1 = logAdd(logA1, logS1);
    } else {
      logA0 = logSub(logA0, logS0);
      logA1 = logSub(logA1, logS1);
    }
    if (Math.max(logS0, logS1) < -30) break;
    if (i > 10_000_000) throw new Error(`RDP series did not converge for q=${q}, sigma=${sigma}, alpha=${alpha}`);
  }
  return logAdd(logA0, logA1);
}

/** RDP of one step of the sampled Gaussian mechanism at order α > 1. */
export function rdpSampledGaussianStep(q: number, sigma: number, alpha: number): number {
  if (q === 0) return 0;
  if (sigma === 0) return Infinity;
  if (q === 1) return alpha / (2 * sigma * sigma);
  if (!Number.isFinite(alpha)) return Infinity;
  const logA = Number.isInteger(alpha) ? logAInteger(q, sigma, alpha) : logAFractional(q, sigma, alpha);
  return logA / (alpha - 1);
}

/** RDP of `steps` compositions of the sampled Gaussian mechanism, one value per order. */
export function computeRdp(q: number, sigma: number, steps: number, orders: readonly number[]): number[] {
  return orders.map((alpha) => rdpSampledGaussianStep(q, sigma, alpha) * steps);
}

/**
 * Converts RDP values to (ε, δ)-DP with Balle et al. 2020, Theorem 21:
 * ε = rdp − (log δ + log α)/(α − 1) + log((α − 1)/α), minimised over the orders.
 */
export function rdpToEpsilon(orders: readonly number[], rdp: readonly number[], delta: number): { epsilon: number; order: number } {
  let best = Infinity,
    bestOrder = NaN;
  for (let k = 0; k < orders.length; k++) {
    const alpha = orders[k],
      r = rdp[k];
    if (r < 0) throw new RangeError(`RDP values must be non-negative (got ${r} at order ${alpha})`);
    const eps = r - (Math.log(delta) + Math.log(alpha)) / (alpha - 1) + Math.log((alpha - 1) / alpha);
    if (eps < best) {
      best = eps;
      bestOrder = alpha;
    }
  }
  if (Number.isNaN(bestOrder)) return { epsilon: Infinity, order: NaN };
  return { epsilon: Math.max(0, best), order: bestOrder };
}

/** (ε, δ) after `steps` compositions of the sampled Gaussian mechanism. */
export function epsilonFor(
  q: number,
  sigma: number,
  steps: number,
  delta: number,
  orders: readonly number[] = DEFAULT_ORDERS,
): { epsilon: number; order: number } {
  return rdpToEpsilon(orders, computeRdp(q, sigma, steps, orders), delta);
}

/**
 * Largest noise multiplier the inverse searches. Beyond it no model trains, and
 * the fractional-order series needs O(σ) terms to converge.
 */
export const MAX_NOISE_MULTIPLIER = 1024;

/**
 * The smallest noise multiplier σ (to relative precision `tolerance`) whose ε after
 * `steps` compositions is at most `epsilon`, by bisection (ε decreases as σ grows).
 * Returns the upper end of the final bracket, so the target is always met.
 */
export function noiseMultiplierFor(
  q: number,
  steps: number,
  delta: number,
  epsilon: number,
  orders: readonly number[] = DEFAULT_ORDERS,
  tolerance = 1e-6,
): number {
  const eps = (sigma: number) => epsilonFor(q, sigma, steps, delta, orders).epsilon;
  let high = 1;
  while (eps(high) > epsilon) {
    high *= 2;
    if (high > MAX_NOISE_MULTIPLIER) {
      throw new RangeError(
        `epsilon ${epsilon} cannot be reached with delta ${delta} over ${steps} steps at q ${q}, even with noise multiplier ${MAX_NOISE_MULTIPLIER}`,
      );
    }
  }
  let low = high === 1 ? 0 : high / 2;
  while (high - low > tolerance * high) {
    const mid = (low + high) / 2;
    if (eps(mid) > epsilon) low = mid;
    else high = mid;
  }
  return high;
}
