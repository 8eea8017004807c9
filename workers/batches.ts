/** Copies examples from shared memory into a contiguous batch buffer. */
import type { SharedData } from './task-types';

export function exampleSize(data: Pick<SharedData, 'exampleShape'>): number {
  return data.exampleShape.reduce((a, b) => a * b, 1);
}

export function gatherBatch(data: SharedData, order: ArrayLike<number>, start: number, end: number, xOut: Float32Array, yOut: Int32Array): number {
  const size = exampleSize(data);
  const count = end - start;
  for (let i = 0; i < count; i++) {
    const example = order[start + i];
    xOut.set(data.x.subarray(example * size, (example + 1) * size), i * size);
    yOut[i] = data.y[example];
  }
  return count;
}
