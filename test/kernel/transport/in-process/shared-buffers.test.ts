/** The round's shared buffers: lent, given back, lent again; never to two borrowers at once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { borrowShared, dropSharedBuffers, returnShared } from '../../../../kernel/transport/in-process/shared-buffers';

test('a buffer given back is lent again for the same size, not for another', () => {
  dropSharedBuffers();
  const first = borrowShared(64);
  returnShared(first);
  assert.notEqual(borrowShared(128), first);
  const again = borrowShared(64);
  assert.equal(again, first);
  assert.notEqual(borrowShared(64), first, 'lent once, not twice');
});

test('giving a buffer back twice is refused, and at most two are kept per size', () => {
  dropSharedBuffers();
  const [a, b, c] = [borrowShared(16), borrowShared(16), borrowShared(16)];
  returnShared(a);
  assert.throws(() => returnShared(a), { message: 'a shared buffer was given back twice (two rounds would write into it at once)' });
  returnShared(b);
  returnShared(c);
  const lent = new Set([borrowShared(16), borrowShared(16), borrowShared(16)]);
  assert.equal(lent.has(c), false, 'the third was left to the GC');
  assert.ok(lent.has(a) && lent.has(b));
});
