/**
 * The pathological non-IID split of McMahan et al. (2017, §3): sort the
 * examples by label, cut them into clients × shardsPerClient shards of equal
 * size, and deal each client shardsPerClient shards at random. On MNIST with
 * 100 clients × 2 shards, most clients hold examples of only two digits.
 */
import type { Rng } from '../random';
import { indicesByLabel, sortedIndexLists } from './index-lists';

/**
 * Shards partition of examples with the given labels. Within a label the
 * order is a seeded shuffle (a stable sort by label of shuffled indices), so
 * which examples of a digit land in which shard depends on the seed. When n is
 * not a multiple of the shard count, the first n mod shards shards get one
 * example more; every example is dealt.
 */
export function shardPartition(labels: ArrayLike<number>, numClasses: number, clients: number, shardsPerClient: number, rng: Rng): Int32Array[] {
  const n = labels.length;
  const numShards = clients * shardsPerClient;
  // Stable sort by label of a shuffled order = group by label, each group shuffled.
  const sorted = new Int32Array(n);
  let offset = 0;
  for (const group of indicesByLabel(labels, numClasses)) {
    sorted.set(rng.shuffle(group), offset);
    offset += group.length;
  }
  const base = Math.floor(n / numShards);
  const extra = n % numShards;
  const shardStart = (s: number): number => s * base + Math.min(s, extra);
  const dealt = rng.shuffle(Int32Array.from({ length: numShards }, (_, s) => s));
  const lists: Int32Array[] = [];
  for (let c = 0; c < clients; c++) {
    const parts: number[] = [];
    for (let j = 0; j < shardsPerClient; j++) {
      const shard = dealt[c * shardsPerClient + j];
      for (let i = shardStart(shard); i < shardStart(shard + 1); i++) parts.push(sorted[i]);
    }
    lists.push(Int32Array.from(parts));
  }
  return sortedIndexLists(lists);
}
