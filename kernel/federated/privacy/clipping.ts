/**
 * L2 clipping of client updates, the step that bounds each client's
 * influence (its sensitivity) before noise is added.
 */

/** L2 norm of a vector, accumulated in double precision. */
export function l2Norm(vector: Float32Array | Float64Array): number {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i] * vector[i];
  return Math.sqrt(sum);
}

/** A clipped update and what clipping did to it. */
export interface ClippedVector {
  /** The update scaled by min(1, C/‖Δ‖). */
  readonly vector: Float64Array;
  /** ‖Δ‖ before clipping. */
  readonly norm: number;
  /** True when ‖Δ‖ ≤ C, i.e. the update passed unchanged. */
  readonly unclipped: boolean;
}

/** Scales `delta` to L2 norm at most `clip` (unchanged when already within it). */
export function clipToNorm(delta: Float32Array | Float64Array, clip: number): ClippedVector {
  if (!(clip > 0)) throw new RangeError(`clip must be > 0 (got ${clip})`);
  const norm = l2Norm(delta);
  const scale = norm > clip ? clip / norm : 1;
  const vector = new Float64Array(delta.length);
  for (let i = 0; i < delta.length; i++) vector[i] = delta[i] * scale;
  return { vector, norm, unclipped: norm <= clip };
}
