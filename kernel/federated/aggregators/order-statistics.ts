/** Coordinate-wise order statistics shared by the median and the trimmed mean. */
import type { AggregatorInput } from './aggregator';

/**
 * For every coordinate j, sorts the inputs' values at j and hands them to `reduce`;
 * returns the reduced values as the round's delta.
 */
export function coordinateWise(inputs: readonly AggregatorInput[], dimension: number, reduce: (sorted: Float64Array) => number): Float32Array {
  const delta = new Float32Array(dimension);
  const column = new Float64Array(inputs.length);
  for (let j = 0; j < dimension; j++) {
    for (let i = 0; i < inputs.length; i++) column[i] = inputs[i].vector[j];
    column.sort();
    delta[j] = reduce(column);
  }
  return delta;
}
