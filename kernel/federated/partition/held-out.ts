/**
 * A client's held-out split for client-side evaluation: a fixed share of its
 * examples, chosen once per run by the seed, never trained on.
 */
import { createRng } from '../random';
import type { HeldOutSplit } from '../types';

/** Number of examples held out of n (at least one when the share is positive). */
export function heldOutCount(n: number, share: number): number {
  return share > 0 ? Math.max(1, Math.floor(share * n)) : 0;
}

/** The client's examples split into training and held-out parts, each ascending. */
export function splitHeldOut(indices: Int32Array, split: HeldOutSplit, clientId: number): { train: Int32Array; heldOut: Int32Array } {
  const held = heldOutCount(indices.length, split.share);
  const order = Int32Array.from(indices);
  createRng(split.seed).fork(`held-out-${clientId}`).shuffle(order);
  return { train: order.slice(held).sort(), heldOut: order.slice(0, held).sort() };
}

/** Throws when the share would leave some client nothing to train on. */
export function checkHeldOutShare(sizes: readonly number[], share: number, where: string): void {
  if (!(typeof share === 'number' && share > 0 && share < 1)) throw new RangeError(`${where}: heldOut must be a share in (0, 1) (got ${String(share)})`);
  sizes.forEach((n, clientId) => {
    const held = heldOutCount(n, share);
    if (n - held < 1) {
      throw new RangeError(
        `${where}: heldOut = ${share} holds out ${held} of client ${clientId}'s ${n} example(s), leaving it no training data; ` +
          'use a smaller heldOut or a partition with at least 2 examples per client',
      );
    }
  });
}
