/**
 * A federated algorithm as a TFF-style iterative process:
 *   initialize() → state,  next(state, clients) → { state, metrics }
 * A round is a short composition of the steps in round-steps.ts; everything
 * algorithm-specific is the strategy's, everything about reaching clients is
 * the transport's.
 */
import type { Dataset } from '../data/dataset';
import { initialWeights } from '../federated/initial-weights';
import type { FederatedData } from '../federated/partition/federated-data';
import { createRng } from '../federated/random';
import type { ServerState } from '../federated/server-state';
import type { ClientEvaluationSettings, Strategy } from '../federated/strategies/strategy';
import type { ClientFailure } from '../federated/types';
import type { ModelSpec } from '../../workers/model-spec';
import type { BackendPreference, ClientStateEntry } from '../contract';
import type { ClientTransport } from '../transport/client-transport';
import { RunAbortedError } from '../transport/in-process/cohort-training';
import type { RoundMetrics } from '../contract';
import { getAmbientSignal } from '../simulation/run-events';
import { aggregateRound, evaluateRound, planRound, roundContext, trainingMetrics } from './round-steps';
import type { ServerCompute } from './server-compute';

export type { ServerState };
export { RoundFailedError } from '../federated/server-state';

/** Whatever a round trains on: a partition simulated in process, or clients reached through their own transport. */
export type ClientPopulation = FederatedData | { readonly transport: ClientTransport; readonly numClients: number };

export interface ProcessOptions {
  strategy: Strategy;
  spec: ModelSpec;
  seed: number;
  workers: number;
  backend: BackendPreference;
  /** Per-client deadline in ms; 0 means none. */
  clientDeadlineMs: number;
  signal?: AbortSignal;
  /** The server's own compute: model layout and centralised evaluation. */
  server: ServerCompute;
  /** The transport that reaches a population's clients (injected: tests and remote federations bring their own). */
  connect: (clients: ClientPopulation) => ClientTransport;
  /** Extra test sets derived from the evaluation set (a backdoor's triggered examples). */
  extraEvaluations?: (test: Dataset) => readonly { readonly metric: string; readonly data: Dataset }[];
}

export interface RoundResult {
  state: ServerState;
  metrics: RoundMetrics;
  failures: ClientFailure[];
}

export interface NextOptions {
  evaluate?: Dataset;
  signal?: AbortSignal;
  clientEvaluation?: ClientEvaluationSettings;
  /** Told each client's state while the round runs, for a federation across machines (the run loop publishes them). */
  onClientStates?: (states: ClientStateEntry[]) => void;
}

export interface FederatedProcess {
  readonly options: ProcessOptions;
  initialize(): Promise<ServerState>;
  next(state: ServerState, clients: ClientPopulation, options?: NextOptions): Promise<RoundResult>;
  evaluate(state: ServerState, data: Dataset, signal?: AbortSignal): Promise<{ accuracy: number; loss: number }>;
}

export function createFederatedProcess(options: ProcessOptions): FederatedProcess {
  const { strategy, spec, server } = options;
  return {
    options,
    async initialize() {
      const described = await server.describe(spec);
      const weights = initialWeights(described.weights, createRng(options.seed).fork('initial-weights'));
      const detail = described.backendDetail === undefined ? {} : { backendDetail: described.backendDetail };
      return { round: 0, weights, ...strategy.init(weights), backend: described.backend, ...detail };
    },

    async evaluate(state, data, signal) {
      checkInputShape(spec, data);
      const result = await server.evaluate(spec, state.weights, data, signal);
      return { accuracy: result.accuracy, loss: result.loss };
    },

    async next(state, clients, nextOptions = {}) {
      const signal = nextOptions.signal ?? options.signal ?? getAmbientSignal();
      if ('dataset' in clients) checkInputShape(spec, clients.dataset);
      if (nextOptions.evaluate) checkInputShape(spec, nextOptions.evaluate);
      const transport = options.connect(clients);
      const round = state.round + 1;
      const started = performance.now();
      const context = roundContext(options.seed, round, transport.numClients);
      const { tasks, secureSum } = planRound(strategy, context, state, nextOptions.clientEvaluation?.heldOut);
      const planned = performance.now();
      const outcome = await transport.train(
        {
          round,
          spec,
          weights: state.weights,
          clients: tasks,
          deadlineMs: options.clientDeadlineMs,
          onClientStates: nextOptions.onClientStates,
          ...(secureSum ? { secureSum } : {}),
        },
        signal,
      );
      const trained = performance.now();
      let aggregate: ReturnType<typeof aggregateRound>;
      try {
        aggregate = aggregateRound(strategy, context, outcome, state);
      } finally {
        // The strategy has made what it keeps from the updates: their memory can serve the next round.
        outcome.release?.();
      }
      const aggregated = performance.now();
      if (signal?.aborted) throw new RunAbortedError(`the run was aborted during round ${round}`);
      const evaluation = await evaluateRound(
        { strategy, server, transport, spec, context },
        aggregate.state.weights,
        {
          central: nextOptions.evaluate,
          extra: nextOptions.evaluate && options.extraEvaluations ? options.extraEvaluations(nextOptions.evaluate) : undefined,
          clients: nextOptions.clientEvaluation,
        },
        signal,
      );
      const evaluated = performance.now();
      const backend = outcome.results[0]?.backend ?? state.backend;
      const metrics: RoundMetrics = {
        round,
        ...evaluation,
        ...trainingMetrics(outcome),
        cohort: tasks.length,
        clients: outcome.results.length,
        failures: outcome.failures.length,
        bytesDown: outcome.bytesDown,
        bytesUp: outcome.bytesUp,
        ms: evaluated - started,
        phases: {
          sample: planned - started,
          train: trained - planned,
          aggregate: aggregated - trained,
          evaluate: evaluated - aggregated,
          clientTrain: outcome.clientMs,
        },
        ...(outcome.paths ? { trainPaths: outcome.paths } : {}),
        ...outcome.metrics,
        ...aggregate.metrics,
        ...(outcome.failures.length ? { failureDetails: outcome.failures.map((f) => ({ client: f.clientId, reason: f.reason, message: f.message })) } : {}),
      };
      return { state: { ...aggregate.state, round, backend }, metrics, failures: outcome.failures };
    },
  };
}

/** Fails with a message that says what to change when the data does not fit the model. */
export function checkInputShape(spec: ModelSpec, dataset: Dataset): void {
  const expected = spec.inputShape.reduce((a, b) => a * b, 1);
  const actual = dataset.exampleShape.reduce((a, b) => a * b, 1);
  if (expected !== actual || (spec.kind === 'cnn' && spec.inputShape.join('x') !== dataset.exampleShape.join('x'))) {
    throw new RangeError(
      `the model expects examples of shape [${spec.inputShape}] (${expected} values) but '${dataset.name}' has examples of shape [${dataset.exampleShape}] (${actual} values); ` +
        `pass inputShape: [${dataset.exampleShape}] to the model`,
    );
  }
  if (dataset.numClasses > spec.numClasses) {
    throw new RangeError(
      `the model has ${spec.numClasses} outputs but '${dataset.name}' has ${dataset.numClasses} classes; pass numClasses: ${dataset.numClasses} to the model`,
    );
  }
}
