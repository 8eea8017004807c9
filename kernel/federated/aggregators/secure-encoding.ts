/**
 * The client's half of a secure stack: what happens to an update before it is
 * masked (clip, weight, fixed-point encode), described by plain data so that it
 * can travel to a client in another process. The simulation encodes its
 * clients' updates with the same function, which is what makes a federation's
 * secure round bit-identical to the simulated one.
 */
import { clipToNorm } from '../privacy/clipping';
import { encodeFixedPoint } from '../privacy/secagg/fixed-point';

/** One client's encoding of its update for a secure sum (plain data: it goes over the wire). */
export interface SecureEncoding {
  /** L2 clip norm C applied first (DP); absent: no clipping. */
  readonly clip?: number;
  /** Adaptive clipping: append one coordinate C·(b − ½), b = 1 when the update was within C. */
  readonly countUnclipped?: boolean;
  /** α_i, the factor a mean applies to this client's update (1 under DP, whose mean weighs every client the same). */
  readonly weight: number;
  /** Public bound on every coordinate (α_i·B, or C under DP); values beyond it are clamped. */
  readonly bound: number;
  /** The round's fixed-point scale s (the same for every client of the round). */
  readonly scale: number;
}

/** Clip, weight, then round(x·s) mod 2^32: the vector a client masks. */
export function encodeUpdate(delta: Float32Array | Float64Array, encoding: SecureEncoding): Uint32Array {
  let vector: Float32Array | Float64Array = delta;
  if (encoding.clip !== undefined) {
    const clipped = clipToNorm(delta, encoding.clip);
    vector = clipped.vector;
    if (encoding.countUnclipped) {
      const extended = new Float64Array(delta.length + 1);
      extended.set(clipped.vector);
      extended[delta.length] = encoding.clip * ((clipped.unclipped ? 1 : 0) - 0.5);
      vector = extended;
    }
  }
  if (encoding.weight !== 1) {
    const weighted = new Float64Array(vector.length);
    for (let j = 0; j < vector.length; j++) weighted[j] = encoding.weight * vector[j];
    vector = weighted;
  }
  return encodeFixedPoint(vector, encoding.scale, encoding.bound);
}

/** Checks an encoding that came over the wire; throws a RangeError that says which field is wrong. */
export function checkSecureEncoding(value: unknown, where = 'secure encoding'): SecureEncoding {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RangeError(`${where} must be an object`);
  const e = value as Record<string, unknown>;
  const finite = (name: string, least: 'positive' | 'nonNegative', optional = false): void => {
    const x = e[name];
    if (optional && x === undefined) return;
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || (least === 'positive' && x === 0)) {
      throw new RangeError(`${where}.${name} must be a finite number ${least === 'positive' ? '> 0' : '>= 0'} (got ${String(x)})`);
    }
  };
  finite('clip', 'positive', true);
  // A client that trains on no examples weighs 0 in the mean: it sends a masked vector of zeros.
  finite('weight', 'nonNegative');
  finite('bound', 'nonNegative');
  finite('scale', 'positive');
  if (e.countUnclipped !== undefined && typeof e.countUnclipped !== 'boolean') throw new RangeError(`${where}.countUnclipped must be a boolean`);
  if (e.countUnclipped && e.clip === undefined) throw new RangeError(`${where}.countUnclipped needs a clip`);
  return {
    ...(e.clip !== undefined ? { clip: e.clip as number } : {}),
    ...(e.countUnclipped ? { countUnclipped: true } : {}),
    weight: e.weight as number,
    bound: e.bound as number,
    scale: e.scale as number,
  };
}
