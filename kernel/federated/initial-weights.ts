/**
 * Seeded initial weights, computed here rather than by tfjs so that one seed
 * fixes them on every backend. Follows Keras defaults: Glorot-uniform kernels,
 * zero biases, ones for batch-norm scales and variances.
 */
import type { Rng } from './random';

export interface WeightShape {
  name: string;
  shape: number[];
}

/** Glorot fan-in / fan-out, as Keras computes them for dense and conv kernels. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  if (shape.length === 2) return { fanIn: shape[0], fanOut: shape[1] };
  const receptiveField = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: receptiveField * shape[shape.length - 2], fanOut: receptiveField * shape[shape.length - 1] };
}

function initialValue(name: string): 'zeros' | 'ones' | 'glorot' {
  const leaf = name.split('/').pop() ?? name;
  if (/gamma|moving_variance/.test(leaf)) return 'ones';
  if (/bias|beta|moving_mean/.test(leaf)) return 'zeros';
  return 'glorot';
}

/** One flat vector with every weight initialised, in the given order. */
export function initialWeights(weights: readonly WeightShape[], rng: Rng): Float32Array {
  const total = weights.reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0);
  const flat = new Float32Array(total);
  let offset = 0;
  for (const weight of weights) {
    const size = weight.shape.reduce((a, b) => a * b, 1);
    const kind = weight.shape.length < 2 && initialValue(weight.name) === 'glorot' ? 'zeros' : initialValue(weight.name);
    if (kind === 'ones') flat.fill(1, offset, offset + size);
    if (kind === 'glorot') {
      const { fanIn, fanOut } = fans(weight.shape);
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let j = 0; j < size; j++) flat[offset + j] = (2 * rng.next() - 1) * limit;
    }
    offset += size;
  }
  return flat;
}
