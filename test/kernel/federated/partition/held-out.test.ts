import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHeldOutShare, heldOutCount, splitHeldOut } from '../../../../kernel/federated/partition/held-out';

test('a held-out split is disjoint, complete, seeded and sized floor(share·n) (at least 1)', () => {
  const indices = Int32Array.from([3, 8, 10, 11, 20, 21, 30, 31, 40, 41]);
  const { train, heldOut } = splitHeldOut(indices, { share: 0.2, seed: 4 }, 7);
  assert.equal(heldOut.length, 2);
  assert.equal(train.length, 8);
  assert.deepEqual(
    [...train, ...heldOut].sort((a, b) => a - b),
    Array.from(indices),
  );
  assert.deepEqual(splitHeldOut(indices, { share: 0.2, seed: 4 }, 7), { train, heldOut });
  assert.equal(heldOutCount(3, 0.2), 1);
  assert.equal(heldOutCount(10, 0.25), 2);
});

test('a share that leaves a client nothing to train on is refused', () => {
  assert.doesNotThrow(() => checkHeldOutShare([2, 5], 0.2, 'run'));
  assert.throws(() => checkHeldOutShare([5, 1], 0.2, 'run'), /holds out 1 of client 1's 1 example\(s\), leaving it no training data/);
  assert.throws(() => checkHeldOutShare([5], 1, 'run'), /heldOut must be a share in \(0, 1\) \(got 1\)/);
});
