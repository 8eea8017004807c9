/**
 * A strategy owns its whole algorithm through a few hooks, as Flower's do:
 * which clients train and with what config, how their results become the next
 * server state, which clients evaluate and how their results combine. The round
 * (kernel/rounds) only calls the hooks in order; it knows no algorithm, no
 * privacy and no secure aggregation.
 */
import type { SecureSumOutcome, SecureSumRequest } from '../aggregators/secure-stack';
import type { Aggregator } from '../aggregators/aggregator';
import type { Weighting } from '../aggregators/weighted-mean';
import type { Rng } from '../random';
import type { ServerState } from '../server-state';
import type { ClientFailure, ClientTrainConfig, ClientUpdate, HeldOutSplit } from '../types';

/** What a hook knows about the round. */
export interface RoundContext {
  readonly round: number;
  /** Clients in the population (ids 0 .. numClients − 1). */
  readonly numClients: number;
  /** This round's seeded generator; hooks fork it by label. */
  readonly rng: Rng;
}

/** The clients that train this round, each with its config. */
export interface TrainPlan {
  readonly clients: readonly { readonly clientId: number; readonly config: ClientTrainConfig }[];
  /** Present when the aggregation is a secure sum: how the clients encode their updates if the transport runs the protocol. */
  readonly secureSum?: SecureSumRequest;
}

/** A strategy's answer to a round's training results. */
export interface TrainAggregate {
  /** The next server state (round number and backend are filled in by the round). */
  readonly state: Omit<ServerState, 'round' | 'backend'>;
  readonly metrics: Readonly<Record<string, unknown>>;
}

/** Client-side evaluation asked of a run: a fraction of clients evaluate on a held-out share of their data. */
export interface ClientEvaluationSettings {
  readonly fraction: number;
  readonly heldOut: HeldOutSplit;
}

export interface ClientEvaluationResult {
  readonly clientId: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly examples: number;
}

export interface Strategy {
  /** e.g. 'fedAvg', 'scaffold'. */
  readonly name: string;
  /** Everything that defines the algorithm, for run records. */
  readonly hyperparameters: Readonly<Record<string, unknown>>;
  /** The strategy's parts of the initial server state, around the initial weights. */
  init(weights: Float32Array): Omit<ServerState, 'round' | 'backend' | 'weights'>;
  /** Samples this round's cohort and says what each client does. */
  configureTrain(context: RoundContext, state: ServerState, settings: { heldOut?: HeldOutSplit }): TrainPlan;
  /**
   * Turns usable updates (sorted by client id) into the next state. Failures are data; a strategy that
   * cannot go on (too few clients) throws RoundFailedError.
   */
  aggregateTrain(
    context: RoundContext,
    results: readonly ClientUpdate[],
    failures: readonly ClientFailure[],
    state: ServerState,
    /** The sum a transport recovered across processes; `results` then hold metrics only, with empty deltas. */
    secureSum?: SecureSumOutcome,
  ): TrainAggregate;
  /** Which clients evaluate the new global model on their held-out data. */
  configureEvaluate(context: RoundContext, settings: ClientEvaluationSettings): readonly number[];
  /** Combines the clients' evaluations into round metrics. */
  aggregateEvaluate(results: readonly ClientEvaluationResult[]): Readonly<Record<string, number>>;
  /** Metrics known before a round runs (ε after it), so that a run can stop before passing a budget. */
  forecast?(round: number, numClients: number): Readonly<Record<string, number>>;
  /** A short legend label: the strategy and its key hyperparameters. */
  summary(): string;
}

/** The client options every strategy takes, validated. */
export interface ClientOptions {
  clientsPerRound: number;
  localEpochs: number;
  batchSize: number;
  clientLr: number;
  clientOptimizer: 'sgd' | 'adam';
  weighting: Weighting;
}

/** What the API layer hands a strategy: client options plus the aggregation it built from the user's options. */
export interface StrategySettings extends ClientOptions {
  /** A round with fewer usable updates fails (under Poisson sampling, at most 1 is required: a cohort may be empty). */
  minClients: number;
  /** The aggregation stack (built by aggregators/stack.ts). */
  aggregation: Aggregator;
  /** Each client joins with probability q = K/N (the DP accountant assumes it) instead of a fixed K. */
  poissonSampling: boolean;
  /** Aggregate even when no update arrived (DP noise and secure sums still run). */
  aggregateEmpty: boolean;
  /** (ε, δ) after `rounds` rounds at sampling rate q, when DP is on. */
  privacyAfter?: (rounds: number, q: number) => { epsilon: number; delta: number };
  /** What the run record and legend show of the aggregation options (aggregator, privacy, attack, ...). */
  extra?: Record<string, unknown>;
}

/** How the API checks a numeric option of a strategy. */
export interface OptionRule {
  /** Absent: the option is required. */
  readonly default?: number;
  /** 'positive': > 0; 'nonNegative': ≥ 0; 'unitOpen': in [0, 1). */
  readonly check: 'positive' | 'nonNegative' | 'unitOpen';
}

/**
 * Everything `fed.<name>(options)` needs: a strategy's own options and how to build it. Adding a strategy
 * is one file exporting a definition, plus one line in kernel/api/index.ts: `name: algorithm(definition)`.
 */
export interface StrategyDefinition<Extra extends Record<string, number | undefined>> {
  readonly name: string;
  /** Options beyond the common ones, in the order records show them. */
  readonly options: { readonly [K in keyof Extra]-?: OptionRule };
  /** Client options the algorithm fixes whatever the user says (FedSGD: E = 1, B = ∞). */
  readonly fixed?: Partial<ClientOptions>;
  /** Why these options cannot work together, or undefined. */
  refuse?(options: { clientOptimizer: string; privacy: boolean; secureAggregation: boolean }): string | undefined;
  build(settings: StrategySettings, extra: { readonly [K in keyof Extra]-?: number }): Strategy;
}
