/** The privacy a DP run has spent, from its spec and progress (the RDP accountant under Poisson sampling). */
import type { PrivacySpec } from './privacy-spec';
import { epsilonFor } from './rdp-accountant';

/**
 * (ε, δ) after `rounds` rounds of DP-FedAvg with Poisson sampling rate q = clientsPerRound / numClients.
 * Under adaptive clipping the accountant uses the total noise multiplier z of the spec.
 */
export function privacyAfter(spec: PrivacySpec, progress: { q: number; rounds: number }): { epsilon: number; delta: number; order: number } {
  const { q, rounds } = progress;
  if (!(q > 0 && q <= 1)) throw new RangeError(`privacyAfter: q must be in (0, 1] (got ${q})`);
  if (!Number.isInteger(rounds) || rounds < 0) throw new RangeError(`privacyAfter: rounds must be an integer >= 0 (got ${rounds})`);
  if (rounds === 0) return { epsilon: 0, delta: spec.delta, order: NaN };
  const { epsilon, order } = epsilonFor(q, spec.noiseMultiplier, rounds, spec.delta);
  return { epsilon, delta: spec.delta, order };
}
