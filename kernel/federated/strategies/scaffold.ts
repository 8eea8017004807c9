/**
 * SCAFFOLD (Karimireddy et al. 2020), option II control variates. Each client
 * corrects every local gradient by c − c_i, the server's and its own estimate
 * of the update direction, which removes client drift on non-IID data:
 *   client:  y ← y − η_l (g(y) + c − c_i)        for K_i steps
 *            c_i⁺ = c_i − c + (x − y_i)/(K_i η_l)  (kept by the server, per client)
 *   server:  x ← x + η_g · mean Δy_i,   c ← c + 1/N Σ (c_i⁺ − c_i)
 */
import { readClientState, writeClientState, type ClientStateEntry } from '../client-state';
import { plainServer } from '../server-optimizers';
import type { ClientUpdate } from '../types';
import { fedAvgStrategy, type FedAvgSettings } from './fedavg';
import type { Strategy, StrategyDefinition } from './strategy';

export function scaffoldStrategy(settings: Omit<FedAvgSettings, 'serverOptimizer'> & { serverLr: number }): Strategy {
  const base = fedAvgStrategy(
    { ...settings, serverOptimizer: plainServer(settings.serverLr), extra: { serverLr: settings.serverLr, ...settings.extra } },
    'scaffold',
  );
  return {
    ...base,
    init(weights) {
      return { ...base.init(weights), strategyState: { c: new Float32Array(weights.length) }, clientState: {} };
    },
    configureTrain(context, state, options) {
      const c = serverControl(state.strategyState, state.weights.length);
      const plan = base.configureTrain(context, state, options);
      return {
        clients: plan.clients.map(({ clientId, config }) => {
          const ci = readClientState(state.clientState, clientId)?.c as Float32Array | undefined;
          const correction = new Float32Array(c.length);
          for (let j = 0; j < c.length; j++) correction[j] = c[j] - (ci ? ci[j] : 0);
          return { clientId, config: { ...config, correction } };
        }),
      };
    },
    aggregateTrain(context, results, failures, state) {
      const aggregate = base.aggregateTrain(context, results, failures, state);
      const c = serverControl(state.strategyState, state.weights.length);
      const sumOfChanges = new Float64Array(c.length);
      const changes = new Map<number, ClientStateEntry>();
      for (const result of results) {
        const ci = readClientState(state.clientState, result.clientId)?.c as Float32Array | undefined;
        const scale = 1 / (localSteps(result, settings) * settings.clientLr);
        const next = new Float32Array(c.length);
        for (let j = 0; j < c.length; j++) {
          const change = -c[j] - result.delta[j] * scale;
          next[j] = (ci ? ci[j] : 0) + change;
          sumOfChanges[j] += change;
        }
        changes.set(result.clientId, { c: next });
      }
      const nextC = new Float32Array(c.length);
      for (let j = 0; j < c.length; j++) nextC[j] = c[j] + sumOfChanges[j] / context.numClients;
      return {
        state: { ...aggregate.state, strategyState: { c: nextC }, clientState: writeClientState(state.clientState, changes) },
        metrics: aggregate.metrics,
      };
    },
  };
}

function serverControl(strategyState: Readonly<Record<string, Float32Array>> | undefined, dimension: number): Float32Array {
  const c = strategyState?.c;
  if (!c) return new Float32Array(dimension);
  if (c.length !== dimension) throw new RangeError(`scaffold: the server control variate has ${c.length} values, the model has ${dimension}`);
  return c;
}

/** K_i: the steps the client reports, or E·⌈n/B⌉ as its loop takes them. */
export function localSteps(result: Pick<ClientUpdate, 'steps' | 'numExamples'>, settings: Pick<FedAvgSettings, 'localEpochs' | 'batchSize'>): number {
  if (result.steps !== undefined && result.steps > 0) return result.steps;
  const batch = Number.isFinite(settings.batchSize) && settings.batchSize > 0 ? Math.min(settings.batchSize, result.numExamples) : result.numExamples;
  return settings.localEpochs * Math.ceil(result.numExamples / Math.max(1, batch));
}

export const scaffoldDefinition: StrategyDefinition<{ serverLr?: number }> = {
  name: 'scaffold',
  options: { serverLr: { default: 1, check: 'positive' } },
  refuse({ clientOptimizer, privacy, secureAggregation }) {
    if (clientOptimizer !== 'sgd') return `clientOptimizer must be 'sgd' (got '${clientOptimizer}'): the control variates correct SGD steps`;
    if (privacy || secureAggregation) {
      return "privacy and secureAggregation are not supported yet: each client's control-variate change c_i⁺ − c_i would need its own clipped, noised, secure sum";
    }
    return undefined;
  },
  build: (settings, { serverLr }) => scaffoldStrategy({ ...settings, serverLr }),
};
