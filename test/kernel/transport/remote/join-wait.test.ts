/** The servers' wait for joins: it resolves on the join that makes the count, and rejects in the caller's words. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunAbortedError } from '../../../../kernel/transport/in-process/cohort-training';
import { createJoinWait } from '../../../../kernel/transport/remote/join-wait';

const words = { timedOut: () => 'too few joined', aborted: () => 'stopped waiting' };

test('a wait resolves once a join brings the count up to what it waits for, not before', async () => {
  let connected = 1;
  const joins = createJoinWait(() => connected);
  let settled = false;
  const wait = joins.waitFor(2, 60_000, undefined, words).then(() => {
    settled = true;
  });
  joins.joined();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false);
  connected = 2;
  joins.joined();
  await wait;
  assert.equal(settled, true);
});

test('a wait already met resolves at once; an aborted signal rejects with the aborted words', async () => {
  const joins = createJoinWait(() => 3);
  await joins.waitFor(3, 60_000, undefined, words);
  const controller = new AbortController();
  const waiting = createJoinWait(() => 0).waitFor(1, 60_000, controller.signal, words);
  controller.abort();
  await assert.rejects(waiting, (error: Error) => error instanceof RunAbortedError && error.message === 'stopped waiting');
  await assert.rejects(createJoinWait(() => 0).waitFor(1, 60_000, AbortSignal.abort(), words), RunAbortedError);
});

test('a wait past its timeout rejects with the timed-out words', async () => {
  await assert.rejects(createJoinWait(() => 0).waitFor(1, 1, undefined, words), { message: 'too few joined' });
});
