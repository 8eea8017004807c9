/**
 * Natural partition: the data already says who owns what (a device, a
 * writer, a hospital). One client per distinct group id, in ascending order of
 * the id.
 */
import type { Rng } from '../random';

/** The distinct group ids, ascending. */
export function distinctGroups(groups: ArrayLike<number>): number[] {
  return [...new Set(Array.from(groups))].sort((a, b) => a - b);
}

/**
 * Groups examples by `groups[i]`. With `clients` smaller than the number of
 * groups, a seeded random selection of that many groups is kept (still in
 * ascending order of id) and the other groups' examples are left out.
 */
export function naturalPartition(groups: ArrayLike<number>, clients: number | undefined, rng: Rng): Int32Array[] {
  let ids = distinctGroups(groups);
  if (clients !== undefined && clients < ids.length) {
    ids = rng
      .shuffle([...ids])
      .slice(0, clients)
      .sort((a, b) => a - b);
  }
  const slot = new Map<number, number>(ids.map((id, c) => [id, c]));
  const counts = new Int32Array(ids.length);
  for (let i = 0; i < groups.length; i++) {
    const c = slot.get(groups[i]);
    if (c !== undefined) counts[c]++;
  }
  const lists = Array.from(counts, (count) => new Int32Array(count));
  const filled = new Int32Array(ids.length);
  for (let i = 0; i < groups.length; i++) {
    const c = slot.get(groups[i]);
    if (c !== undefined) lists[c][filled[c]++] = i;
  }
  return lists;
}
