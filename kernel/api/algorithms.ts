/**
 * `fed.fedAvg`, its family and SCAFFOLD: validated user options → a strategy
 * → a federated process with `initialize`, `next`, `run` and `evaluate`.
 */
import type { Dataset } from '../data/dataset';
import type { Attack } from '../federated/attacks/attack';
import { chooseAttackers } from '../federated/attacks/attack';
import type { FederatedData } from '../federated/partition/federated-data';
import { checkHeldOutShare } from '../federated/partition/held-out';
import type { Weighting } from '../federated/aggregators/weighted-mean';
import { fedAvgStrategy, fedSgdStrategy, type ClientOptions, type FedAvgSettings } from '../federated/strategies/fedavg';
import { adaptiveStrategy, fedAvgMStrategy } from '../federated/strategies/fedopt';
import { fedProxStrategy } from '../federated/strategies/fedprox';
import { scaffoldStrategy } from '../federated/strategies/scaffold';
import type { Strategy } from '../federated/strategies/strategy';
import { plainServer } from '../federated/server-optimizers';
import type { BackendPreference } from '../contract/backend';
import { createFederatedProcess, type ClientPopulation, type NextOptions, type RoundResult, type ServerState } from '../rounds/process';
import { runRounds, type RunOptions, type RunResult } from '../rounds/run-loop';
import { poolCompute } from '../rounds/server-compute';
import type { RoundMetrics } from '../simulation/run-payload';
import { withAttack } from '../transport/attacked-transport';
import type { ClientTransport } from '../transport/client-transport';
import { defaultWorkerCount, getClientPool } from '../transport/in-process/client-pool';
import { createInProcessTransport } from '../transport/in-process/in-process-transport';
import type { ModelSpec } from '../../workers/model-spec';
import type { InjectedFault } from '../../workers/task-types';
import { aggregationSetup, type AggregationOptions } from './aggregation-options';
import { checkKnownOptions, integerIn, numberIn, oneOf, positiveNumber } from './validate';

/** Options every strategy takes. */
export interface AlgorithmOptions extends AggregationOptions {
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
  /** One seed fixes client sampling, initial weights, shuffling, noise, masks and attackers (default 0). */
  seed?: number;
  /** Worker threads training clients in parallel (default: one per core). */
  workers?: number;
  /** 'auto' (default): native tfjs-node if it loads, else WASM, else pure-JS CPU. */
  backend?: BackendPreference;
  /** A client that runs longer than this (ms) becomes a 'timeout' failure (default: none). */
  clientDeadlineMs?: number;
  /** A round with fewer usable updates than this fails (default 1). */
  minClients?: number;
  /** Aborts runs of this algorithm. */
  signal?: AbortSignal;
  /** Simulated attackers: fed.attacks.signFlip({ fraction: 0.2 }), labelFlip, scaling, gaussian, backdoor. */
  attack?: Attack;
}

const COMMON_OPTIONS = ['model', 'clientsPerRound', 'localEpochs', 'batchSize', 'clientLr', 'clientOptimizer', 'weighting', 'seed',
  'workers', 'backend', 'clientDeadlineMs', 'minClients', 'signal', 'privacy', 'secureAggregation', 'aggregator', 'attack'];
const RUN_OPTIONS = ['rounds', 'clients', 'evaluate', 'until', 'signal', 'onRound', 'state', 'label', 'clientEvaluation'];

/** A federated algorithm: TFF's iterative process, plus `run`. */
export interface FederatedAlgorithm {
  readonly name: string;
  readonly hyperparameters: Readonly<Record<string, unknown>>;
  /** The model this algorithm trains. */
  readonly spec: ModelSpec;
  /** The server's initial state (seeded initial weights). */
  initialize(): Promise<ServerState>;
  /** One round: sample, train in parallel, aggregate, (evaluate). */
  next(state: ServerState, clients: ClientPopulation, options?: NextOptions): Promise<RoundResult>;
  /** A loop over next() with stopping rules, run records and live progress. */
  run(options: RunOptions): Promise<RunResult>;
  /** Test loss and accuracy of a state's weights. */
  evaluate(state: ServerState, data: Dataset): Promise<{ accuracy: number; loss: number }>;
  /** A short legend label: the strategy and its key hyperparameters. */
  summary(): string;
}

