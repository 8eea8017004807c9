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
import { fedAvgDefinition } from '../federated/strategies/fedavg';
import type { ClientOptions, OptionRule, Strategy, StrategyDefinition, StrategySettings } from '../federated/strategies/strategy';
import { BACKEND_PREFERENCES, type BackendPreference, type RoundMetrics } from '../contract';
import { createFederatedProcess, type ClientPopulation, type NextOptions, type RoundResult, type ServerState } from '../rounds/process';
import { runRounds, type RunContext, type RunOptions, type RunResult } from '../rounds/run-loop';
import { poolCompute } from '../rounds/server-compute';
import { withAttack } from '../transport/attacked-transport';
import type { ClientTransport } from '../transport/client-transport';
import { defaultWorkerCount, getClientPool } from '../transport/in-process/client-pool';
import { createInProcessTransport } from '../transport/in-process/in-process-transport';
import { linkOf, type ScaleOut } from '../transport/scale-out/scale-out-server';
import { createScaleOutTransport } from '../transport/scale-out/scale-out-transport';
import type { ModelSpec } from '../../workers/model-spec';
import type { InjectedFault } from '../../workers/task-types';
import { aggregationSetup, type AggregationOptions } from './aggregation-options';
import { packageVersion } from '../package-version';
import { checkKnownOptions, integerIn, numberIn, oneOf, positiveNumber } from '../validate';
import { modelFromState } from './model-export';

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
  /**
   * 'auto' (default): the compiled native step (BLAS) for models it runs (dense, flatten, dropout, activations),
   * else tfjs on tfjs-node if it loads, else WASM, else pure-JS CPU. 'native' is tfjs-node, 'wasm' and 'cpu' are
   * tfjs on those backends only; 'webgpu': WebGPU (Dawn); 'gpu': WebGPU on a real GPU, else tfjs-node-gpu. Each round's `trainPaths` says which path trained the clients.
   */
  backend?: BackendPreference;
  /** A client that runs longer than this (ms) becomes a 'timeout' failure (default: none). */
  clientDeadlineMs?: number;
  /** A round with fewer usable updates than this fails (default 1). */
  minClients?: number;
  /** Aborts runs of this algorithm. */
  signal?: AbortSignal;
  /** Simulated attackers: fed.attacks.signFlip({ fraction: 0.2 }), labelFlip, scaling, gaussian, backdoor. */
  attack?: Attack;
  /**
   * Spread each round's simulated clients over this process and the `fedbook worker` processes joined to
   * fed.federation.scaleOut(...). Same backend on every machine → the same weights as an all-local run.
   */
  scaleOut?: ScaleOut;
}

const COMMON_OPTIONS = [
  'model',
  'clientsPerRound',
  'localEpochs',
  'batchSize',
  'clientLr',
  'clientOptimizer',
  'weighting',
  'seed',
  'workers',
  'backend',
  'clientDeadlineMs',
  'minClients',
  'signal',
  'privacy',
  'secureAggregation',
  'aggregator',
  'attack',
  'scaleOut',
];
const RUN_OPTIONS = ['rounds', 'clients', 'evaluate', 'until', 'signal', 'onRound', 'state', 'label', 'clientEvaluation', 'resume', 'checkpoints'];

