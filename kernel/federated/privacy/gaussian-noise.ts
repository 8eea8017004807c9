/**
 * The Gaussian mechanism's noise: independent N(0, std²) draws from the
 * round's seeded generator, so that a run is reproducible from its seed.
 */
import type { Rng } from '../random';

/** Adds N(0, std²) independently to every coordinate of `target`, in place; returns it. */
export function addGaussianNoise<T extends Float64Array | Float32Array>(target: T, std: number, rng: Rng): T {
  if (!(std >= 0) || !Number.isFinite(std)) throw new RangeError(`noise std must be a finite number >= 0 (got ${std})`);
  if (std === 0) return target;
  for (let i = 0; i < target.length; i++) target[i] += std * rng.normal();
  return target;
}

/** One N(0, std²) draw (the noise on a scalar such as the count of unclipped clients). */
export function gaussianNoise(std: number, rng: Rng): number {
  return std === 0 ? 0 : std * rng.normal();
}
