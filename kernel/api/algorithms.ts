/**
 * `fed.fedAvg` and its family: validated user options → a federated process
 * with `initialize`, `next`, `run` and `evaluate`.
 */
import type { Dataset } from '../data/dataset';
import type { FederatedData } from '../federated/partition/federated-data';
import type { Weighting } from '../federated/aggregation';
import type { Aggregator } from '../federated/types';
import type { Strategy } from '../federated/strategies/strategy';
import { adaptiveStrategy, fedAvgMStrategy, fedAvgStrategy, fedProxStrategy, fedSgdStrategy, type ClientOptions } from '../federated/strategies/fedavg-family';
import { defaultWorkerCount } from '../simulation/client-pool';
import { createFederatedProcess, type BackendPreference, type ProcessOptions, type RoundResult, type ServerState } from '../simulation/federated-process';
import { runRounds, type RunOptions, type RunResult } from '../simulation/run-loop';
import type { RoundMetrics } from '../simulation/run-payload';
import type { ModelSpec } from '../../workers/model-spec';
import type { InjectedFault } from '../../workers/task-types';
import { checkKnownOptions, integerIn, numberIn, oneOf, positiveNumber } from './validate';
import { privacyHooks, type PrivacyOptions } from './privacy-wiring';

/** Options every strategy takes. */
export interface AlgorithmOptions extends PrivacyOptions {
  /** From fed.models: mlp(), cnn(), logistic() or custom(). */
  model: ModelSpec;
  /** Clients sampled per round (K = C·N). With DP on, the expected cohort size (Poisson sampling). */
  clientsPerRound: number;
  /** E: local epochs per round (default 1). */
  localEpochs?: number;
  /** B: local batch size (default 10); Infinity = the client's full dataset. */
  batchSize?: number;
  /** Client learning rate (default 0.1). */
  clientLr?: number;
  /** Client optimizer (default 'sgd'). */
  clientOptimizer?: 'sgd' | 'adam';
  /** 'examples' (α_i = n_i / Σ n_j, default) or 'uniform' (α_i = 1/K). */
  weighting?: Weighting;
  /** One seed fixes client sampling, initial weights and shuffling (default 0). */
  seed?: number;
  /** Worker threads training clients in parallel (default: one per core). */
  workers?: number;
  /**
   * 'auto' (default): the compiled native step (BLAS) for models it runs (dense, flatten, dropout, activations),
   * else tfjs on tfjs-node if it loads, else WASM, else pure-JS CPU. 'native' is tfjs-node, 'wasm' and 'cpu' are
   * tfjs on those backends only. Each round's `trainPaths` says which path trained the clients.
   */
  backend?: BackendPreference;
  /** A client that runs longer than this (ms) becomes a 'timeout' failure (default: none). */
  clientDeadlineMs?: number;
  /** A round with fewer usable updates than this fails (default 1). */
  minClients?: number;
  /** Aborts runs of this algorithm. */
  signal?: AbortSignal;
  /** Test-only: client id → injected fault ('throw', 'exit', 'nan', 'wrong-length', 'hang'). */
  faults?: Record<number, InjectedFault>;
}

const COMMON_OPTIONS = ['model', 'clientsPerRound', 'localEpochs', 'batchSize', 'clientLr', 'clientOptimizer', 'weighting', 'seed',
  'workers', 'backend', 'clientDeadlineMs', 'minClients', 'signal', 'faults', 'privacy', 'secureAggregation'];

/** A federated algorithm: TFF's iterative process, plus `run`. */
export interface FederatedAlgorithm {
  readonly name: string;
  readonly hyperparameters: Readonly<Record<string, unknown>>;
  /** The server's initial state (seeded initial weights). */
  initialize(): Promise<ServerState>;
  /** One round: sample, broadcast, train in parallel, aggregate, (evaluate). */
  next(state: ServerState, clients: FederatedData, options?: { evaluate?: Dataset; signal?: AbortSignal }): Promise<RoundResult>;
  /** A loop over next() with stopping rules, run records and live progress. */
  run(options: RunOptions): Promise<RunResult>;
  /** Test loss and accuracy of a state's weights. */
  evaluate(state: ServerState, data: Dataset): Promise<{ accuracy: number; loss: number }>;
}

