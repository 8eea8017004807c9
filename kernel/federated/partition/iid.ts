/**
 * IID partition: every client gets a uniformly random share of the examples.
 * The indices are shuffled FIRST and then cut into nearly equal parts; cutting
 * the unshuffled range into contiguous blocks (Flower's IID bug #7290) gives
 * each client a slice of whatever order the file happened to have.
 */
import type { Rng } from '../random';
import { sortedIndexLists } from './index-lists';

/**
 * Splits examples 0..n-1 among `clients` clients at random. Sizes differ by
 * at most one: the first n mod clients clients get one example more.
 */
export function iidPartition(n: number, clients: number, rng: Rng): Int32Array[] {
  const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
  const base = Math.floor(n / clients);
  const extra = n % clients;
  const lists: Int32Array[] = [];
  let start = 0;
  for (let c = 0; c < clients; c++) {
    const size = base + (c < extra ? 1 : 0);
    lists.push(order.subarray(start, start + size));
    start += size;
  }
  return sortedIndexLists(lists);
}
