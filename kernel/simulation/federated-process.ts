/**
 * A federated algorithm as a TFF-style iterative process:
 *   initialize() → state,  next(state, clients) → { state, metrics }
 * A round samples the cohort (seeded), broadcasts the global weights (one
 * shared copy), trains the cohort in parallel on the worker pool, aggregates,
 * applies the server optimiser and evaluates.
 */
import { createMeanAggregator } from '../federated/aggregation';
import { initialWeights } from '../federated/initial-weights';
import { createRng, hashLabel } from '../federated/random';
import { samplePoissonCohort, sampleFixedCohort } from '../federated/sampling';
import type { ServerOptimizerState } from '../federated/server-optimizers';
import type { Strategy } from '../federated/strategies/strategy';
import type { Aggregator, ClientFailure } from '../federated/types';
import type { FederatedData } from '../federated/partition/federated-data';
import type { Dataset } from '../data/dataset';
import type { ModelSpec } from '../../workers/model-spec';
import type { DescribeResult, InjectedFault } from '../../workers/task-types';
import { getClientPool, type ClientPool } from './client-pool';
import { trainCohort, RunAbortedError } from './cohort-training';
import { evaluateOnPool } from './evaluation';
import { broadcastCopy, sharedDataOf } from './shared-data';
import type { RoundMetrics } from './run-payload';
import { getAmbientSignal } from './run-events';

export type BackendPreference = 'auto' | 'native' | 'gpu' | 'wasm' | 'cpu';

export interface ProcessOptions {
  strategy: Strategy;
  spec: ModelSpec;
  clientsPerRound: number;
  seed: number;
  workers: number;
  backend: BackendPreference;
  /** Per-client deadline in ms; 0 means none. */
  clientDeadlineMs: number;
  /** A round with fewer successful clients than this fails. */
  minClients: number;
  signal?: AbortSignal;
  /** Replaces the plain mean (DP, secure aggregation). */
  aggregator?: Aggregator;
  /** Poisson sampling with q = clientsPerRound / N (required by the DP accountant). */
  poissonSampling?: boolean;
  /** (ε, δ) after this many rounds with sampling probability q, when DP is on. */
  privacyAfter?: (rounds: number, q: number) => { epsilon: number; delta: number };
  /** Test-only: make chosen clients misbehave. */
  faults?: ReadonlyMap<number, InjectedFault>;
}

/** The server's state between rounds. Plain data: it can be inspected, copied or saved. */
export interface ServerState {
  readonly round: number;
  readonly weights: Float32Array;
  readonly optimizerState: ServerOptimizerState;
  /** The aggregator's own state (an adaptive clip norm), when it has one. */
  readonly aggregatorState?: unknown;
  readonly backend: string;
}

export interface RoundResult {
  state: ServerState;
  metrics: RoundMetrics;
  failures: ClientFailure[];
}

/** A round that could not produce a usable aggregate (too few clients). State is unchanged. */
export class RoundFailedError extends Error {
  constructor(message: string, readonly failures: ClientFailure[]) {
    super(message);
    this.name = 'RoundFailedError';
  }
}

export interface FederatedProcess {
  readonly options: ProcessOptions;
  initialize(): Promise<ServerState>;
  next(state: ServerState, clients: FederatedData, options?: { evaluate?: Dataset; signal?: AbortSignal }): Promise<RoundResult>;
  evaluate(state: ServerState, data: Dataset, signal?: AbortSignal): Promise<{ accuracy: number; loss: number }>;
  /** The pool this process trains on. */
  pool(): ClientPool;
}

