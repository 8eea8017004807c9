/** Copies examples from shared memory into a contiguous batch buffer. */
import type { DataPoison } from '../kernel/federated/types';
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

/**
 * A simulated attacker's poisoning of a gathered batch, in place. Which examples a
 * backdoor stamps depends only on the example's index, so it is the same every epoch.
 */
export function poisonBatch(
  poison: DataPoison,
  order: ArrayLike<number>,
  start: number,
  count: number,
  size: number,
  xOut: Float32Array,
  yOut: Int32Array,
): void {
  for (let i = 0; i < count; i++) {
    if (poison.kind === 'labelFlip') {
      yOut[i] = poison.numClasses - 1 - yOut[i];
    } else if (unitHash(order[start + i]) < poison.fraction) {
      for (const position of poison.positions) xOut[i * size + position] = poison.value;
      yOut[i] = poison.target;
    }
  }
}

/** A fixed pseudo-random number in [0, 1) for an integer (Knuth's multiplicative hash). */
function unitHash(n: number): number {
  return (Math.imul(n + 1, 2654435761) >>> 0) / 4294967296;
}
