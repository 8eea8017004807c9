/**
 * FedAvg (McMahan et al. 2017), the base of the family: E local epochs of
 * minibatch SGD on a sampled cohort, then the strategy's aggregation stack
 * (the example-weighted mean by default; DP, secure aggregation or a robust
 * aggregator when asked) and the server optimizer. Variants override a hook.
 */
import { samplePoissonCohort, sampleFixedCohort } from '../sampling';
import { RoundFailedError, type ServerState } from '../server-state';
import type { ServerOptimizer } from '../server-optimizers';
import type { ClientFailure, ClientTrainConfig, ClientUpdate } from '../types';
import { sampleEvaluators, summarizeClientEvaluations } from './client-evaluation';
import type { SecureAggregator } from '../aggregators/secure-stack';
import type { RoundContext, Strategy, StrategyDefinition, StrategySettings, TrainAggregate, TrainPlan } from './strategy';
import { plainServer } from '../server-optimizers';

export type { ClientOptions } from './strategy';

export interface FedAvgSettings extends StrategySettings {
  serverOptimizer: ServerOptimizer;
}

/** Legend parts every member of the family shows, then the variant's own. */
const LABEL_KEYS: readonly (readonly [string, string])[] = [
  ['clientsPerRound', 'K'],
  ['localEpochs', 'E'],
  ['batchSize', 'B'],
  ['clientLr', 'lr'],
  ['mu', 'μ'],
  ['serverMomentum', 'β'],
  ['serverLr', 'η'],
  ['tau', 'τ'],
];

export function fedAvgStrategy(settings: FedAvgSettings, name = 'fedAvg'): Strategy {
  const { aggregation, serverOptimizer } = settings;
  const secure = 'secure' in aggregation ? (aggregation as SecureAggregator).secure : undefined;
  const aggregationContext = (context: RoundContext, state: ServerState) => ({
    round: context.round,
    dimension: state.weights.length,
    expectedCohort: (settings.clientsPerRound / context.numClients) * context.numClients,
  });
  const hyperparameters = {
    clientsPerRound: settings.clientsPerRound,
    localEpochs: settings.localEpochs,
    batchSize: settings.batchSize,
    clientLr: settings.clientLr,
    clientOptimizer: settings.clientOptimizer,
    weighting: settings.weighting,
    ...settings.extra,
  };
  const clientConfig = (): ClientTrainConfig => ({
    localEpochs: settings.localEpochs,
    batchSize: settings.batchSize,
    clientLr: settings.clientLr,
    optimizer: settings.clientOptimizer,
    proximalMu: 0,
  });
  return {
    name,
    hyperparameters,
    init: (weights) => ({ optimizerState: serverOptimizer.init(weights.length), aggregatorState: aggregation.init() }),

    configureTrain(context, state, { heldOut }): TrainPlan {
      const config = { ...clientConfig(), ...(heldOut ? { heldOut } : {}) };
      const clients = sampleCohort(context, settings).map((clientId) => ({ clientId, config }));
      if (!secure) return { clients };
      return { clients, secureSum: { plan: (cohort) => secure.plan(cohort, state.aggregatorState, aggregationContext(context, state)) } };
    },

    aggregateTrain(context, results, failures, state, secureSum): TrainAggregate {
      const { round, numClients } = context;
      const q = settings.clientsPerRound / numClients;
      const needed = settings.poissonSampling ? Math.min(settings.minClients, 1) : settings.minClients;
      if (results.length < needed) throw tooFewClients(round, results.length, results.length + failures.length, settings.minClients, failures);
      let next: TrainAggregate['state'] = state;
      let metrics: Record<string, unknown> = {};
      if (results.length > 0 || settings.aggregateEmpty) {
        const aggregationRound = { ...aggregationContext(context, state), rng: context.rng.fork('aggregation') };
        if (secureSum && !secure) throw new TypeError(`${name}: a transport returned a secure sum, but this strategy's aggregation is not a secure sum`);
        // Across processes the transport recovered the sum; in process the aggregator runs the protocol over the updates.
        const aggregated = secureSum
          ? secure!.finish(secureSum.plan, secureSum.recovered, state.aggregatorState, aggregationRound)
          : aggregation.aggregate(
              results.map((r) => ({ clientId: r.clientId, vector: r.delta, numExamples: r.numExamples })),
              state.aggregatorState,
              aggregationRound,
            );
        const stepped = serverOptimizer.step(state.weights, aggregated.delta, state.optimizerState);
        next = { ...state, weights: stepped.weights, optimizerState: stepped.state, aggregatorState: aggregated.state };
        metrics = aggregated.metrics;
      }
      return { state: next, metrics: { ...metrics, ...(settings.privacyAfter ? settings.privacyAfter(round, q) : {}) } };
    },

    configureEvaluate: sampleEvaluators,
    aggregateEvaluate: summarizeClientEvaluations,
    ...(settings.privacyAfter ? { forecast: (round: number, numClients: number) => settings.privacyAfter!(round, settings.clientsPerRound / numClients) } : {}),

    summary() {
      const parts: string[] = [name];
      for (const [key, short] of LABEL_KEYS) {
        const value = (hyperparameters as Record<string, unknown>)[key];
        if (value !== undefined) parts.push(`${short}=${value === Infinity ? '∞' : value}`);
      }
      const extra = settings.extra ?? {};
      if (extra.aggregator) parts.push(String(extra.aggregator));
      if (extra.attack) parts.push(`attack=${String(extra.attack)}`);
      if (extra.privacy) parts.push('DP');
      if (extra.secureAggregation) parts.push('SecAgg');
      return parts.join(' ');
    },
  };
}

/** The cohort of a round, seeded: fixed-size K of N, or Poisson with q = K/N. */
export function sampleCohort(context: RoundContext, settings: Pick<FedAvgSettings, 'clientsPerRound' | 'poissonSampling'>): number[] {
  const rng = context.rng.fork('sampling');
  return settings.poissonSampling
    ? samplePoissonCohort(context.numClients, settings.clientsPerRound / context.numClients, rng)
    : sampleFixedCohort(context.numClients, settings.clientsPerRound, rng);
}

export function tooFewClients(round: number, usable: number, cohort: number, minClients: number, failures: readonly ClientFailure[]): RoundFailedError {
  return new RoundFailedError(
    `round ${round} failed: only ${usable} of ${cohort} clients returned a usable update, minClients is ${minClients}` +
      (failures.length ? `\n${failures.map((f) => `  - ${f.message}`).join('\n')}` : ''),
    failures,
  );
}

/** FedSGD: one full-batch local step per round (E = 1, B = ∞). */
export function fedSgdStrategy(settings: FedAvgSettings): Strategy {
  return fedAvgStrategy({ ...settings, localEpochs: 1, batchSize: Infinity }, 'fedSgd');
}

export const fedAvgDefinition: StrategyDefinition<Record<never, never>> = {
  name: 'fedAvg',
  options: {},
  build: (settings) => fedAvgStrategy({ ...settings, serverOptimizer: plainServer(1) }),
};

export const fedSgdDefinition: StrategyDefinition<Record<never, never>> = {
  name: 'fedSgd',
  options: {},
  fixed: { localEpochs: 1, batchSize: Infinity },
  build: (settings) => fedSgdStrategy({ ...settings, serverOptimizer: plainServer(1) }),
};

export type { ClientUpdate, ServerState };
