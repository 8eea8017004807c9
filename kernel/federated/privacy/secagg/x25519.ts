/**
 * X25519 key agreement (RFC 7748) through node:crypto, with keys made from
 * raw 32-byte private scalars so that a seeded run regenerates the same keys.
 */
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';

// DER prefixes of PKCS#8 private and SPKI public X25519 keys (OID 1.3.101.110).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

/** An X25519 key pair; `publicRaw` is the 32 bytes that go on the wire. */
export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicRaw: Buffer;
}

/** The key pair whose private scalar is `privateRaw` (32 bytes; clamped by X25519 itself). */
export function keyPairFromPrivate(privateRaw: Uint8Array): KeyPair {
  if (privateRaw.length !== 32) throw new RangeError(`X25519 private key must be 32 bytes (got ${privateRaw.length})`);
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, privateRaw]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return { privateKey, publicRaw: Buffer.from(spki.subarray(spki.length - 32)) };
}

/** Parses a peer's raw 32-byte public key (parse once, agree many times: parsing costs more than agreeing). */
export function parsePublicKey(publicRaw: Uint8Array): KeyObject {
  if (publicRaw.length !== 32) throw new RangeError(`X25519 public key must be 32 bytes (got ${publicRaw.length})`);
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicRaw]), format: 'der', type: 'spki' });
}

/** The shared secret between our private key and a peer's public key. */
export function agree(privateKey: KeyObject, peerPublic: KeyObject): Buffer {
  return diffieHellman({ privateKey, publicKey: peerPublic });
}
