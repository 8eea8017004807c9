/** What makes a client's update unusable, checked before any aggregation sees it. */

/** Why an update cannot be used, or undefined when it is fine (wrong length, NaN or Inf). */
export function findInvalidUpdate(delta: Float32Array, dimension: number): string | undefined {
  if (delta.length !== dimension) return `update has ${delta.length} values, the model has ${dimension}`;
  for (let j = 0; j < delta.length; j++) {
    if (!Number.isFinite(delta[j])) return `update value ${j} is ${delta[j]} (NaN or Inf updates are rejected)`;
  }
  return undefined;
}
