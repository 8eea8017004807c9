/**
 * The seam between a round and its clients: train a cohort, evaluate a cohort.
 * Requests are plain data (the global weights and one open config record per
 * client), so the same request can go to worker threads in this process or to
 * clients on other machines. How a transport moves them (shared memory, abort
 * flags, sockets) stays inside it. Client failures come back as records; only
 * an abort of the whole run rejects.
 */
import type { ModelSpec } from '../../workers/model-spec';
import type { SecureSumOutcome, SecureSumRequest } from '../federated/aggregators/secure-stack';
import type { ClientFailure, ClientTrainConfig, ClientUpdate, HeldOutSplit } from '../federated/types';
import type { ClientStateEntry } from '../contract/client-states';

/** One client's work in a round. */
export interface ClientTask {
  readonly clientId: number;
  /** Seed of the client's randomness this round (shuffling). */
  readonly seed: number;
  readonly config: ClientTrainConfig;
}

export interface TrainCohortRequest {
  readonly round: number;
  readonly spec: ModelSpec;
  /** The global weights every client starts from. */
  readonly weights: Float32Array;
  readonly clients: readonly ClientTask[];
  /** A client running longer than this becomes a 'timeout' failure; 0 for none. */
  readonly deadlineMs: number;
  /** Told each client's state while the round runs (a federation across machines does; simulations have no connections to tell of). */
  readonly onClientStates?: (states: ClientStateEntry[]) => void;
  /**
   * The strategy sums updates securely: a transport that runs the protocol across processes plans the cohort with it,
   * has each client encode and mask its own update, and returns only the recovered sum (`TrainCohortOutcome.secureSum`).
   * A transport that leaves it out returns the updates, and the strategy's aggregator runs the protocol in process.
   */
  readonly secureSum?: SecureSumRequest;
}

/** A client's usable update plus how it was made. */
export interface ClientTrainResult extends ClientUpdate {
  readonly backend: string;
  /** Which training path ran (e.g. 'tfjs-wasm', 'compiled-native'), when the client says. */
  readonly path?: string;
  readonly ms: number;
}

export interface TrainCohortOutcome {
  /** Usable updates, in no particular order. */
  readonly results: ClientTrainResult[];
  readonly failures: ClientFailure[];
  readonly bytesDown: number;
  readonly bytesUp: number;
  /** Sum of the clients' own training times, ms. */
  readonly clientMs: number;
  /** Clients per training path ('compiled-native', 'tfjs-wasm', ...), with why the compiled step was not used. */
  readonly paths?: Readonly<Record<string, { readonly clients: number; readonly note?: string }>>;
  /** Facts a transport adds to the round's metrics (e.g. how many simulated attackers were in the cohort). */
  readonly metrics?: Readonly<Record<string, unknown>>;
  /** Present when the transport ran the secure sum: `results` then carry metrics and empty deltas (the server never saw an update). */
  readonly secureSum?: SecureSumOutcome;
  /**
   * Says the round is done with the results: a transport may then reuse the memory of their deltas
   * (the in-process one lends a shared buffer per round). Deltas must not be read after it; uncalled, nothing is reused.
   */
  readonly release?: () => void;
}

export interface EvaluateCohortRequest {
  readonly round: number;
  readonly spec: ModelSpec;
  readonly weights: Float32Array;
  /** Each client evaluates on its own held-out split. */
  readonly clients: readonly { readonly clientId: number; readonly heldOut: HeldOutSplit }[];
}

export interface ClientEvaluation {
  readonly clientId: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly examples: number;
}

export interface EvaluateCohortOutcome {
  readonly results: ClientEvaluation[];
  readonly failures: ClientFailure[];
}

export interface ClientTransport {
  /** 'in-process', 'remote', ... (for run records). */
  readonly kind: string;
  /** How many clients this transport reaches; ids are 0 .. numClients − 1. */
  readonly numClients: number;
  train(request: TrainCohortRequest, signal?: AbortSignal): Promise<TrainCohortOutcome>;
  evaluate(request: EvaluateCohortRequest, signal?: AbortSignal): Promise<EvaluateCohortOutcome>;
}
