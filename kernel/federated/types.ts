/**
 * Shared vocabulary of the federated layer. Model weights travel as one flat
 * Float32Array (all layers concatenated in a fixed order), so that every
 * aggregation is plain arithmetic on typed arrays.
 */
import type { Rng } from './random';

/** What a client sends back after local training. */
export interface ClientUpdate {
  readonly clientId: number;
  /** Δw_i = w_i − w (local weights minus the broadcast global weights). */
  readonly delta: Float32Array;
  /** n_i: number of local examples the client trained on. */
  readonly numExamples: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
}

/** A client that did not produce a usable update. Failures are data, not exceptions. */
export interface ClientFailure {
  readonly clientId: number;
  readonly reason: 'error' | 'crash' | 'timeout' | 'invalid' | 'aborted' | 'dropped';
  readonly message: string;
}

/** Context an aggregator gets for one round. */
export interface AggregationContext {
  readonly round: number;
  /** Number of parameters in the model. */
  readonly dimension: number;
  /** Expected cohort size (q · N with Poisson sampling); DP divides by this. */
  readonly expectedCohort: number;
  /** Seeded generator for this round's aggregation (noise, masks). */
  readonly rng: Rng;
}

/** Output of one aggregation: the combined delta plus metrics to record. */
export interface AggregationResult {
  readonly delta: Float32Array;
  readonly metrics: Record<string, unknown>;
}

/**
 * Combines client updates into one delta. Aggregators compose: clipping wraps
 * noise wraps a secure sum wraps a mean. `state` carries anything that must
 * persist across rounds (e.g. an adaptive clip norm).
 */
export interface Aggregator {
  readonly name: string;
  aggregate(updates: readonly ClientUpdate[], context: AggregationContext): AggregationResult;
  /** State that persists across rounds (e.g. an adaptive clip norm), kept in the server state. */
  readonly state?: unknown;
  /** Sets that state from the server state passed to next(), so replaying an old state replays its clip. */
  restore?(state: unknown): void;
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
  /** SCAFFOLD's c − c_i in the flat weight layout, added to every minibatch gradient before the optimizer step. */
  readonly correction?: Float32Array;
}
