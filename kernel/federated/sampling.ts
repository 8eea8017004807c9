/** Seeded client sampling for a round: fixed-size cohorts, or Poisson when DP needs it. */
import type { Rng } from './random';

/** K distinct client ids out of N, uniformly, sorted ascending (partial Fisher–Yates). */
export function sampleFixedCohort(numClients: number, cohortSize: number, rng: Rng): number[] {
  if (cohortSize > numClients) throw new RangeError(`cannot sample ${cohortSize} clients out of ${numClients}`);
  const ids = Array.from({ length: numClients }, (_, i) => i);
  for (let i = 0; i < cohortSize; i++) {
    const j = i + rng.int(numClients - i);
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  return ids.slice(0, cohortSize).sort((a, b) => a - b);
}

/**
 * Poisson sampling: each client joins independently with probability q.
 * The cohort size varies from round to round (it may even be empty); the
 * RDP accountant's amplification-by-sampling assumes exactly this.
 */
export function samplePoissonCohort(numClients: number, q: number, rng: Rng): number[] {
  if (!(q > 0 && q <= 1)) throw new RangeError(`sampling probability must be in (0, 1] (got ${q})`);
  const cohort: number[] = [];
  for (let i = 0; i < numClients; i++) if (rng.next() < q) cohort.push(i);
  return cohort;
}
