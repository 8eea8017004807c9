/**
 * A remote client's side of secure aggregation (Bonawitz et al. 2017) over the
 * federation's wire: the maths is kernel/federated/privacy/secagg's
 * SecAggClient; this turns its messages into frames and back. Keys, seeds and
 * Shamir coefficients come from the OS's cryptographic generator, not from the
 * run's seed: a seeded generator would let anyone with the seed unmask.
 */
import { randomBytes } from 'node:crypto';
import type { Rng } from '../../federated/random';
import { SecAggClient } from '../../federated/privacy/secagg/client';
import type { EncryptedShares, RosterEntry } from '../../federated/privacy/secagg/messages';
import { bytesToField, fieldToBytes } from '../../federated/privacy/secagg/shamir';
import { parsePublicKey } from '../../federated/privacy/secagg/x25519';
import { SECAGG_ENVELOPE_BYTES, type SecAggInbox, type SecAggRoster, type SecAggUnmask } from './wire';

/** Uniform 32-bit words from crypto.randomBytes, in the shape SecAggClient draws from (it only calls uint32). */
export function cryptoRng(): Rng {
  let pool = Buffer.alloc(0);
  let at = 0;
  const uint32 = (): number => {
    if (at + 4 > pool.length) {
      pool = randomBytes(4096);
      at = 0;
    }
    const value = pool.readUInt32LE(at);
    at += 4;
    return value;
  };
  const unsupported = (): never => {
    throw new Error('cryptoRng draws 32-bit words only');
  };
  return {
    uint32,
    next: () => uint32() / 2 ** 32,
    int: (n) => Math.floor((uint32() / 2 ** 32) * n),
    normal: unsupported,
    gamma: unsupported,
    shuffle: unsupported,
    fork: () => cryptoRng(),
  };
}

/** Concatenates byte strings of one size; splits them back. */
export function packBytes(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}
export function unpackBytes(bytes: Uint8Array, size: number, count: number, what: string): Buffer[] {
  if (bytes.length !== size * count) throw new RangeError(`${what}: expected ${count} × ${size} bytes, got ${bytes.length}`);
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: count }, (_, i) => all.subarray(i * size, (i + 1) * size));
}

/** The roster as the server sends it: ids, and 64 bytes of keys (c then s) per id. */
export function rosterFrom(message: Pick<SecAggRoster, 'indices' | 'keys'>): RosterEntry[] {
  const keys = unpackBytes(message.keys, 64, message.indices.length, 'roster keys');
  return message.indices.map((index, i) => {
    const cPublic = keys[i].subarray(0, 32),
      sPublic = keys[i].subarray(32, 64);
    return { index, cPublic, sPublic, cKey: parsePublicKey(cPublic), sKey: parsePublicKey(sPublic) };
  });
}

export class SecAggSession {
  private readonly client: SecAggClient;

  constructor(
    readonly clientId: number,
    input: Uint32Array,
    readonly threshold: number,
    rng: Rng = cryptoRng(),
  ) {
    this.client = new SecAggClient(clientId, input, rng);
  }

  /** Round 0: the two public keys. */
  keys(): { cPublic: Uint8Array; sPublic: Uint8Array } {
    const { cPublic, sPublic } = this.client.advertiseKeys();
    return { cPublic, sPublic };
  }

  /** Round 1: one encrypted envelope of shares per peer on the roster. */
  shares(message: Pick<SecAggRoster, 'indices' | 'keys'>): { to: number[]; ciphertexts: Uint8Array } {
    const envelopes = this.client.shareKeys(rosterFrom(message), this.threshold);
    return { to: envelopes.map((e) => e.to), ciphertexts: packBytes(envelopes.map((e) => e.ciphertext)) };
  }

  /** Round 2: open the envelopes addressed here, send the masked input. */
  masked(message: Pick<SecAggInbox, 'from' | 'ciphertexts'>): Uint32Array {
    const boxes = unpackBytes(message.ciphertexts, SECAGG_ENVELOPE_BYTES, message.from.length, 'share envelopes');
    const inbox: EncryptedShares[] = message.from.map((from, i) => ({ from, to: this.clientId, ciphertext: boxes[i] }));
    return this.client.maskedInput(inbox);
  }

  /** Round 3: the shares that let the server remove the masks, and no more (SecAggClient refuses a request that would unmask anyone). */
  unmask(message: Pick<SecAggUnmask, 'survivors' | 'dropped'>): { sOwners: number[]; sShares: Uint8Array; bOwners: number[]; bShares: Uint8Array } {
    const answer = this.client.unmask({ survivors: message.survivors, dropped: message.dropped }, this.threshold);
    return {
      sOwners: [...answer.sSeedShares.keys()],
      sShares: packBytes([...answer.sSeedShares.values()].map(fieldToBytes)),
      bOwners: [...answer.selfMaskShares.keys()],
      bShares: packBytes([...answer.selfMaskShares.values()].map(fieldToBytes)),
    };
  }
}

/** The server's view of an unmasking answer: owner → share. */
export function sharesFrom(owners: readonly number[], bytes: Uint8Array, what: string): Map<number, bigint> {
  const parts = unpackBytes(bytes, 32, owners.length, what);
  return new Map(owners.map((owner, i) => [owner, bytesToField(parts[i])]));
}
