/**
 * Connects the `privacy` and `secureAggregation` options of an algorithm to
 * the privacy layer (kernel/federated/privacy): the aggregator chain, Poisson
 * sampling and the ε accountant.
 */
import type { Weighting } from '../federated/aggregation';
import type { Aggregator } from '../federated/types';

export interface PrivacyOptions {
  /** Client-level DP: fed.dp.gaussian({...}) or fed.dp.adaptive({...}). Switches sampling to Poisson. */
  privacy?: unknown;
  /** Secure aggregation (Bonawitz et al.): true, or { threshold }. */
  secureAggregation?: boolean | { threshold: number; dropouts?: number };
}

export interface PrivacyHooks {
  aggregator?: Aggregator;
  poissonSampling?: boolean;
  privacyAfter?: (rounds: number, q: number) => { epsilon: number; delta: number };
  describe?: Record<string, unknown>;
}

export function privacyHooks(where: string, options: PrivacyOptions, weighting: Weighting): PrivacyHooks {
  if (options.privacy === undefined && !options.secureAggregation) return {};
  throw new Error(`${where}: privacy and secureAggregation are not wired in yet (weighting ${weighting})`);
}
