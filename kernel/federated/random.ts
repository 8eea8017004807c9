/**
 * Seeded pseudo-random numbers. One seed fixes partitions, client sampling,
 * initial weights and noise, so every random choice in Fedbook goes through here.
 *
 * The generator is xoshiro128** seeded through splitmix32: fast, 32-bit only
 * (no BigInt), and good enough statistically for simulation (not for crypto).
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform 32-bit unsigned integer. */
  uint32(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal draw (Box–Muller). */
  normal(): number;
  /** Gamma(shape, 1) draw (Marsaglia–Tsang). */
  gamma(shape: number): number;
  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T;
  /** A new independent generator derived from this one's seed and a label. */
  fork(label: string | number): Rng;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** 32-bit FNV-1a hash of a string, used to derive fork seeds from labels. */
export function hashLabel(label: string | number): number {
  const text = String(label);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Creates a seeded generator; the same seed always gives the same sequence. */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new TypeError(`seed must be a finite number (got ${seed})`);
  const baseSeed = (Math.floor(seed) >>> 0) ^ Math.floor(seed / 4294967296);
  const init = splitmix32(baseSeed);
  let s0 = init(),
    s1 = init(),
    s2 = init(),
    s3 = init();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  let spareNormal: number | undefined;

  const uint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    s0 >>>= 0;
    s1 >>>= 0;
    s2 >>>= 0;
    s3 >>>= 0;
    return result;
  };
  const next = (): number => {
    // 53-bit float from two draws, so that tiny probabilities are representable.
    const high = uint32() >>> 5,
      low = uint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  };
  const rng: Rng = {
    next,
    uint32,
    int(n: number): number {
      if (!Number.isInteger(n) || n <= 0) throw new RangeError(`int(n) needs a positive integer n (got ${n})`);
      return Math.floor(next() * n);
    },
    normal(): number {
      if (spareNormal !== undefined) {
        const value = spareNormal;
        spareNormal = undefined;
        return value;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const radius = Math.sqrt(-2 * Math.log(u));
      spareNormal = radius * Math.sin(2 * Math.PI * v);
      return radius * Math.cos(2 * Math.PI * v);
    },
    gamma(shape: number): number {
      if (!(shape > 0)) throw new RangeError(`gamma shape must be > 0 (got ${shape})`);
      if (shape < 1) {
        // Boost: Gamma(a) = Gamma(a + 1) · U^(1/a).
        let u = 0;
        while (u === 0) u = next();
        return rng.gamma(shape + 1) * Math.pow(u, 1 / shape);
      }
      const d = shape - 1 / 3;
      const c = 1 / Math.sqrt(9 * d);
      for (;;) {
        let x: number, v: number;
        do {
          x = rng.normal();
          v = 1 + c * x;
        } while (v <= 0);
        v = v * v * v;
        const u = next();
        if (u < 1 - 0.0331 * x * x * x * x) return d * v;
        if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
      }
    },
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const tmp = items[i];
        items[i] = items[j];
        items[j] = tmp;
      }
      return items;
    },
    fork(label: string | number): Rng {
      return createRng((baseSeed ^ hashLabel(label)) >>> 0);
    },
  };
  return rng;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