/** Seams for tests: faults injected into real worker threads, or another transport. Not part of `fed`. */
export interface AlgorithmSeams {
  faults?: ReadonlyMap<number, InjectedFault>;
  connect?: (clients: ClientPopulation) => ClientTransport;
}

type Settings = Omit<FedAvgSettings, 'serverOptimizer'>;

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

/** Client options plus the aggregation stack, sampling and accountant every strategy shares. */
function settingsFor(where: string, options: AlgorithmOptions, overrides: Partial<ClientOptions> = {}): Settings {
  const client = { ...clientOptions(where, { ...options, ...overrides }) };
  const setup = aggregationSetup(where, options, client.clientsPerRound, client.weighting);
  if (options.attack !== undefined && !(options.attack && typeof options.attack === 'object' && typeof options.attack.fraction === 'number')) {
    throw new TypeError(`${where}: attack must come from fed.attacks (e.g. fed.attacks.signFlip({ fraction: 0.2 }))`);
  }
  return {
    ...client,
    minClients: integerIn(`${where}: minClients`, options.minClients ?? 1, 0, client.clientsPerRound, ` (at most clientsPerRound = ${client.clientsPerRound})`),
    aggregation: setup.aggregation,
    poissonSampling: setup.poissonSampling,
    aggregateEmpty: setup.aggregateEmpty,
    privacyAfter: setup.privacyAfter,
    extra: { ...setup.describe, ...(options.attack ? { attack: options.attack.name } : {}) },
  };
}

/** Builds the algorithm around a strategy; `seams` are for tests only. */
export function buildAlgorithm(where: string, options: AlgorithmOptions, strategy: Strategy, seams: AlgorithmSeams = {}): FederatedAlgorithm {
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new RangeError(`${where}: seed must be an integer (got ${JSON.stringify(seed)})`);
  const workers = integerIn(`${where}: workers`, options.workers ?? defaultWorkerCount(), 1, 256);
  const backend = oneOf(`${where}: backend`, options.backend ?? 'auto', ['auto', 'native', 'gpu', 'wasm', 'cpu'] as const);
  const pool = () => getClientPool(workers);
  const attack = options.attack;
  const transports = new WeakMap<object, ClientTransport>();
  const connect = seams.connect ?? ((clients: ClientPopulation): ClientTransport => {
    let transport = transports.get(clients);
    if (!transport) {
      transport = 'transport' in clients ? clients.transport : createInProcessTransport({ pool, backend, data: clients, faults: seams.faults });
      // Federation (kernel/transport/remote): the secure-sum layer runs on the server over the updates it received, which
      // protects nothing when those came over the network; refuse rather than suggest that the server sees only masked vectors.
      if (transport.kind === 'remote' && options.secureAggregation) {
        throw new TypeError(`${where}: secureAggregation is not wired to remote clients yet (this strategy's secure sum would run on plain updates the server received); ` +
          'leave it out, or run the cross-process protocol with remote.transport.secureTrain');
      }
      if (attack) {
        const numClasses = 'dataset' in clients ? clients.dataset.numClasses : options.model.numClasses;
        transport = withAttack(transport, attack, chooseAttackers(clients.numClients, attack.fraction, seed), { numClasses, seed });
      }
      transports.set(clients, transport);
    }
    return transport;
  });
  const triggered = new WeakMap<Dataset, ReturnType<NonNullable<Attack['evaluations']>>>();
  const process = createFederatedProcess({
    strategy, spec: options.model, seed, workers, backend,
    clientDeadlineMs: options.clientDeadlineMs === undefined ? 0 : positiveNumber(`${where}: clientDeadlineMs`, options.clientDeadlineMs),
    signal: options.signal,
    server: poolCompute(pool, backend),
    connect,
    ...(attack?.evaluations ? {
      extraEvaluations: (test: Dataset) => {
        let sets = triggered.get(test);
        if (!sets) triggered.set(test, sets = attack.evaluations!(test));
        return sets;
      },
    } : {}),
  });
  const clientsPerRound = options.clientsPerRound;
  return {
    name: strategy.name,
    hyperparameters: strategy.hyperparameters,
    spec: options.model,
    summary: () => strategy.summary(),
    initialize: () => process.initialize(),
    next: async (state, clients, nextOptions) => {
      checkClients(where, clients, clientsPerRound);
      return process.next(state, clients, nextOptions);
    },
    run: (runOptions) => {
      if (!runOptions || typeof runOptions !== 'object') throw new TypeError(`${where}.run needs options, e.g. run({ rounds: 10, clients, evaluate: test })`);
      checkKnownOptions(`${strategy.name}.run`, runOptions, RUN_OPTIONS);
      integerIn('rounds', runOptions.rounds, 1);
      checkClients(where, runOptions.clients, clientsPerRound);
      if (runOptions.clientEvaluation !== undefined) checkClientEvaluation(`${strategy.name}.run: clientEvaluation`, runOptions.clientEvaluation, runOptions.clients);
      return runRounds(process, runOptions, packageVersion());
    },
    evaluate: (state, data) => process.evaluate(state, data),
  };
}

