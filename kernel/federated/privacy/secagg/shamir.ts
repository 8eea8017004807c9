/**
 * Shamir t-out-of-n secret sharing over the prime field F_p, p = 2^255 − 19:
 * a secret is the constant term of a random polynomial of degree t − 1; share
 * i is its value at x = i. Any t shares give the secret back by Lagrange
 * interpolation at 0; fewer reveal nothing about it.
 */

/** The field modulus 2^255 − 19 (prime). */
export const FIELD_PRIME = (1n << 255n) - 19n;

/** One share: the polynomial's value y at the point x (x ≥ 1). */
export interface Share {
  readonly x: number;
  readonly y: bigint;
}

function mod(a: bigint): bigint {
  const r = a % FIELD_PRIME;
  return r < 0n ? r + FIELD_PRIME : r;
}

function modPow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % FIELD_PRIME;
    b = (b * b) % FIELD_PRIME;
    e >>= 1n;
  }
  return result;
}

function modInverse(a: bigint): bigint {
  return modPow(a, FIELD_PRIME - 2n); // Fermat: a^(p−2) = a^(−1) in F_p
}

/**
 * Splits `secret` (in [0, p)) into shares at x = 1..n, any `threshold` of which recover it.
 * `randomField` supplies the polynomial's random coefficients (uniform in F_p).
 */
export function shareSecret(secret: bigint, n: number, threshold: number, randomField: () => bigint): Share[] {
  if (secret < 0n || secret >= FIELD_PRIME) throw new RangeError('Shamir secret must be in [0, p)');
  if (!Number.isInteger(n) || n < 1 || n >= 2 ** 32) throw new RangeError(`Shamir share count must be an integer in [1, 2^32) (got ${n})`);
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > n)
    throw new RangeError(`Shamir threshold must be an integer in [1, ${n}] (got ${threshold})`);
  const coefficients = [secret];
  for (let k = 1; k < threshold; k++) coefficients.push(mod(randomField()));
  const shares: Share[] = [];
  for (let x = 1; x <= n; x++) {
    // Horner's rule from the highest coefficient, reducing mod p every 8 steps only
    // (x < 2^32, so y grows by at most 32 bits a step: cheap, and far fewer divisions).
    const bx = BigInt(x);
    let y = 0n;
    for (let k = coefficients.length - 1; k >= 0; k--) {
      y = y * bx + coefficients[k];
      if (k % 8 === 0) y %= FIELD_PRIME;
    }
    shares.push({ x, y });
  }
  return shares;
}

/**
 * Lagrange coefficients at 0 for the points `xs`: secret = Σ λ_i y_i.
 * They depend only on which clients answered, so one set serves every secret of a round.
 */
export function lagrangeAtZero(xs: readonly number[]): bigint[] {
  if (new Set(xs).size !== xs.length) throw new RangeError('Shamir reconstruction needs shares at distinct points');
  return xs.map((xiNumber, i) => {
    const xi = BigInt(xiNumber);
    let numerator = 1n,
      denominator = 1n;
    for (let j = 0; j < xs.length; j++) {
      if (j === i) continue;
      const xj = BigInt(xs[j]);
      numerator = (numerator * xj) % FIELD_PRIME; // (0 − x_j)/(x_i − x_j) = x_j/(x_j − x_i)
      denominator = mod(denominator * (xj - xi));
    }
    return (numerator * modInverse(denominator)) % FIELD_PRIME;
  });
}

/** Σ λ_i y_i mod p: the secret from share values at the points the coefficients were made for. */
export function combineShares(coefficients: readonly bigint[], ys: readonly bigint[]): bigint {
  let secret = 0n;
  for (let i = 0; i < coefficients.length; i++) secret = (secret + coefficients[i] * ys[i]) % FIELD_PRIME;
  return secret;
}

/** Recovers the secret from at least `threshold` distinct shares (uses the first `threshold`). */
export function reconstructSecret(shares: readonly Share[], threshold: number): bigint {
  if (shares.length < threshold) throw new RangeError(`Shamir reconstruction needs ${threshold} shares (got ${shares.length})`);
  const used = shares.slice(0, threshold);
  return combineShares(
    lagrangeAtZero(used.map((s) => s.x)),
    used.map((s) => s.y),
  );
}

/** 32-byte big-endian encoding of a field element. */
export function fieldToBytes(value: bigint): Buffer {
  return Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
}

/** Field element from 32 big-endian bytes. */
export function bytesToField(bytes: Uint8Array): bigint {
  return BigInt('0x' + Buffer.from(bytes).toString('hex')) % FIELD_PRIME;
}
