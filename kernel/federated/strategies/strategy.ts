/**
 * A strategy is a small object with hooks (as Flower's strategies are): it
 * configures the clients' work, says how to weight their updates, and owns
 * the server optimiser that applies the aggregate. The round loop lives in
 * kernel/simulation; a variant changes a hook or two.
 */
import type { Weighting } from '../aggregation';
import type { ServerOptimizer } from '../server-optimizers';
import type { ClientTrainConfig } from '../types';

export interface Strategy {
  /** e.g. 'fedAvg', 'fedProx'. */
  readonly name: string;
  /** Everything that defines the algorithm, for run records and legends. */
  readonly hyperparameters: Readonly<Record<string, unknown>>;
  /** How updates are weighted in the mean. */
  readonly weighting: Weighting;
  /** The client's local work in a round. */
  configureClients(round: number): ClientTrainConfig;
  /** Applies the aggregated delta to the global weights. */
  readonly serverOptimizer: ServerOptimizer;
}

/** A short legend label: the strategy and its key hyperparameters. */
export function strategyLabel(strategy: Strategy): string {
  const h = strategy.hyperparameters;
  const parts: string[] = [strategy.name];
  const show = (key: string, short: string): void => {
    if (h[key] !== undefined) parts.push(`${short}=${h[key] === Infinity ? '∞' : h[key]}`);
  };
  show('clientsPerRound', 'K'); show('localEpochs', 'E'); show('batchSize', 'B'); show('clientLr', 'lr');
  show('mu', 'μ'); show('serverMomentum', 'β'); show('serverLr', 'η'); show('tau', 'τ');
  if (h.privacy) parts.push('DP');
  if (h.secureAggregation) parts.push('SecAgg');
  return parts.join(' ');
}
