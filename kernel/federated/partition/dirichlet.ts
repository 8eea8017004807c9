/**
 * Label-skewed partition with Dirichlet proportions (Hsu et al. 2019; the
 * NIID-Bench and Flower `DirichletPartitioner` recipe): for every class k,
 * draw p_k ~ Dir(α, …, α) over the clients and give client c the share
 * p_k[c] of class k's examples. Small α (0.05) gives each client one or two
 * classes; large α (100) approaches IID.
 *
 * Clients must end up with at least `minSize` examples. The proportions are
 * redrawn until they do, for at most `maxAttempts` draws (100, or fewer when
 * clients × classes is large); for tiny α that can
 * be hopeless, so after the last draw the attempt with the largest smallest
 * client is repaired: one example at a time moves from the currently largest
 * client (of that client's most common class) to a client below `minSize`.
 * The repair always terminates because n ≥ clients × minSize is checked first.
 */
import type { Rng } from '../random';
import { indicesByLabel, sortedIndexLists } from './index-lists';

/** How a Dirichlet partition was reached, for run records. */
export interface DirichletReport {
  /** Number of proportion draws made (1..maxAttempts). */
  readonly attempts: number;
  /** Examples moved by the repair step (0 when a draw met `minSize`). */
  readonly moved: number;
}

/** Options of {@link dirichletPartition}. */
export interface DirichletOptions {
  readonly clients: number;
  /** Concentration α > 0. */
  readonly alpha: number;
  /** Smallest allowed client size; n ≥ clients × minSize. */
  readonly minSize: number;
  /** Draws before repairing; defaults to 100, fewer for many clients (about 2 million Gamma draws in all). */
  readonly maxAttempts?: number;
}

/** Dirichlet label-skew partition; returns the client index lists and how they were reached. */
export function dirichletPartition(
  labels: ArrayLike<number>,
  numClasses: number,
  options: DirichletOptions,
  rng: Rng,
): { clients: Int32Array[]; report: DirichletReport } {
  const { clients, alpha, minSize } = options;
  const maxAttempts = options.maxAttempts ?? defaultAttempts(numClasses, clients);
  const byLabel = indicesByLabel(labels, numClasses);
  let best: Int32Array[] | undefined;
  let bestMin = -1;
  let attempts = 0;
  while (attempts < maxAttempts) {
    attempts++;
    const counts = drawCounts(byLabel, clients, alpha, rng);
    const smallest = Math.min(...clientTotals(counts, clients));
    if (smallest > bestMin) {
      best = counts;
      bestMin = smallest;
    }
    if (smallest >= minSize) break;
  }
  const counts = best!;
  const moved = bestMin >= minSize ? 0 : repair(counts, clients, minSize);
  return { clients: assign(byLabel, counts, clients, rng), report: { attempts, moved } };
}

/** Up to 100 draws, fewer when one draw is large (about 2 million Gamma draws in all). */
function defaultAttempts(numClasses: number, clients: number): number {
  return Math.max(1, Math.min(100, Math.floor(2_000_000 / (numClasses * clients))));
}

/** counts[k][c]: how many examples of class k client c gets, from one Dir(α) draw per class. */
function drawCounts(byLabel: readonly Int32Array[], clients: number, alpha: number, rng: Rng): Int32Array[] {
  return byLabel.map((members) => {
    const proportions = new Float64Array(clients);
    let sum = 0;
    for (let c = 0; c < clients; c++) sum += proportions[c] = rng.gamma(alpha);
    const counts = new Int32Array(clients);
    // Cut points at round(cumulative share × size), so the counts sum exactly to the class size.
    let cumulative = 0;
    let previous = 0;
    for (let c = 0; c < clients; c++) {
      cumulative += proportions[c];
      // (Gamma draws for tiny α can all underflow to 0; then share equally.)
      const share = sum > 0 ? cumulative / sum : (c + 1) / clients;
      const cut = c === clients - 1 ? members.length : Math.round(share * members.length);
      counts[c] = cut - previous;
      previous = cut;
    }
    return counts;
  });
}

function clientTotals(counts: readonly Int32Array[], clients: number): Int32Array {
  const totals = new Int32Array(clients);
  for (const row of counts) for (let c = 0; c < clients; c++) totals[c] += row[c];
  return totals;
}

/** Moves examples from the largest clients to those below minSize; returns how many moved. */
function repair(counts: Int32Array[], clients: number, minSize: number): number {
  const totals = clientTotals(counts, clients);
  // Max-heap of the clients that are not short (ties: lower id first): each move finds the largest in O(log clients).
  // While some client is short, the largest holds more than minSize (n ≥ clients × minSize), so it can give.
  const heap = Int32Array.from({ length: clients }, (_, c) => c).filter((c) => totals[c] >= minSize);
  const size = heap.length;
  const above = (a: number, b: number): boolean => totals[a] > totals[b] || (totals[a] === totals[b] && a < b);
  const siftDown = (start: number): void => {
    let i = start;
    for (;;) {
      const left = 2 * i + 1,
        right = left + 1;
      let top = i;
      if (left < size && above(heap[left], heap[top])) top = left;
      if (right < size && above(heap[right], heap[top])) top = right;
      if (top === i) return;
      [heap[i], heap[top]] = [heap[top], heap[i]];
      i = top;
    }
  };
  for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(i);
  let moved = 0;
  for (let needy = 0; needy < clients; needy++) {
    while (totals[needy] < minSize) {
      const donor = heap[0];
      let label = 0;
      for (let k = 1; k < counts.length; k++) if (counts[k][donor] > counts[label][donor]) label = k;
      counts[label][donor]--;
      counts[label][needy]++;
      totals[donor]--;
      totals[needy]++;
      moved++;
      siftDown(0);
    }
  }
  return moved;
}

/** Turns per-class counts into index lists: each class's examples shuffled, then cut in client order. */
function assign(byLabel: readonly Int32Array[], counts: readonly Int32Array[], clients: number, rng: Rng): Int32Array[] {
  const lists: number[][] = Array.from({ length: clients }, () => []);
  byLabel.forEach((members, k) => {
    const shuffled = rng.shuffle(Int32Array.from(members));
    let start = 0;
    for (let c = 0; c < clients; c++) {
      for (let i = start; i < start + counts[k][c]; i++) lists[c].push(shuffled[i]);
      start += counts[k][c];
    }
  });
  return sortedIndexLists(lists);
}
