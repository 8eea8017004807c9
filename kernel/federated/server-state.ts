/**
 * The server's state between rounds: plain data, so it can be inspected,
 * copied, saved and resumed. Each part belongs to one owner: the weights to the
 * round, the optimizer and aggregator state to the strategy's stack, the
 * strategy's own variables (SCAFFOLD's c) and the per-client store (c_i).
 */
import type { ServerOptimizerState } from './server-optimizers';
import type { ClientStateStore } from './client-state';

export interface ServerState {
  readonly round: number;
  readonly weights: Float32Array;
  readonly optimizerState: ServerOptimizerState;
  /** The aggregation stack's state (an adaptive clip norm, a centre), when it has one. */
  readonly aggregatorState?: unknown;
  /** Server-side variables of the strategy, e.g. SCAFFOLD's control variate c. */
  readonly strategyState?: Readonly<Record<string, Float32Array>>;
  /** Per-client state the strategy reads and writes, e.g. SCAFFOLD's c_i. */
  readonly clientState?: ClientStateStore;
  /** The backend that trained the latest round. */
  readonly backend: string;
  /** What the backend said about itself when it loaded: versions, the GPU adapter (software or not), what was skipped and why. */
  readonly backendDetail?: string;
}

/** A round that could not produce a usable aggregate (too few clients). State is unchanged. */
export class RoundFailedError extends Error {
  constructor(
    message: string,
    readonly failures: readonly import('./types').ClientFailure[],
  ) {
    super(message);
    this.name = 'RoundFailedError';
  }
}
