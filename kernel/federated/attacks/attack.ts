/**
 * Simulated attackers (as FedML's attack simulation): a seeded set of malicious
 * clients, chosen once per run, that poison their data before training or their
 * update after it. An attack is pure: it rewrites a client's config or update.
 */
import type { Dataset } from '../../data/dataset';
import { createRng } from '../random';
import type { ClientTrainConfig } from '../types';

export interface Attack {
  /** e.g. 'signFlip(0.2)'. */
  readonly name: string;
  /** Share of the clients that are malicious, in [0, 1]. */
  readonly fraction: number;
  /** Data poisoning: the config a malicious client trains with. */
  poisonConfig?(config: ClientTrainConfig, context: { numClasses: number }): ClientTrainConfig;
  /** Model poisoning: what a malicious client sends instead of its honest delta (a new array). */
  poisonUpdate?(delta: Float32Array, rng: import('../random').Rng): Float32Array;
  /** Extra test sets to evaluate each round, e.g. the backdoor's triggered examples → 'attackSuccessRate'. */
  evaluations?(test: Dataset): readonly { readonly metric: string; readonly data: Dataset }[];
}

/** The malicious clients of a run: round(fraction · N) of them, chosen once with the seed. */
export function chooseAttackers(numClients: number, fraction: number, seed: number): ReadonlySet<number> {
  const count = Math.round(fraction * numClients);
  const ids = createRng(seed)
    .fork('attackers')
    .shuffle(Array.from({ length: numClients }, (_, i) => i));
  return new Set(ids.slice(0, count));
}

/** Throws unless the fraction is in [0, 1]. */
export function checkFraction(where: string, fraction: unknown): number {
  if (!(typeof fraction === 'number' && fraction >= 0 && fraction <= 1)) {
    throw new RangeError(`${where}: fraction must be in [0, 1] (got ${String(fraction)}): it is the share of clients that are malicious`);
  }
  return fraction;
}
