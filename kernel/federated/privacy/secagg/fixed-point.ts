/**
 * Fixed-point encoding of real vectors into Z_{2^32}, the group secure
 * aggregation sums in. Values are rounded to integers at a scale s and stored
 * as two's-complement 32-bit words, so that addition in a Uint32Array (which
 * wraps mod 2^32) is addition in the group.
 *
 * Overflow headroom: if every client's coordinate is bounded and the bounds of
 * the m clients add up to S, the true integer sum is at most S·s + m/2 in
 * absolute value (each rounding adds at most ½). Choosing
 * s = (2^31 − 1 − m) / S keeps it inside the signed range (−2^31, 2^31), so the
 * decoded sum is the exact integer sum, never a wrapped one.
 */

const HALF_RANGE = 2 ** 31 - 1;

/** The largest scale at which m clients whose coordinates add up to at most `sumBound` cannot overflow. */
export function fixedPointScale(sumBound: number, cohort: number): number {
  if (!(sumBound > 0) || !Number.isFinite(sumBound)) throw new RangeError(`fixed-point sum bound must be a finite number > 0 (got ${sumBound})`);
  if (!Number.isInteger(cohort) || cohort < 1) throw new RangeError(`fixed-point cohort must be a positive integer (got ${cohort})`);
  const scale = (HALF_RANGE - cohort) / sumBound;
  if (!(scale >= 1)) throw new RangeError(`fixed-point: a sum bound of ${sumBound} over ${cohort} clients leaves no precision in 32 bits`);
  return scale;
}

/**
 * Encodes `values` (each already within ±bound) as round(x·s) mod 2^32.
 * Values beyond ±bound are clamped to it, so a client can never push the sum out of range.
 */
export function encodeFixedPoint(values: Float32Array | Float64Array, scale: number, bound: number): Uint32Array {
  const out = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i] > bound ? bound : values[i] < -bound ? -bound : values[i];
    out[i] = Math.round(x * scale); // stores the value mod 2^32 (two's complement for negatives)
  }
  return out;
}

/** Decodes a sum in Z_{2^32} back to reals: read each word as a signed 32-bit integer, divide by s. */
export function decodeFixedPoint(words: Uint32Array, scale: number): Float64Array {
  const signed = new Int32Array(words.buffer, words.byteOffset, words.length);
  const out = new Float64Array(words.length);
  for (let i = 0; i < words.length; i++) out[i] = signed[i] / scale;
  return out;
}

/** target ← target + source (mod 2^32), in place. */
export function addInto(target: Uint32Array, source: Uint32Array): void {
  for (let i = 0; i < target.length; i++) target[i] += source[i];
}

/** target ← target − source (mod 2^32), in place. */
export function subtractInto(target: Uint32Array, source: Uint32Array): void {
  for (let i = 0; i < target.length; i++) target[i] -= source[i];
}
