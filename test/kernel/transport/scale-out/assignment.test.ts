import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignCohort } from '../../../../kernel/transport/scale-out/assignment';

test('the cohort is dealt over slots weighted by threads: this process first, then the workers in name order', () => {
  // Slots: here, here, 'a', 'b', 'b', 'b' (b has 3 threads, a 1; given out of order).
  const placement = assignCohort(8, 2, [
    { name: 'b', threads: 3 },
    { name: 'a', threads: 1 },
  ]);
  assert.deepEqual(placement, [undefined, undefined, 'a', 'b', 'b', 'b', undefined, undefined]);
});

test('no workers: every client trains here; no local threads and no workers still trains here', () => {
  assert.deepEqual(assignCohort(3, 4, []), [undefined, undefined, undefined]);
  assert.deepEqual(assignCohort(2, 0, []), [undefined, undefined]);
  assert.deepEqual(assignCohort(2, 0, [{ name: 'w', threads: 2 }]), ['w', 'w']);
});
