/**
 * Connects the `privacy` and `secureAggregation` options of an algorithm to
 * the privacy layer (kernel/federated/privacy): the aggregator chain, Poisson
 * sampling and the ε accountant.
 */
import type { Weighting } from '../federated/aggregation';
import type { Aggregator } from '../federated/types';
import { buildPrivateAggregator, privacyAfter, requiresPoissonSampling } from '../federated/privacy/private-aggregator';
import { validatePrivacySpec } from '../federated/privacy/privacy-spec';
import { resolveSecureAggregation } from '../federated/privacy/secure-aggregation-option';

export interface PrivacyOptions {
  /** Client-level DP: fed.dp.gaussian({...}) or fed.dp.adaptive({...}). Switches sampling to Poisson. */
  privacy?: unknown;
  /** Secure aggregation (Bonawitz et al.): true, or { threshold }. */
  secureAggregation?: boolean | { threshold: number; dropouts?: number; bound?: number };
  /** Checked against the secure-aggregation threshold and dropouts. */
  clientsPerRound?: number;
}

export interface PrivacyHooks {
  aggregator?: Aggregator;
  poissonSampling?: boolean;
  privacyAfter?: (rounds: number, q: number) => { epsilon: number; delta: number };
  describe?: Record<string, unknown>;
}

export function privacyHooks(where: string, options: PrivacyOptions, weighting: Weighting): PrivacyHooks {
  if (options.privacy === undefined && !options.secureAggregation) return {};
  const spec = options.privacy === undefined ? undefined : validatePrivacySpec(options.privacy, `${where}: privacy`);
  const secure = resolveSecureAggregation(options.secureAggregation, options.clientsPerRound, `${where}: secureAggregation`);
  const aggregator = buildPrivateAggregator({ privacy: spec, secureAggregation: options.secureAggregation, weighting });
  return {
    aggregator,
    poissonSampling: requiresPoissonSampling(spec),
    ...(spec
      ? {
          privacyAfter: (rounds: number, q: number) => {
            const { epsilon, delta } = privacyAfter(spec, { q, rounds });
            return { epsilon, delta };
          },
        }
      : {}),
    describe: {
      ...(spec ? { privacy: spec } : {}),
      ...(secure ? { secureAggregation: { threshold: secure.threshold, dropouts: secure.dropouts, bound: secure.bound } } : {}),
    },
  };
}
