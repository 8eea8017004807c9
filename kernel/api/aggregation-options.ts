/**
 * The aggregation-related options every strategy takes (`aggregator`,
 * `privacy`, `secureAggregation`), validated once and turned into the
 * strategy's aggregation stack, sampling and accountant.
 */
import type { Aggregator } from '../federated/aggregators/aggregator';
import { buildAggregation } from '../federated/aggregators/stack';
import type { Weighting } from '../federated/aggregators/weighted-mean';
import { privacyAfter } from '../federated/privacy/privacy-after';
import { checkAdaptiveCohort, validatePrivacySpec } from '../federated/privacy/privacy-spec';
import { resolveSecureAggregation, type SecureAggregationOption } from '../federated/privacy/secure-aggregation-option';

export interface AggregationOptions {
  /** A robust or custom aggregator: fed.aggregators.median(), trimmedMean({ beta }), krum({ byzantine }), centeredClipping({ tau }). */
  aggregator?: Aggregator;
  /** Client-level DP: fed.dp.gaussian({...}) or fed.dp.adaptive({...}). Switches sampling to Poisson. */
  privacy?: unknown;
  /** Secure aggregation (Bonawitz et al.): true, or { threshold, dropouts?, bound? }. */
  secureAggregation?: SecureAggregationOption;
}

export interface AggregationSetup {
  aggregation: Aggregator;
  poissonSampling: boolean;
  aggregateEmpty: boolean;
  privacyAfter?: (rounds: number, q: number) => { epsilon: number; delta: number };
  /** What the run record and legend show of these options. */
  describe: Record<string, unknown>;
}

export function aggregationSetup(where: string, options: AggregationOptions, clientsPerRound: number, weighting: Weighting): AggregationSetup {
  const spec = options.privacy === undefined ? undefined : validatePrivacySpec(options.privacy, `${where}: privacy`);
  const secure = resolveSecureAggregation(options.secureAggregation, clientsPerRound, `${where}: secureAggregation`);
  const aggregator = options.aggregator === undefined ? undefined : checkAggregator(where, options.aggregator);
  aggregator?.checkCohort?.(clientsPerRound);
  // The default σ_b grows with the expected cohort (clientsPerRound): check the split of z now rather than in round 1.
  if (spec) checkAdaptiveCohort(spec, clientsPerRound, `${where}: privacy`);
  const aggregation = buildAggregation({ aggregator, privacy: spec, secure, weighting }, where);
  return {
    aggregation,
    poissonSampling: spec !== undefined,
    aggregateEmpty: spec !== undefined || secure !== undefined,
    ...(spec
      ? {
          privacyAfter: (rounds: number, q: number) => {
            const { epsilon, delta } = privacyAfter(spec, { q, rounds });
            return { epsilon, delta };
          },
        }
      : {}),
    describe: {
      ...(aggregator ? { aggregator: aggregator.name } : {}),
      ...(spec ? { privacy: spec } : {}),
      ...(secure ? { secureAggregation: { threshold: secure.threshold, dropouts: secure.dropouts, bound: secure.bound } } : {}),
    },
  };
}

function checkAggregator(where: string, value: unknown): Aggregator {
  const candidate = value as Partial<Aggregator> | undefined;
  if (candidate?.kind !== 'aggregator' || typeof candidate.aggregate !== 'function') {
    throw new TypeError(`${where}: aggregator must come from fed.aggregators (e.g. fed.aggregators.median()), got ${value === null ? 'null' : typeof value}`);
  }
  return candidate as Aggregator;
}