function checkClients(where: string, clients: ClientPopulation, clientsPerRound: number): void {
  const simulated = clients && typeof clients === 'object' && Array.isArray((clients as FederatedData).clients) && (clients as FederatedData).dataset;
  const remote = clients && typeof clients === 'object' && 'transport' in clients;
  if (!simulated && !remote) {
    throw new TypeError(`${where}: clients must come from fed.partition(dataset, {...}) (got ${clients === undefined ? 'undefined' : typeof clients})`);
  }
  if (clientsPerRound > clients.numClients) {
    throw new RangeError(`clientsPerRound must be an integer in 1..${clients.numClients} (there are ${clients.numClients} clients)`);
  }
}

function checkClientEvaluation(where: string, value: unknown, clients: ClientPopulation): void {
  checkKnownOptions(where, value as object, ['fraction', 'heldOut']);
  const { fraction, heldOut } = value as { fraction: unknown; heldOut: unknown };
  numberIn(`${where}.fraction`, fraction, 0, 1, true);
  if ('dataset' in clients) checkHeldOutShare(clients.sizes(), heldOut as number, where);
  else numberIn(`${where}.heldOut`, heldOut, 0, 1, true, true);
}

let version: string | undefined;
function packageVersion(): string {
  return version ??= (require('../../../package.json') as { version: string }).version;
}

const ADAPTIVE_OPTIONS = ['serverLr', 'beta1', 'beta2', 'tau'];

/** FedAvg (McMahan et al. 2017): E local epochs of minibatch SGD, then the example-weighted mean of the deltas. */
export function fedAvg(options: AlgorithmOptions): FederatedAlgorithm {
  return fedAvgWith({}, options);
}

/** FedAvg with test seams (faults in real worker threads, another transport). */
export function fedAvgWith(seams: AlgorithmSeams, options: AlgorithmOptions): FederatedAlgorithm {
  checkKnownOptions('fed.fedAvg', options ?? {}, COMMON_OPTIONS);
  return buildAlgorithm('fed.fedAvg', options, fedAvgStrategy({ ...settingsFor('fed.fedAvg', options), serverOptimizer: plainServer(1) }), seams);
}

/** FedSGD: one full-batch gradient step per client per round (E = 1, B = ∞). */
export function fedSgd(options: AlgorithmOptions): FederatedAlgorithm {
  checkKnownOptions('fed.fedSgd', options ?? {}, COMMON_OPTIONS);
  const settings = settingsFor('fed.fedSgd', options, { localEpochs: 1, batchSize: Infinity });
  return buildAlgorithm('fed.fedSgd', options, fedSgdStrategy({ ...settings, serverOptimizer: plainServer(1) }));
}