function clientOptions(where: string, options: AlgorithmOptions): ClientOptions {
  if (!options || typeof options !== 'object') throw new TypeError(`${where} needs an options object, e.g. ${where}({ model, clientsPerRound: 10 })`);
  if (!options.model || typeof options.model !== 'object' || !('kind' in options.model)) {
    throw new TypeError(`${where}: model is required: pass one of fed.models.mlp(), fed.models.cnn(), fed.models.logistic(), fed.models.custom(...)`);
  }
  const batchSize = options.batchSize ?? 10;
  if (batchSize !== Infinity) integerIn(`${where}: batchSize`, batchSize, 1, Infinity, ' or Infinity for full batch');
  return {
    clientsPerRound: integerIn(`${where}: clientsPerRound`, options.clientsPerRound, 1),
    localEpochs: integerIn(`${where}: localEpochs`, options.localEpochs ?? 1, 1),
    batchSize,
    clientLr: positiveNumber(`${where}: clientLr`, options.clientLr ?? 0.1),
    clientOptimizer: oneOf(`${where}: clientOptimizer`, options.clientOptimizer ?? 'sgd', ['sgd', 'adam'] as const),
    weighting: oneOf(`${where}: weighting`, options.weighting ?? 'examples', ['examples', 'uniform'] as const),
  };
}

function buildAlgorithm(where: string, options: AlgorithmOptions, strategy: Strategy): FederatedAlgorithm {
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new RangeError(`${where}: seed must be an integer (got ${JSON.stringify(seed)})`);
  const workers = integerIn(`${where}: workers`, options.workers ?? defaultWorkerCount(), 1, 256);
  const privacy = privacyHooks(where, options, strategy.weighting);
  const processOptions: ProcessOptions = {
    strategy: privacy.describe ? { ...strategy, hyperparameters: { ...strategy.hyperparameters, ...privacy.describe } } : strategy,
    spec: options.model,
    clientsPerRound: options.clientsPerRound,
    seed,
    workers,
    backend: oneOf(`${where}: backend`, options.backend ?? 'auto', ['auto', 'native', 'gpu', 'wasm', 'cpu'] as const),
    clientDeadlineMs: options.clientDeadlineMs === undefined ? 0 : positiveNumber(`${where}: clientDeadlineMs`, options.clientDeadlineMs),
    minClients: integerIn(`${where}: minClients`, options.minClients ?? 1, 0, options.clientsPerRound, ` (at most clientsPerRound = ${options.clientsPerRound})`),
    signal: options.signal,
    aggregator: privacy.aggregator as Aggregator | undefined,
    poissonSampling: privacy.poissonSampling,
    privacyAfter: privacy.privacyAfter,
    faults: options.faults ? new Map(Object.entries(options.faults).map(([id, fault]) => [Number(id), fault])) : undefined,
  };
  const process = createFederatedProcess(processOptions);
  return {
    name: strategy.name,
    hyperparameters: processOptions.strategy.hyperparameters,
    initialize: () => process.initialize(),
    next: (state, clients, nextOptions) => {
      checkClients(where, clients);
      return process.next(state, clients, nextOptions);
    },
    run: (runOptions) => {
      if (!runOptions || typeof runOptions !== 'object') throw new TypeError(`${where}.run needs options, e.g. run({ rounds: 10, clients, evaluate: test })`);
      checkKnownOptions(`${strategy.name}.run`, runOptions, ['rounds', 'clients', 'evaluate', 'until', 'signal', 'onRound', 'state', 'label']);
      integerIn('rounds', runOptions.rounds, 1);
      checkClients(where, runOptions.clients);
      return runRounds(process, runOptions, packageVersion());
    },
    evaluate: (state, data) => process.evaluate(state, data),
  };
}

function checkClients(where: string, clients: FederatedData): void {
  if (!clients || !Array.isArray(clients.clients) || !clients.dataset) {
    throw new TypeError(`${where}: clients must come from fed.partition(dataset, {...}) (got ${clients === undefined ? 'undefined' : typeof clients})`);
  }
}

let version: string | undefined;
function packageVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return version ??= (require('../../../package.json') as { version: string }).version;
}

const ADAPTIVE_OPTIONS = ['serverLr', 'beta1', 'beta2', 'tau'];