export function createFederatedProcess(options: ProcessOptions): FederatedProcess {
  const aggregator = options.aggregator ?? createMeanAggregator(options.strategy.weighting);
  const pool = (): ClientPool => getClientPool(options.workers);

  return {
    options,
    pool,
    async initialize() {
      const described = await pool().run<DescribeResult>({ type: 'describe', backend: options.backend, spec: options.spec });
      const weights = initialWeights(described.weights, createRng(options.seed).fork('initial-weights'));
      return {
        round: 0,
        weights,
        optimizerState: options.strategy.serverOptimizer.init(weights.length),
        backend: described.backend,
      };
    },

    async evaluate(state, data, signal) {
      checkInputShape(options.spec, data);
      const result = await evaluateOnPool(pool(), options.backend, options.spec, state.weights, data, signal);
      return { accuracy: result.accuracy, loss: result.loss };
    },

    async next(state, clients, nextOptions = {}) {
      const signal = nextOptions.signal ?? options.signal ?? getAmbientSignal();
      checkInputShape(options.spec, clients.dataset);
      if (nextOptions.evaluate) checkInputShape(options.spec, nextOptions.evaluate);
      if (options.clientsPerRound > clients.numClients) {
        throw new RangeError(`clientsPerRound must be an integer in 1..${clients.numClients} (there are ${clients.numClients} clients)`);
      }
      const round = state.round + 1;
      const roundStart = performance.now();
      const rng = createRng(options.seed).fork(`round-${round}`);
      const q = options.clientsPerRound / clients.numClients;
      const cohort = options.poissonSampling
        ? samplePoissonCohort(clients.numClients, q, rng.fork('sampling'))
        : sampleFixedCohort(clients.numClients, options.clientsPerRound, rng.fork('sampling'));
      const sampled = performance.now();

      const clientSeedBase = rng.fork('clients').uint32();
      const globalWeights = broadcastCopy(state.weights);
      const broadcast = performance.now();
      const outcome = await trainCohort({
        pool: pool(), backend: options.backend, spec: options.spec, data: sharedDataOf(clients.dataset),
        cohort, clientIndices: (id) => clients.clients[id], globalWeights,
        config: options.strategy.configureClients(round),
        seedFor: (id) => (hashLabel(`client-${id}`) ^ clientSeedBase ^ id) >>> 0,
        clientDeadlineMs: options.clientDeadlineMs, signal, faults: options.faults,
      });
      const trained = performance.now();

      // Completion order varies with thread timing; aggregating in client order keeps runs bit-identical.
      const updates = outcome.updates.sort((a, b) => a.clientId - b.clientId);
      const needed = options.poissonSampling ? Math.min(options.minClients, 1) : options.minClients;
      if (updates.length < needed) {
        throw new RoundFailedError(
          `round ${round} failed: only ${updates.length} of ${cohort.length} clients returned a usable update, minClients is ${options.minClients}` +
          (outcome.failures.length ? `\n${outcome.failures.map((f) => `  - ${f.message}`).join('\n')}` : ''),
          outcome.failures,
        );
      }
      let nextWeights = state.weights;
      let optimizerState = state.optimizerState;
      let aggregationMetrics: Record<string, unknown> = {};
      let aggregatorState = state.aggregatorState;
      if (updates.length > 0 || options.aggregator) {
        if (aggregator.restore && aggregatorState !== undefined) aggregator.restore(aggregatorState);
        const aggregated = aggregator.aggregate(updates, {
          round, dimension: state.weights.length, expectedCohort: q * clients.numClients, rng: rng.fork('aggregation'),
        });
        aggregationMetrics = aggregated.metrics;
        aggregatorState = aggregator.state;
        const stepped = options.strategy.serverOptimizer.step(state.weights, aggregated.delta, state.optimizerState);
        nextWeights = stepped.weights;
        optimizerState = stepped.state;
      }
      const aggregatedAt = performance.now();

      if (signal?.aborted) throw new RunAbortedError(`the run was aborted during round ${round}`);
      const evaluation = nextOptions.evaluate
        ? await evaluateOnPool(pool(), options.backend, options.spec, nextWeights, nextOptions.evaluate, signal)
        : undefined;
      const evaluated = performance.now();
      const backend = [...outcome.backends][0] ?? state.backend;
      const totalExamples = updates.reduce((sum, u) => sum + u.numExamples, 0);
      const metrics: RoundMetrics = {
        round,
        ...(evaluation ? { testAccuracy: evaluation.accuracy, testLoss: evaluation.loss } : {}),
        trainLoss: totalExamples ? updates.reduce((sum, u) => sum + u.trainLoss * u.numExamples, 0) / totalExamples : NaN,
        trainAccuracy: totalExamples ? updates.reduce((sum, u) => sum + u.trainAccuracy * u.numExamples, 0) / totalExamples : NaN,
        cohort: cohort.length,
        clients: updates.length,
        failures: outcome.failures.length,
        bytesDown: cohort.length * state.weights.byteLength,
        bytesUp: outcome.bytesUp,
        ms: evaluated - roundStart,
        phases: {
          sample: sampled - roundStart, broadcast: broadcast - sampled, train: trained - broadcast,
          aggregate: aggregatedAt - trained, evaluate: evaluated - aggregatedAt, clientTrain: outcome.clientMs,
        },
        trainPaths: Object.fromEntries(outcome.paths),
        ...aggregationMetrics,
        ...(options.privacyAfter ? options.privacyAfter(round, q) : {}),
        ...(outcome.failures.length ? { failureDetails: outcome.failures.map((f) => ({ client: f.clientId, reason: f.reason, message: f.message })) } : {}),
      };
      return {
        state: { round, weights: nextWeights, optimizerState, aggregatorState, backend },
        metrics,
        failures: outcome.failures,
      };
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
    throw new RangeError(`the model has ${spec.numClasses} outputs but '${dataset.name}' has ${dataset.numClasses} classes; pass numClasses: ${dataset.numClasses} to the model`);
  }
}
