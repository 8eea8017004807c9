/**
 * Helpers shared by the partition schemes. A client's examples are a list of
 * example indices; partitions return them sorted ascending, so that the same
 * set always has the same representation (and reads memory in order).
 */

/** Copies each list into its own Int32Array, sorted ascending. */
export function sortedIndexLists(lists: readonly ArrayLike<number>[]): Int32Array[] {
  return lists.map((list) => Int32Array.from(list).sort());
}

/**
 * Indices 0..n-1 grouped by label: `byLabel[k]` lists the examples of class k
 * in ascending order. Labels must be integers in 0..numClasses-1.
 */
export function indicesByLabel(labels: ArrayLike<number>, numClasses: number): Int32Array[] {
  const counts = new Int32Array(numClasses);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new RangeError(`label ${label} of example ${i} is not an integer in 0..${numClasses - 1}`);
    }
    counts[label]++;
  }
  const byLabel = Array.from(counts, (count) => new Int32Array(count));
  const filled = new Int32Array(numClasses);
  for (let i = 0; i < labels.length; i++) byLabel[labels[i]][filled[labels[i]]++] = i;
  return byLabel;
}
