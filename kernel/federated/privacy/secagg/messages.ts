/**
 * The messages of one secure-aggregation round (Bonawitz et al. 2017, the
 * semi-honest variant): what clients and server exchange, and their size on
 * the wire, so that the simulation can report bytes as a deployment would.
 */
import type { KeyObject } from 'node:crypto';

/** Round 0 (AdvertiseKeys): a client's two X25519 public keys. */
export interface AdvertisedKeys {
  readonly index: number;
  /** c_u^PK, for encrypting shares sent through the server. */
  readonly cPublic: Buffer;
  /** s_u^PK, for agreeing pairwise mask seeds. */
  readonly sPublic: Buffer;
}

/** Round 1 (ShareKeys): client `from`'s shares for client `to`, encrypted so that the server cannot read them. */
export interface EncryptedShares {
  readonly from: number;
  readonly to: number;
  /** AES-256-GCM(u ‖ v ‖ share of s_u seed ‖ share of b_u), tag appended. */
  readonly ciphertext: Buffer;
}

/**
 * The roster the server broadcasts after round 0: the advertised keys, each parsed once.
 * (Parsing is local work every recipient would do; doing it once keeps the simulation fast
 * without changing what travels: only the raw keys count as bytes.)
 */
export interface RosterEntry extends AdvertisedKeys {
  readonly cKey: KeyObject;
  readonly sKey: KeyObject;
}

/** Round 3 (Unmasking) request: who sent a masked input and who dropped after sharing keys. */
export interface UnmaskingRequest {
  readonly survivors: readonly number[];
  readonly dropped: readonly number[];
}

/** Round 3 answer: shares of s seeds of dropped clients and of b seeds of survivors, as held by `from`. */
export interface UnmaskingShares {
  readonly from: number;
  readonly sSeedShares: ReadonlyMap<number, bigint>;
  readonly selfMaskShares: ReadonlyMap<number, bigint>;
}

/** Bytes of a client index on the wire. */
export const INDEX_BYTES = 4;
/** Bytes of a field element (F_p, p = 2^255 − 19). */
export const FIELD_BYTES = 32;

export function advertisedKeysBytes(): number {
  return INDEX_BYTES + 32 + 32;
}

export function encryptedSharesBytes(message: EncryptedShares): number {
  return 2 * INDEX_BYTES + message.ciphertext.length;
}

export function unmaskingRequestBytes(request: UnmaskingRequest): number {
  return INDEX_BYTES * (request.survivors.length + request.dropped.length);
}

export function unmaskingSharesBytes(message: UnmaskingShares): number {
  return INDEX_BYTES + (INDEX_BYTES + FIELD_BYTES) * (message.sSeedShares.size + message.selfMaskShares.size);
}
