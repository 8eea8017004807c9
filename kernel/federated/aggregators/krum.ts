/**
 * Krum and Multi-Krum (Blanchard et al. 2017): each update is scored by the sum
 * of squared distances to its K − f − 2 nearest neighbours; the `select` updates
 * with the lowest scores go to the inner aggregator (a mean by default).
 * Tolerates f Byzantine clients when K > 2f + 2.
 */
import { integerIn } from '../../validate';
import { checkLengths, type AggregationContext, type Aggregator, type AggregatorInput, type AggregateOutput } from './aggregator';
import { mean } from './weighted-mean';

export interface KrumOptions {
  /** f: the number of Byzantine clients to tolerate. */
  readonly byzantine: number;
  /** m: how many updates to keep (1 is Krum, more is Multi-Krum). Default 1. */
  readonly select?: number;
}

/** Throws unless K updates can tolerate f Byzantine ones (K > 2f + 2) and m ≤ K − f. */
export function checkKrumCohort(cohort: number, byzantine: number, select: number): void {
  if (cohort <= 2 * byzantine + 2) {
    throw new RangeError(`krum: with byzantine f = ${byzantine} it needs more than 2f + 2 = ${2 * byzantine + 2} updates per round, got ${cohort}`);
  }
  if (select > cohort - byzantine) {
    throw new RangeError(`krum: select m = ${select} must be at most K − f = ${cohort} − ${byzantine} = ${cohort - byzantine}`);
  }
}

export function krum(options: KrumOptions, inner: Aggregator = mean()): Aggregator {
  const byzantine = options?.byzantine;
  const select = options?.select ?? 1;
  integerIn('krum: byzantine', byzantine, 0);
  integerIn('krum: select', select, 1);
  return {
    kind: 'aggregator',
    name: `krum(${byzantine},${select})>${inner.name}`,
    traits: { ...inner.traits, needsIndividualUpdates: true },
    init: () => inner.init(),
    checkCohort: (cohort) => checkKrumCohort(cohort, byzantine, select),
    aggregate(inputs: readonly AggregatorInput[], state: unknown, context: AggregationContext): AggregateOutput {
      checkLengths(inputs, context.dimension);
      checkKrumCohort(inputs.length, byzantine, select);
      const chosen = krumSelect(
        inputs.map((input) => input.vector),
        byzantine,
        select,
      );
      const output = inner.aggregate(
        chosen.map((i) => inputs[i]),
        state,
        context,
      );
      return { ...output, metrics: { ...output.metrics, krumSelected: chosen.map((i) => inputs[i].clientId) } };
    },
  };
}

/** Positions of the `select` vectors with the lowest Krum scores, lowest first (ties by position). */
export function krumSelect(vectors: readonly (Float32Array | Float64Array)[], byzantine: number, select: number): number[] {
  const n = vectors.length;
  const distances = Array.from({ length: n }, () => new Float64Array(n));
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      let d = 0;
      const va = vectors[a],
        vb = vectors[b];
      for (let j = 0; j < va.length; j++) d += (va[j] - vb[j]) ** 2;
      distances[a][b] = d;
      distances[b][a] = d;
    }
  }
  const neighbours = n - byzantine - 2;
  const scores = distances.map((row, a) => {
    const others = Array.from(row)
      .filter((_, b) => b !== a)
      .sort((x, y) => x - y);
    return others.slice(0, neighbours).reduce((acc, d) => acc + d, 0);
  });
  return scores
    .map((score, i) => ({ score, i }))
    .sort((x, y) => x.score - y.score || x.i - y.i)
    .slice(0, select)
    .map(({ i }) => i);
}
