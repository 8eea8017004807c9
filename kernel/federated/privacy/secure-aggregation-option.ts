/**
 * Validation of the user's `secureAggregation` option: `true` for the default
 * threshold, or `{ threshold, dropouts?, bound? }`.
 */
import type { SecureAggregationSettings } from './secagg/secure-sum-layer';

/**
 * What a strategy accepts as its `secureAggregation` option. `threshold` is the number of the
 * clientsPerRound clients that must survive (default ⌈2m/3⌉); with DP on, cohorts are Poisson
 * sampled and the threshold is scaled to each round's cohort size m as ⌈threshold·m/clientsPerRound⌉.
 * `dropouts` simulates clients vanishing after the key exchange; `bound` is the per-coordinate
 * bound on an update without DP (values beyond it are clamped; under DP the clip norm is the bound).
 */
export type SecureAggregationOption = boolean | { readonly threshold?: number; readonly dropouts?: number; readonly bound?: number };

/** Per-coordinate bound on an update under secure aggregation without DP (values beyond it are clamped). */
export const DEFAULT_SECAGG_BOUND = 16;

/**
 * Turns the option into settings, or undefined when secure aggregation is off.
 * With `cohort` (e.g. clientsPerRound) it also checks the threshold and dropouts against it.
 */
export function resolveSecureAggregation(option: unknown, cohort?: number, where = 'secureAggregation'): SecureAggregationSettings | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return { threshold: 'default', dropouts: 0, bound: DEFAULT_SECAGG_BOUND };
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw new TypeError(`${where} must be true, false or { threshold, dropouts?, bound? } (got ${option === null ? 'null' : typeof option})`);
  }
  const o = option as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!['threshold', 'dropouts', 'bound'].includes(key)) throw new TypeError(`${where}: unknown option '${key}' (expected threshold, dropouts or bound)`);
  }
  let threshold: number | 'default' = 'default';
  if (o.threshold !== undefined) {
    if (typeof o.threshold !== 'number' || !Number.isInteger(o.threshold) || o.threshold < 1) {
      throw new RangeError(`${where}.threshold must be a positive integer (got ${String(o.threshold)})`);
    }
    threshold = o.threshold;
  }
  const dropouts = o.dropouts ?? 0;
  if (typeof dropouts !== 'number' || !Number.isInteger(dropouts) || dropouts < 0) {
    throw new RangeError(`${where}.dropouts must be an integer >= 0 (got ${String(o.dropouts)})`);
  }
  const bound = o.bound ?? DEFAULT_SECAGG_BOUND;
  if (typeof bound !== 'number' || !Number.isFinite(bound) || bound <= 0) {
    throw new RangeError(`${where}.bound must be a finite number > 0 (got ${String(o.bound)})`);
  }
  if (cohort !== undefined) {
    const t = threshold === 'default' ? Math.max(1, Math.ceil((2 * cohort) / 3)) : threshold;
    if (t > cohort) throw new RangeError(`${where}.threshold (${t}) is larger than the cohort (${cohort} clients per round)`);
    if (dropouts > cohort - t) {
      throw new RangeError(
        `${where}.dropouts (${dropouts}) is more than the threshold allows: with ${cohort} clients and threshold ${t}, at most ${cohort - t} may drop`,
      );
    }
  }
  return { threshold, dropouts, bound };
}
