/**
 * Shared vocabulary of the federated layer. Model weights travel as one flat
 * Float32Array (all layers concatenated in a fixed order), so that every
 * aggregation is plain arithmetic on typed arrays.
 */
/** What a client sends back after local training. */
export interface ClientUpdate {
  readonly clientId: number;
  /** Δw_i = w_i − w (local weights minus the broadcast global weights). */
  readonly delta: Float32Array;
  /** n_i: number of local examples the client trained on. */
  readonly numExamples: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  /** Optimizer steps the client took (SCAFFOLD scales its control variate by them). */
  readonly steps?: number;
}

/** A client that did not produce a usable update. Failures are data, not exceptions. */
export interface ClientFailure {
  readonly clientId: number;
  readonly reason: 'error' | 'crash' | 'timeout' | 'invalid' | 'aborted' | 'dropped';
  readonly message: string;
}

/** What one client is asked to do in a round. */
export interface ClientTrainConfig {
  readonly localEpochs: number;
  /** Batch size; 0 or Infinity means the full local dataset (FedSGD). */
  readonly batchSize: number;
  readonly clientLr: number;
  readonly optimizer: 'sgd' | 'adam';
  /** FedProx proximal term μ (0 disables it). */
  readonly proximalMu: number;
  /** SCAFFOLD: c − c_i, added to every minibatch gradient (same flat layout as the weights). */
  readonly correction?: Float32Array;
  /** Client-side evaluation: this share of the client's examples is held out of training (split with `seed`). */
  readonly heldOut?: HeldOutSplit;
  /** A simulated attacker's data poisoning (label flip, backdoor trigger). */
  readonly poison?: DataPoison;
  /** Open record: a strategy may send more; clients ignore what they do not know. */
  readonly [key: string]: unknown;
}

/** Which share of a client's examples it keeps for evaluation, fixed for the whole run by `seed`. */
export interface HeldOutSplit {
  readonly share: number;
  readonly seed: number;
}

/** Data poisoning a malicious simulated client applies to its own batches. */
export type DataPoison =
  | { readonly kind: 'labelFlip'; readonly numClasses: number }
  | { readonly kind: 'backdoor'; readonly target: number; readonly positions: readonly number[]; readonly value: number; readonly fraction: number };
