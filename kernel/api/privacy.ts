/**
 * `fed.dp`, `fed.accountant` and `fed.secagg`: differential privacy and secure
 * aggregation as notebook cells see them. Thin and validated; the maths lives
 * in kernel/federated/privacy.
 */
import { createRng } from '../federated/random';
import { integerIn, numberIn, positiveNumber } from '../validate';
import { createAdaptiveSpec, createGaussianSpec, type AdaptivePrivacySpec, type GaussianPrivacySpec } from '../federated/privacy/privacy-spec';
import { computeRdp, DEFAULT_ORDERS, epsilonFor, noiseMultiplierFor } from '../federated/privacy/rdp-accountant';
import { resolveSecureAggregation } from '../federated/privacy/secure-aggregation-option';
import { secureSumOfVectors } from '../federated/privacy/secagg/secure-sum-layer';

export type { AdaptivePrivacySpec, GaussianPrivacySpec, PrivacySpec } from '../federated/privacy/privacy-spec';

/**
 * Differential privacy for FedAvg-style strategies (client-level DP-FedAvg, McMahan et al. 2018).
 * Pass the result as a strategy's `privacy` option. With privacy on, clients are sampled
 * by Poisson sampling (each client independently with probability q = clientsPerRound / numClients),
 * because the accountant's guarantee assumes it; every client weighs the same in the mean.
 */
export const dp = {
  /**
   * Fixed clipping: each update is scaled to L2 norm ≤ `clip`, the sum gets Gaussian noise
   * of std `noiseMultiplier · clip` per coordinate, and is divided by the expected cohort size.
   * @param options.clip C > 0, the L2 bound on each client's update.
   * @param options.noiseMultiplier z ≥ 0 (0 turns the noise off and ε becomes infinite).
   * @param options.delta δ in (0, 1), e.g. 1e-5 or below 1/numClients.
   * @example fed.dp.gaussian({ clip: 1.0, noiseMultiplier: 1.0, delta: 1e-5 })
   */
  gaussian(options: { clip: number; noiseMultiplier: number; delta: number }): GaussianPrivacySpec {
    return createGaussianSpec(options, 'dp.gaussian');
  },
  /**
   * Adaptive clipping (Andrew et al. 2021): the clip norm follows the `targetQuantile` of update
   * norms with C ← C·exp(−clipLr·(b̄ − targetQuantile)), b̄ being the noised fraction of unclipped clients.
   * @param options.targetQuantile γ in [0, 1], e.g. 0.5 for the median norm.
   * @param options.initialClip first round's clip (default 0.1).
   * @param options.clipLr η_C (default 0.2).
   * @param options.noiseMultiplier z ≥ 0: the total noise multiplier the accountant uses.
   * @param options.clippedCountStddev σ_b, noise on the unclipped count (default 0.05 × expected cohort, i.e. clientsPerRound); needs 2σ_b > z,
   *   so with the default, clientsPerRound must exceed 10·noiseMultiplier; a smaller cohort fails with the numbers and the fix.
   * @param options.delta δ in (0, 1).
   * @example fed.dp.adaptive({ targetQuantile: 0.5, noiseMultiplier: 1.0, delta: 1e-5 })
   */
  adaptive(options: {
    targetQuantile: number;
    initialClip?: number;
    clipLr?: number;
    noiseMultiplier: number;
    clippedCountStddev?: number;
    delta: number;
  }): AdaptivePrivacySpec {
    return createAdaptiveSpec(options, 'dp.adaptive');
  },
};

const requireRate = (where: string, q: unknown): number => numberIn(`${where}: q (the sampling rate)`, q, 0, 1);
const requireSteps = (where: string, steps: unknown): number => integerIn(`${where}: steps`, steps, 0);
const requireNoise = (where: string, sigma: unknown): number => positiveNumber(`${where}: noiseMultiplier`, sigma, true);
const requireDelta = (where: string, delta: unknown): number => numberIn(`${where}: delta`, delta, 0, 1, true, true);

function requireOrders(where: string, orders: unknown): readonly number[] {
  if (orders === undefined) return DEFAULT_ORDERS;
  if (!Array.isArray(orders) || orders.length === 0) throw new TypeError(`${where}: orders must be a non-empty array of numbers > 1`);
  for (const order of orders) {
    if (typeof order !== 'number' || !(order > 1)) throw new RangeError(`${where}: every order must be a number > 1 (got ${String(order)})`);
  }
  return orders;
}

/**
 * Rényi-DP accountant for the sampled Gaussian mechanism (Mironov, Talwar, Zhang 2019),
 * converting to (ε, δ) with Balle et al. 2020 Thm 21 as dp_accounting and Opacus do.
 * One step is one round of DP-FedAvg with Poisson sampling rate q.
 */