/** FedAvg (McMahan et al. 2017): E local epochs of minibatch SGD, then the example-weighted mean of the deltas. */
export function fedAvg(options: AlgorithmOptions): FederatedAlgorithm {
  checkKnownOptions('fed.fedAvg', options ?? {}, COMMON_OPTIONS);
  return buildAlgorithm('fed.fedAvg', options, fedAvgStrategy(clientOptions('fed.fedAvg', options)));
}

/** FedSGD: one full-batch gradient step per client per round (E = 1, B = ∞). */
export function fedSgd(options: AlgorithmOptions): FederatedAlgorithm {
  checkKnownOptions('fed.fedSgd', options ?? {}, COMMON_OPTIONS);
  return buildAlgorithm('fed.fedSgd', options, fedSgdStrategy(clientOptions('fed.fedSgd', { ...options, localEpochs: 1, batchSize: Infinity })));
}

/** FedProx (Li et al. 2020): FedAvg with a proximal term μ/2‖w − w_t‖² in each client's loss. */
export function fedProx(options: AlgorithmOptions & { mu: number }): FederatedAlgorithm {
  checkKnownOptions('fed.fedProx', options ?? {}, [...COMMON_OPTIONS, 'mu']);
  const mu = positiveNumber('fed.fedProx: mu', options.mu, true);
  return buildAlgorithm('fed.fedProx', options, fedProxStrategy({ ...clientOptions('fed.fedProx', options), mu }, { mu }));
}

/** FedAvgM (Hsu et al. 2019): FedAvg with server momentum β (default 0.9) and server learning rate η (default 1). */
export function fedAvgM(options: AlgorithmOptions & { serverMomentum?: number; serverLr?: number }): FederatedAlgorithm {
  checkKnownOptions('fed.fedAvgM', options ?? {}, [...COMMON_OPTIONS, 'serverMomentum', 'serverLr']);
  const serverMomentum = numberIn('fed.fedAvgM: serverMomentum', options.serverMomentum ?? 0.9, 0, 1, false, true);
  const serverLr = positiveNumber('fed.fedAvgM: serverLr', options.serverLr ?? 1);
  return buildAlgorithm('fed.fedAvgM', options, fedAvgMStrategy({ ...clientOptions('fed.fedAvgM', options), serverLr, serverMomentum }, { serverMomentum, serverLr }));
}

type AdaptiveOptions = AlgorithmOptions & { serverLr?: number; beta1?: number; beta2?: number; tau?: number };

function adaptive(kind: 'adam' | 'yogi' | 'adagrad', where: string, options: AdaptiveOptions): FederatedAlgorithm {
  checkKnownOptions(where, options ?? {}, [...COMMON_OPTIONS, ...ADAPTIVE_OPTIONS]);
  const server = {
    serverLr: positiveNumber(`${where}: serverLr`, options.serverLr ?? 0.01),
    beta1: numberIn(`${where}: beta1`, options.beta1 ?? 0.9, 0, 1, false, true),
    beta2: numberIn(`${where}: beta2`, options.beta2 ?? 0.99, 0, 1, false, true),
    tau: positiveNumber(`${where}: tau`, options.tau ?? 1e-3),
  };
  return buildAlgorithm(where, options, adaptiveStrategy(kind, { ...clientOptions(where, options), ...server }, server));
}

/** FedAdam (Reddi et al. 2021): Adam on the server over the aggregated delta (η 0.01, β1 0.9, β2 0.99, τ 1e-3). */
export const fedAdam = (options: AdaptiveOptions): FederatedAlgorithm => adaptive('adam', 'fed.fedAdam', options);
/** FedYogi (Reddi et al. 2021): Yogi on the server (η 0.01, β1 0.9, β2 0.99, τ 1e-3). */
export const fedYogi = (options: AdaptiveOptions): FederatedAlgorithm => adaptive('yogi', 'fed.fedYogi', options);
/** FedAdagrad (Reddi et al. 2021): Adagrad on the server (η 0.01, τ 1e-3). */
export const fedAdagrad = (options: AdaptiveOptions): FederatedAlgorithm => adaptive('adagrad', 'fed.fedAdagrad', options);

export type { RoundMetrics, RunOptions, RunResult, ServerState, RoundResult };
