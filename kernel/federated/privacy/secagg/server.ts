/**
 * The server's side of secure aggregation. It routes keys and encrypted
 * shares, collects masked inputs, and after the unmasking round removes the
 * self masks of survivors and the pairwise masks shared with dropped clients.
 * It never holds an unmasked individual input: only masked vectors, their
 * running sum, and the seeds the protocol lets it reconstruct.
 */
import { addInto, subtractInto } from './fixed-point';
import type { AdvertisedKeys, EncryptedShares, RosterEntry, UnmaskingRequest, UnmaskingShares } from './messages';
import { maskKey, sKeyPairFromSeed } from './client';
import { expandMask } from './prg';
import { combineShares, fieldToBytes, lagrangeAtZero } from './shamir';
import { agree, parsePublicKey } from './x25519';

/** A round that cannot be unmasked: too many clients dropped, or a broken invariant. */
export class SecureAggregationError extends Error {
  constructor(
    message: string,
    readonly dropped: number,
    readonly needed: number,
    readonly cohort: number,
  ) {
    super(message);
    this.name = 'SecureAggregationError';
  }
}

/** The server in one secure-aggregation round; it holds masked vectors and their sum, never an input. */
export class SecAggServer {
  private roster: RosterEntry[] = [];
  private readonly pendingShares = new Map<number, EncryptedShares[]>();
  private readonly maskedSum: Uint32Array;
  private readonly received = new Set<number>();

  constructor(
    private readonly threshold: number,
    private readonly dimension: number,
  ) {
    this.maskedSum = new Uint32Array(dimension);
  }

  /** Round 0: collect the advertised keys; the result is broadcast to every client. */
  collectKeys(keys: readonly AdvertisedKeys[]): readonly RosterEntry[] {
    if (keys.length < this.threshold) {
      throw new SecureAggregationError(
        `secure aggregation: only ${keys.length} clients advertised keys but the threshold is ${this.threshold}`,
        0,
        this.threshold,
        keys.length,
      );
    }
    this.roster = [...keys].sort((a, b) => a.index - b.index).map((k) => ({ ...k, cKey: parsePublicKey(k.cPublic), sKey: parsePublicKey(k.sPublic) }));
    return this.roster;
  }

  /** Round 1: queue each encrypted envelope for its recipient (the server cannot read them). */
  routeShares(messages: readonly EncryptedShares[]): void {
    for (const message of messages) {
      const box = this.pendingShares.get(message.to) ?? [];
      box.push(message);
      this.pendingShares.set(message.to, box);
    }
  }

  /** Round 2 start: the envelopes addressed to client `index`. */
  inboxFor(index: number): EncryptedShares[] {
    const box = this.pendingShares.get(index) ?? [];
    this.pendingShares.delete(index);
    return box;
  }

  /** Round 2: add a masked input to the running sum (it is not kept on its own). */
  collectMaskedInput(index: number, masked: Uint32Array): void {
    if (masked.length !== this.dimension) throw new Error(`secure aggregation: client ${index} sent ${masked.length} words, expected ${this.dimension}`);
    if (this.received.has(index)) throw new Error(`secure aggregation: client ${index} sent its masked input twice`);
    this.received.add(index);
    addInto(this.maskedSum, masked);
  }

  /** Round 3 start: who survived; fails when fewer than the threshold are left to answer. */
  unmaskingRequest(): UnmaskingRequest {
    const survivors = this.roster.map((k) => k.index).filter((i) => this.received.has(i));
    const dropped = this.roster.map((k) => k.index).filter((i) => !this.received.has(i));
    if (survivors.length < this.threshold) {
      throw new SecureAggregationError(
        `secure aggregation cannot recover the sum: ${dropped.length} of ${this.roster.length} clients dropped out, ` +
          `leaving ${survivors.length} but at least ${this.threshold} are needed (threshold ${this.threshold}; at most ${this.roster.length - this.threshold} may drop)`,
        dropped.length,
        this.threshold,
        this.roster.length,
      );
    }
    return { survivors, dropped };
  }

  /**
   * Round 3: reconstruct b seeds of survivors and s seeds of dropped clients from `threshold`
   * answers, strip every remaining mask, and return Σ x_u over survivors (mod 2^32).
   */
  unmaskSum(request: UnmaskingRequest, answers: readonly UnmaskingShares[]): Uint32Array {
    if (answers.length < this.threshold) {
      throw new SecureAggregationError(
        `secure aggregation cannot recover the sum: only ${answers.length} clients answered the unmasking round but ${this.threshold} are needed`,
        this.roster.length - answers.length,
        this.threshold,
        this.roster.length,
      );
    }
    const used = answers.slice(0, this.threshold);
    const lambdas = lagrangeAtZero(used.map((a) => this.positionOf(a.from) + 1));
    const sum = Uint32Array.from(this.maskedSum);
    for (const index of request.survivors) {
      const seed = combineShares(
        lambdas,
        used.map((a) => shareOf(a.selfMaskShares, index, a.from)),
      );
      subtractInto(sum, expandMask(maskKey('self', fieldToBytes(seed)), this.dimension));
    }
    for (const droppedIndex of request.dropped) {
      const seed = combineShares(
        lambdas,
        used.map((a) => shareOf(a.sSeedShares, droppedIndex, a.from)),
      );
      const droppedKeys = sKeyPairFromSeed(seed);
      for (const survivor of request.survivors) {
        const peer = this.roster[this.positionOf(survivor)];
        const mask = expandMask(maskKey('pair', agree(droppedKeys.privateKey, peer.sKey)), this.dimension);
        // The survivor added the mask if its index is below the dropped client's, else subtracted it.
        if (survivor < droppedIndex) subtractInto(sum, mask);
        else addInto(sum, mask);
      }
    }
    return sum;
  }

  private positionOf(index: number): number {
    const position = this.roster.findIndex((k) => k.index === index);
    if (position < 0) throw new Error(`secure aggregation: client ${index} is not in this round's roster`);
    return position;
  }
}

function shareOf(shares: ReadonlyMap<number, bigint>, owner: number, holder: number): bigint {
  const share = shares.get(owner);
  if (share === undefined) throw new Error(`secure aggregation: client ${holder} sent no share for client ${owner}`);
  return share;
}
