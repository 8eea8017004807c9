/**
 * One client's side of secure aggregation (Bonawitz et al. 2017, double
 * masking). The client holds its fixed-point input x_u and sends only
 * y_u = x_u + PRG(b_u) + Σ_{v>u} PRG(s_uv) − Σ_{v<u} PRG(s_uv) (mod 2^32).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { Rng } from '../../random';
import { addInto, subtractInto } from './fixed-point';
import type { AdvertisedKeys, EncryptedShares, RosterEntry, UnmaskingRequest, UnmaskingShares } from './messages';
import { deriveKey, expandMask } from './prg';
import { bytesToField, fieldToBytes, FIELD_PRIME, shareSecret } from './shamir';
import { agree, keyPairFromPrivate, type KeyPair } from './x25519';

/** A uniform field element from the seeded generator (256 random bits reduced mod p; bias < 2^−250). */
export function randomFieldElement(rng: Rng): bigint {
  let value = 0n;
  for (let k = 0; k < 8; k++) value = (value << 32n) | BigInt(rng.uint32());
  return value % FIELD_PRIME;
}

function shareNonce(from: number, to: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(from, 0);
  nonce.writeUInt32BE(to, 4);
  return nonce;
}

/** Mask key derived from a pairwise X25519 secret or a self-mask seed. */
export function maskKey(label: 'pair' | 'self', secret: Uint8Array): Buffer {
  return deriveKey(`fedbook-secagg-${label}`, secret);
}

/** The s key pair a client derives from its s seed; the server rebuilds it from recovered shares. */
export function sKeyPairFromSeed(seed: bigint): KeyPair {
  return keyPairFromPrivate(deriveKey('fedbook-secagg-s-key', fieldToBytes(seed)));
}

/** A client in one secure-aggregation round: call advertiseKeys, shareKeys, maskedInput, unmask in order. */
export class SecAggClient {
  private readonly cKeys: KeyPair;
  private readonly sSeed: bigint;
  private readonly sKeys: KeyPair;
  private readonly selfMaskSeed: bigint;
  private roster: readonly RosterEntry[] = [];
  /** Share-encryption key per peer (the same in both directions). */
  private readonly envelopeKeys = new Map<number, Buffer>();
  /** Shares this client holds, by owner: [share of s seed, share of b]. */
  private readonly heldShares = new Map<number, [bigint, bigint]>();

  constructor(
    readonly index: number,
    private readonly input: Uint32Array,
    private readonly rng: Rng,
  ) {
    this.cKeys = keyPairFromPrivate(deriveKey('fedbook-secagg-c-key', fieldToBytes(randomFieldElement(rng))));
    this.sSeed = randomFieldElement(rng);
    this.sKeys = sKeyPairFromSeed(this.sSeed);
    this.selfMaskSeed = randomFieldElement(rng);
  }

  /** Round 0: publish both public keys. */
  advertiseKeys(): AdvertisedKeys {
    return { index: this.index, cPublic: this.cKeys.publicRaw, sPublic: this.sKeys.publicRaw };
  }

  /** Round 1: Shamir-share the s seed and the self-mask seed b, one encrypted envelope per other client. */
  shareKeys(roster: readonly RosterEntry[], threshold: number): EncryptedShares[] {
    this.roster = roster;
    const n = roster.length;
    const random = () => randomFieldElement(this.rng);
    const sShares = shareSecret(this.sSeed, n, threshold, random);
    const bShares = shareSecret(this.selfMaskSeed, n, threshold, random);
    const out: EncryptedShares[] = [];
    roster.forEach((peer, position) => {
      if (peer.index === this.index) {
        this.heldShares.set(this.index, [sShares[position].y, bShares[position].y]);
        return;
      }
      const key = deriveKey('fedbook-secagg-enc', agree(this.cKeys.privateKey, peer.cKey));
      this.envelopeKeys.set(peer.index, key);
      const plain = Buffer.alloc(8 + 64);
      plain.writeUInt32BE(this.index, 0);
      plain.writeUInt32BE(peer.index, 4);
      fieldToBytes(sShares[position].y).copy(plain, 8);
      fieldToBytes(bShares[position].y).copy(plain, 40);
      const cipher = createCipheriv('aes-256-gcm', key, shareNonce(this.index, peer.index));
      const ciphertext = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      out.push({ from: this.index, to: peer.index, ciphertext });
    });
    return out;
  }

  /** Round 2: decrypt the shares addressed to us, then send the doubly masked input. */
  maskedInput(inbox: readonly EncryptedShares[]): Uint32Array {
    for (const message of inbox) {
      if (message.to !== this.index) throw new Error(`secure aggregation: client ${this.index} got shares meant for client ${message.to}`);
      const key = this.envelopeKeys.get(message.from);
      if (!key) throw new Error(`secure aggregation: client ${this.index} got shares from unknown client ${message.from}`);
      const body = message.ciphertext.subarray(0, message.ciphertext.length - 16);
      const decipher = createDecipheriv('aes-256-gcm', key, shareNonce(message.from, message.to));
      decipher.setAuthTag(message.ciphertext.subarray(message.ciphertext.length - 16));
      const plain = Buffer.concat([decipher.update(body), decipher.final()]);
      if (plain.readUInt32BE(0) !== message.from || plain.readUInt32BE(4) !== this.index) {
        throw new Error(`secure aggregation: share envelope from client ${message.from} names the wrong sender or recipient`);
      }
      this.heldShares.set(message.from, [bytesToField(plain.subarray(8, 40)), bytesToField(plain.subarray(40, 72))]);
    }
    const masked = Uint32Array.from(this.input);
    addInto(masked, expandMask(maskKey('self', fieldToBytes(this.selfMaskSeed)), masked.length));
    for (const peer of this.roster) {
      if (peer.index === this.index || !this.heldShares.has(peer.index)) continue;
      const mask = expandMask(maskKey('pair', agree(this.sKeys.privateKey, peer.sKey)), masked.length);
      if (this.index < peer.index) addInto(masked, mask);
      else subtractInto(masked, mask);
    }
    return masked;
  }

  /**
   * Round 3: reveal shares of s seeds for dropped clients and of b seeds for survivors.
   * An honest client refuses a request naming a client in both sets (that would unmask it)
   * or fewer survivors than the threshold.
   */
  unmask(request: UnmaskingRequest, threshold: number): UnmaskingShares {
    const survivors = new Set(request.survivors);
    for (const index of request.dropped) {
      if (survivors.has(index))
        throw new Error(`secure aggregation: client ${this.index} refuses to unmask: client ${index} is listed both as survivor and as dropped`);
    }
    if (survivors.size < threshold)
      throw new Error(`secure aggregation: client ${this.index} refuses to unmask: ${survivors.size} survivors is below the threshold ${threshold}`);
    const sSeedShares = new Map<number, bigint>();
    const selfMaskShares = new Map<number, bigint>();
    for (const index of request.dropped) sSeedShares.set(index, this.held(index)[0]);
    for (const index of request.survivors) selfMaskShares.set(index, this.held(index)[1]);
    return { from: this.index, sSeedShares, selfMaskShares };
  }

  private held(owner: number): [bigint, bigint] {
    const shares = this.heldShares.get(owner);
    if (!shares) throw new Error(`secure aggregation: client ${this.index} holds no shares of client ${owner}`);
    return shares;
  }
}