/** FedProx (Li et al. 2020): FedAvg with a proximal term μ/2‖w − w_t‖² in each client's loss. */
export function fedProx(options: AlgorithmOptions & { mu: number }): FederatedAlgorithm {
  checkKnownOptions('fed.fedProx', options ?? {}, [...COMMON_OPTIONS, 'mu']);
  const mu = positiveNumber('fed.fedProx: mu', options.mu, true);
  return buildAlgorithm('fed.fedProx', options, fedProxStrategy({ ...settingsFor('fed.fedProx', options), serverOptimizer: plainServer(1), mu }));
}

/** FedAvgM (Hsu et al. 2019): FedAvg with server momentum β (default 0.9) and server learning rate η (default 1). */
export function fedAvgM(options: AlgorithmOptions & { serverMomentum?: number; serverLr?: number }): FederatedAlgorithm {
  checkKnownOptions('fed.fedAvgM', options ?? {}, [...COMMON_OPTIONS, 'serverMomentum', 'serverLr']);
  const serverMomentum = numberIn('fed.fedAvgM: serverMomentum', options.serverMomentum ?? 0.9, 0, 1, false, true);
  const serverLr = positiveNumber('fed.fedAvgM: serverLr', options.serverLr ?? 1);
  return buildAlgorithm('fed.fedAvgM', options, fedAvgMStrategy({ ...settingsFor('fed.fedAvgM', options), serverLr, serverMomentum }));
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
  return buildAlgorithm(where, options, adaptiveStrategy(kind, { ...settingsFor(where, options), ...server }));
}

/** FedAdam (Reddi et al. 2021): Adam on the server over the aggregated delta (η 0.01, β1 0.9, β2 0.99, τ 1e-3). */
export const fedAdam = (options: AdaptiveOptions): FederatedAlgorithm => adaptive('adam', 'fed.fedAdam', options);
/** FedYogi (Reddi et al. 2021): Yogi on the server (η 0.01, β1 0.9, β2 0.99, τ 1e-3). */
export const fedYogi = (options: AdaptiveOptions): FederatedAlgorithm => adaptive('yogi', 'fed.fedYogi', options);
/** FedAdagrad (Reddi et al. 2021): Adagrad on the server (η 0.01, τ 1e-3). */
export const fedAdagrad = (options: AdaptiveOptions): FederatedAlgorithm => adaptive('adagrad', 'fed.fedAdagrad', options);

/**
 * SCAFFOLD (Karimireddy et al. 2020, option II control variates): clients correct each local gradient by
 * c − c_i, which removes client drift on non-IID data. The server keeps c and every c_i in its state.
 * @param options.serverLr η_g, the server learning rate on the mean update (default 1).
 * @example fed.scaffold({ model, clientsPerRound: 10, localEpochs: 5, batchSize: 10, clientLr: 0.05, seed: 1 })
 */
export function scaffold(options: AlgorithmOptions & { serverLr?: number }): FederatedAlgorithm {
  checkKnownOptions('fed.scaffold', options ?? {}, [...COMMON_OPTIONS, 'serverLr']);
  if ((options.clientOptimizer ?? 'sgd') !== 'sgd') {
    throw new RangeError(`fed.scaffold: clientOptimizer must be 'sgd' (got '${options.clientOptimizer}'): the control variates correct SGD steps`);
  }
  if (options.privacy !== undefined || options.secureAggregation) {
    throw new TypeError('fed.scaffold: privacy and secureAggregation are not supported yet: each client\'s control-variate change c_i⁺ − c_i would need its own clipped, noised, secure sum');
  }
  const serverLr = positiveNumber('fed.scaffold: serverLr', options.serverLr ?? 1);
  return buildAlgorithm('fed.scaffold', options, scaffoldStrategy({ ...settingsFor('fed.scaffold', options), serverLr }));
}

export type { RoundMetrics, RunOptions, RunResult, ServerState, RoundResult };
