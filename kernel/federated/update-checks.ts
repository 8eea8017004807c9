/** What makes a client's update unusable, checked before any aggregation sees it. */

/** Why an update cannot be used, or undefined when it is fine (wrong length, NaN or Inf). */
export function findInvalidUpdate(delta: Float32Array, dimension: number): string | undefined {
  if (delta.length !== dimension) return `update has ${delta.length} values, the model has ${dimension}`;
  if (allFinite(delta)) return undefined;
  for (let j = 0; j < delta.length; j++) {
    if (!Number.isFinite(delta[j])) return `update value ${j} is ${delta[j]} (NaN or Inf updates are rejected)`;
  }
  return undefined;
}

/**
 * A sum of four float32 values is finite in float64 unless one of them is NaN or ±Inf (it cannot overflow),
 * and s − s is 0 exactly for a finite s: three times faster than Number.isFinite on each value.
 */
function allFinite(values: Float32Array): boolean {
  const n = values.length;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const s = values[j] + values[j + 1] + values[j + 2] + values[j + 3];
    if (s - s !== 0) return false;
  }
  for (; j < n; j++) if (!Number.isFinite(values[j])) return false;
  return true;
}
