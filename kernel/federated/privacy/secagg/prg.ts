/**
 * The pseudo-random generator that expands a 32-byte seed into a mask in
 * Z_{2^32}^d: AES-256 in counter mode from node:crypto, keystream read as
 * little-endian 32-bit words. Two clients holding the same shared secret
 * expand the same mask, which is what makes pairwise masks cancel.
 */
import { createCipheriv, createHash } from 'node:crypto';

const ZERO_IV = Buffer.alloc(16);
let zeros = Buffer.alloc(0);

/** Expands `seed` (32 bytes) into `length` uniformly random words. */
export function expandMask(seed: Uint8Array, length: number): Uint32Array {
  if (seed.length !== 32) throw new RangeError(`mask seed must be 32 bytes (got ${seed.length})`);
  const bytes = length * 4;
  if (zeros.length < bytes) zeros = Buffer.alloc(bytes);
  const cipher = createCipheriv('aes-256-ctr', seed, ZERO_IV);
  const stream = cipher.update(zeros.subarray(0, bytes));
  // The keystream is little-endian words already; view it in place when aligned, else copy.
  if (stream.byteOffset % 4 === 0) return new Uint32Array(stream.buffer, stream.byteOffset, length);
  const mask = new Uint32Array(length);
  new Uint8Array(mask.buffer).set(stream);
  return mask;
}

/** SHA-256 of the parts, used to derive independent keys from one secret (a label per use). */
export function deriveKey(label: string, ...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256').update(label);
  for (const part of parts) hash.update(part);
  return hash.digest();
}