export const accountant = {
  /** Default orders α: 1.1–10.9 by 0.1, 11–63, 128, 256, 512, 1024. */
  defaultOrders: DEFAULT_ORDERS,
  /**
   * RDP after `steps` compositions, one value per order.
   * @example fed.accountant.rdp({ q: 0.01, noiseMultiplier: 2.5, steps: 50, orders: [5, 50, 100] })
   */
  rdp(options: { q: number; noiseMultiplier: number; steps: number; orders?: readonly number[] }): number[] {
    const where = 'accountant.rdp';
    return computeRdp(
      requireRate(where, options?.q),
      requireNoise(where, options?.noiseMultiplier),
      requireSteps(where, options?.steps),
      requireOrders(where, options?.orders),
    );
  },
  /**
   * (ε, δ) after `steps` rounds: the smallest ε over the orders, and the order that gave it.
   * @example fed.accountant.epsilon({ q: 0.1, noiseMultiplier: 1.1, steps: 100, delta: 1e-5 })
   */
  epsilon(options: { q: number; noiseMultiplier: number; steps: number; delta: number; orders?: readonly number[] }): { epsilon: number; order: number } {
    const where = 'accountant.epsilon';
    return epsilonFor(
      requireRate(where, options?.q),
      requireNoise(where, options?.noiseMultiplier),
      requireSteps(where, options?.steps),
      requireDelta(where, options?.delta),
      requireOrders(where, options?.orders),
    );
  },
  /**
   * The noise multiplier that reaches `epsilon` after `steps` rounds (bisection to 1e-6 relative;
   * the result always meets the target).
   * @example fed.accountant.noiseFor({ q: 0.1, steps: 100, delta: 1e-5, epsilon: 3 })
   */
  noiseFor(options: { q: number; steps: number; delta: number; epsilon: number; orders?: readonly number[] }): number {
    const where = 'accountant.noiseFor';
    const epsilon = positiveNumber(`${where}: epsilon`, options?.epsilon);
    const q = requireRate(where, options?.q);
    if (q === 0) throw new RangeError(`${where}: q must be > 0 (with q = 0 no noise is needed)`);
    return noiseMultiplierFor(q, requireSteps(where, options?.steps), requireDelta(where, options?.delta), epsilon, requireOrders(where, options?.orders));
  },
};

/**
 * Secure aggregation on its own, to see what the server gets: `fed.secagg.sum(updates, ...)`.
 * Strategies take `secureAggregation: true | { threshold }` instead.
 */
export const secagg = {
  /**
   * Sums client vectors with secure aggregation (Bonawitz et al. 2017): fixed point in Z_{2^32},
   * pairwise X25519 masks, Shamir-shared seeds. `dropouts` clients vanish after the key exchange;
   * the result is the survivors' sum, also computed in plain for comparison.
   * @param vectors one Float32Array per client, all the same length, coordinates within ±bound.
   * @param options.threshold t survivors needed (default ⌈2m/3⌉); options.dropouts; options.bound (default 16); options.seed.
   * @example fed.secagg.sum(updates, { threshold: 7, dropouts: 3, seed: 1 })
   */
  sum(
    vectors: readonly Float32Array[],
    options: { threshold?: number; dropouts?: number; bound?: number; seed?: number } = {},
  ): { sum: Float32Array; plainSum: Float32Array; maxAbsDifference: number; survivors: readonly number[]; dropped: number; ms: number; bytes: number } {
    if (!Array.isArray(vectors) || vectors.length === 0 || !vectors.every((v) => v instanceof Float32Array)) {
      throw new TypeError('secagg.sum needs a non-empty array of Float32Array vectors, one per client');
    }
    const { seed = 0, ...rest } = options;
    const settings = resolveSecureAggregation(rest, undefined, 'secagg.sum') ?? { threshold: 'default' as const, dropouts: 0, bound: 16 };
    const result = secureSumOfVectors(
      vectors,
      vectors.map(() => settings.bound),
      settings,
      createRng(seed),
    );
    const dimension = vectors[0].length;
    const plain = new Float64Array(dimension);
    for (const i of result.survivors) for (let j = 0; j < dimension; j++) plain[j] += vectors[i][j];
    let maxAbsDifference = 0;
    for (let j = 0; j < dimension; j++) maxAbsDifference = Math.max(maxAbsDifference, Math.abs(plain[j] - result.sum[j]));
    return {
      sum: Float32Array.from(result.sum),
      plainSum: Float32Array.from(plain),
      maxAbsDifference,
      survivors: result.survivors,
      dropped: result.metrics.dropped,
      ms: result.metrics.ms,
      bytes: result.metrics.bytes,
    };
  },
};
