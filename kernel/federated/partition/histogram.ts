/**
 * Label histograms: how many examples of each class every client holds. The
 * quickest way to see how non-IID a partition is.
 */

/** `result[c][k]` = number of examples of class k held by client c. */
export function labelHistogram(labels: ArrayLike<number>, clientIndices: readonly ArrayLike<number>[], numClasses: number): number[][] {
  return clientIndices.map((indices) => {
    const row = new Array<number>(numClasses).fill(0);
    for (let i = 0; i < indices.length; i++) {
      const label = labels[indices[i]];
      if (!(label >= 0 && label < numClasses)) throw new RangeError(`label ${label} of example ${indices[i]} is not in 0..${numClasses - 1}`);
      row[label]++;
    }
    return row;
  });
}