/** A federated algorithm: TFF's iterative process, plus `run`. */
export interface FederatedAlgorithm {
  readonly name: string;
  readonly hyperparameters: Readonly<Record<string, unknown>>;
  /** The model this algorithm trains (from fed.models), as fed.models.save exports it. */
  readonly spec: ModelSpec;
  /** A fresh tf.LayersModel with a state's weights, for `predict` (built-in models output logits). */
  model(state: ServerState): Promise<import('@tensorflow/tfjs').LayersModel>;
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
function settingsFor(where: string, options: AlgorithmOptions, overrides: Partial<ClientOptions> = {}): StrategySettings {
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
  const backend = oneOf(`${where}: backend`, options.backend ?? 'auto', BACKEND_PREFERENCES);
  const pool = () => getClientPool(workers);
  const attack = options.attack;
  const scaleOut = options.scaleOut === undefined ? undefined : linkOf(options.scaleOut);
  if (options.scaleOut !== undefined && !scaleOut)
    throw new TypeError(`${where}: scaleOut must be the handle of await fed.federation.scaleOut({ port, keys })`);
  const transports = new WeakMap<object, ClientTransport>();
  const connect =
    seams.connect ??
    ((clients: ClientPopulation): ClientTransport => {
      let transport = transports.get(clients);
      if (!transport) {
        transport = 'transport' in clients ? clients.transport : createInProcessTransport({ pool, backend, data: clients, faults: seams.faults });
        if (scaleOut) {
          if ('transport' in clients)
            throw new TypeError(
              `${where}: scaleOut spreads a simulated partition over workers; its clients must come from fed.partition(...), not a federation`,
            );
          transport = createScaleOutTransport({ local: transport, data: clients, backend, localThreads: workers, link: scaleOut });
        }
        if (transport.kind === 'remote' && options.secureAggregation) checkRemoteSecure(where, options);
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
    strategy,
    spec: options.model,
    seed,
    workers,
    backend,
    clientDeadlineMs: options.clientDeadlineMs === undefined ? 0 : positiveNumber(`${where}: clientDeadlineMs`, options.clientDeadlineMs),
    signal: options.signal,
    server: poolCompute(pool, backend),
    connect,
    ...(attack?.evaluations
      ? {
          extraEvaluations: (test: Dataset) => {
            let sets = triggered.get(test);
            if (!sets) triggered.set(test, (sets = attack.evaluations!(test)));
            return sets;
          },
        }
      : {}),
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
      if (runOptions.clientEvaluation !== undefined)
        checkClientEvaluation(`${strategy.name}.run: clientEvaluation`, runOptions.clientEvaluation, runOptions.clients);
      if (runOptions.resume !== undefined && runOptions.state !== undefined)
        throw new TypeError(`${strategy.name}.run: pass either resume (a run id) or state, not both`);
      if (runOptions.checkpoints !== undefined && runOptions.checkpoints !== false) {
        checkKnownOptions(`${strategy.name}.run: checkpoints`, runOptions.checkpoints, ['keep', 'every']);
        integerIn(`${strategy.name}.run: checkpoints.keep`, runOptions.checkpoints.keep ?? 3, 1);
        integerIn(`${strategy.name}.run: checkpoints.every`, runOptions.checkpoints.every ?? 1, 1);
      }
      return runRounds(process, runOptions, { version: packageVersion(), ...runContexts.get(runOptions) });
    },
    evaluate: (state, data) => process.evaluate(state, data),
    model: (state) => modelFromState({ spec: options.model }, state),
  };
}

/**
 * Across processes the clients encode and mask their own updates and the server only learns their sum; refuses what
 * would still need an update on the server, or a knob that only means something in a simulation.
 */
function checkRemoteSecure(where: string, options: AlgorithmOptions): void {
  if (options.attack?.poisonUpdate) {
    throw new TypeError(
      `${where}: the simulated attack ${options.attack.name} poisons updates after they arrive, and with secureAggregation on remote clients no update arrives ` +
        '(only the masked sum). Leave out secureAggregation to study this attack on remote clients, or use a data-poisoning attack (labelFlip, backdoor).',
    );
  }
  const option = options.secureAggregation;
  if (typeof option === 'object' && option.dropouts) {
    throw new RangeError(
      `${where}: secureAggregation.dropouts simulates clients vanishing; remote clients drop out for real and the protocol recovers the survivors' sum. Leave out dropouts.`,
    );
  }
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

/** Record fields a sweep adds to the runs it starts, keyed by the options object it passes to run(). */
const runContexts = new WeakMap<RunOptions, Omit<RunContext, 'version'>>();

/** Runs `algorithm.run(options)` with a sweep tag in its record (for fed.sweep; not part of `fed`). */
export function runTagged(algorithm: FederatedAlgorithm, options: RunOptions, context: Omit<RunContext, 'version'>): Promise<RunResult> {
  runContexts.set(options, context);
  return algorithm.run(options);
}

/**
 * `fed.<name>(options)` for a strategy definition: the common options and the strategy's own, validated with exact
 * messages, then the algorithm. `seams` are for tests only.
 */
export function algorithm<Extra extends Record<string, number | undefined>>(
  definition: StrategyDefinition<Extra>,
): (options: keyof Extra extends never ? AlgorithmOptions : AlgorithmOptions & Extra) => FederatedAlgorithm {
  return (options) => algorithmWith({}, definition, options as AlgorithmOptions & Extra);
}

export function algorithmWith<Extra extends Record<string, number | undefined>>(
  seams: AlgorithmSeams,
  definition: StrategyDefinition<Extra>,
  options: AlgorithmOptions & Extra,
): FederatedAlgorithm {
  const where = `fed.${definition.name}`;
  const own = Object.keys(definition.options);
  checkKnownOptions(where, options ?? {}, [...COMMON_OPTIONS, ...own]);
  const refusal = definition.refuse?.({
    clientOptimizer: options?.clientOptimizer ?? 'sgd',
    privacy: options?.privacy !== undefined,
    secureAggregation: Boolean(options?.secureAggregation),
  });
  if (refusal) throw new RangeError(`${where}: ${refusal}`);
  const extra = Object.fromEntries(own.map((key) => [key, checkRule(`${where}: ${key}`, (options as Record<string, unknown>)[key], definition.options[key])]));
  const settings = settingsFor(where, options, definition.fixed);
  const strategy = definition.build({ ...settings, extra: { ...extra, ...settings.extra } }, extra as { readonly [K in keyof Extra]-?: number });
  return buildAlgorithm(where, options, strategy, seams);
}

function checkRule(name: string, value: unknown, rule: OptionRule): number {
  const given = value ?? rule.default;
  if (rule.check === 'unitOpen') return numberIn(name, given, 0, 1, false, true);
  return positiveNumber(name, given, rule.check === 'nonNegative');
}

/** FedAvg with test seams (faults in real worker threads, another transport). */
export function fedAvgWith(seams: AlgorithmSeams, options: AlgorithmOptions): FederatedAlgorithm {
  return algorithmWith(seams, fedAvgDefinition, options);
}

export type { RoundMetrics, RunOptions, RunResult, ServerState, RoundResult };
