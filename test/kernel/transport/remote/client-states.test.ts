/** Each client's state in a round and now, from its slot and how its task ended: the rules a round's record and describe() share. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerEnd, failureState, liveClientEntry, refusalEntry, roundClientEntry, type SlotFacts } from '../../../../kernel/transport/remote/client-states';
import type { TaskAnswer } from '../../../../kernel/transport/remote/task-book';
import { recordClientStates, type RemoteLink } from '../../../../kernel/transport/remote/remote-transport';
import { ClientRegistry } from '../../../../kernel/transport/remote/client-registry';

const slot = (fields: Partial<SlotFacts> = {}): SlotFacts => ({ id: 3, name: 'alice', connected: true, lastSeen: 1000, ...fields });

test('a sampled client is done, dropped, timed out or failed by how its task ended, with its timings', () => {
  assert.deepEqual(roundClientEntry(slot(), { ok: true, trainMs: 120, roundTripMs: 150 }, 0, 1200), {
    id: 3,
    name: 'alice',
    state: 'done',
    trainMs: 120,
    roundTripMs: 150,
    lastSeenMsAgo: 200,
  });
  const killed = roundClientEntry(
    slot({ connected: false, leftAt: 900 }),
    { ok: false, reason: 'dropped', message: 'stopped answering', roundTripMs: 2000 },
    0,
    1200,
  );
  assert.deepEqual(killed, { id: 3, name: 'alice', state: 'dropped', roundTripMs: 2000, lastSeenMsAgo: 200, reason: 'stopped answering' });
  // A done client that left after its update counted keeps its state; what happened is a note, not a reason.
  const leftAfter = roundClientEntry(slot({ connected: false, leftAt: 900 }), { ok: true, trainMs: 120, note: 'then it left' }, 0, 1200);
  assert.deepEqual(leftAfter, { id: 3, name: 'alice', state: 'done', trainMs: 120, lastSeenMsAgo: 200, note: 'then it left' });
  assert.deepEqual((['timeout', 'error', 'invalid', 'crash', 'aborted', 'dropped'] as const).map(failureState), [
    'timed-out',
    'failed',
    'failed',
    'failed',
    'failed',
    'dropped',
  ]);
});

test('a client not in the round is connected, gone, or rejoined when it came back after the previous round ended', () => {
  assert.equal(roundClientEntry(slot(), undefined, 500, 1200).state, 'connected');
  assert.equal(roundClientEntry(slot({ connected: false }), undefined, 500, 1200).state, 'gone');
  assert.equal(roundClientEntry(slot({ rejoinedAt: 700 }), undefined, 500, 1200).state, 'rejoined');
  assert.equal(roundClientEntry(slot({ rejoinedAt: 400 }), undefined, 500, 1200).state, 'connected', 'it came back before the previous round ended');
  // Back and trained in this round: done, marked as rejoined.
  const back = roundClientEntry(slot({ rejoinedAt: 700 }), { ok: true, trainMs: 5 }, 500, 1200);
  assert.deepEqual([back.state, back.rejoined], ['done', true]);
});

test('the live state is the last round’s, unless the client trains, left or came back since', () => {
  const last = roundClientEntry(slot(), { ok: true, trainMs: 120, roundTripMs: 150 }, 0, 1200);
  assert.equal(liveClientEntry(slot(), undefined, false, 0, 1300).state, 'connected', 'before any round');
  assert.equal(liveClientEntry(slot({ connected: false }), undefined, false, 0, 1300).state, 'gone');
  assert.deepEqual(liveClientEntry(slot(), last, false, 1200, 1300), { ...last, lastSeenMsAgo: 300 });
  assert.equal(liveClientEntry(slot(), last, true, 1200, 1300).state, 'training');
  // Answered in the round still running: how, before the round records it.
  const answered = liveClientEntry(slot({ current: { ok: true, trainMs: 80, roundTripMs: 95 } }), last, false, 1200, 1300);
  assert.deepEqual([answered.state, answered.trainMs, answered.roundTripMs], ['done', 80, 95]);
  const lost = liveClientEntry(slot({ connected: false, leftAt: 1250, current: { ok: false, reason: 'dropped', message: 'killed' } }), last, false, 1200, 1300);
  assert.deepEqual([lost.state, lost.reason], ['dropped', 'killed']);
  assert.equal(liveClientEntry(slot({ connected: false, leftAt: 1250 }), last, false, 1200, 1300).state, 'gone');
  assert.equal(liveClientEntry(slot({ connected: false, leftAt: 1150 }), last, false, 1200, 1300).state, 'gone', 'it answered, then left');
  const dropped = roundClientEntry(slot({ connected: false, leftAt: 900 }), { ok: false, reason: 'dropped', message: 'killed' }, 0, 1200);
  assert.equal(liveClientEntry(slot({ connected: false, leftAt: 900 }), dropped, false, 1200, 1300).state, 'dropped', 'as its round recorded it');
  assert.equal(liveClientEntry(slot({ rejoinedAt: 1250, leftAt: 900 }), dropped, false, 1200, 1300).state, 'rejoined');
  assert.equal(liveClientEntry(slot({ rejoinedAt: 1100, leftAt: 900 }), dropped, false, 1200, 1300).state, 'rejoined', 'back during the round that lost it');
});

test('a refused connection is named by its hello, else by the start of its key', () => {
  assert.deepEqual(refusalEntry({ at: 1, publicKey: 'Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID', reason: 'key not on the allow-list' }), {
    id: null,
    name: 'key Yne@$w-v',
    state: 'refused',
    reason: 'key not on the allow-list',
  });
  assert.equal(refusalEntry({ at: 1, publicKey: 'k', name: 'mallory', reason: 'taken' }).name, 'mallory');
});

test('a round records every numbered client in id order, remembers each entry on its slot, then the refusals since the previous round', () => {
  const registry = new ClientRegistry();
  const hello = (name: string) => ({ name, publicKey: `key-${name}`, examples: 10, inputShape: [4], numClasses: 3 });
  registry.join('r1', hello('bob'), 0);
  registry.join('r2', hello('alice'), 0);
  registry.assignIds();
  const refusals: Array<{ at: number; publicKey: string; name?: string; reason: string }> = [{ at: 50, publicKey: 'early', reason: 'before the first round' }];
  const link = { registry, refusalsSince: (since: number) => refusals.filter((r) => r.at > since) } as unknown as RemoteLink;
  const first = recordClientStates(link, new Map([[0, { ok: true, trainMs: 7 }]]), 100);
  assert.deepEqual(
    first.map((e) => [e.id, e.name, e.state]),
    [
      [0, 'alice', 'done'],
      [1, 'bob', 'connected'],
      [null, 'key early', 'refused'],
    ],
  );
  assert.equal(registry.byClientId(0)!.last, first[0]);
  registry.leave(registry.byClientId(1)!, 120);
  refusals.push({ at: 150, publicKey: 'late', name: 'mallory', reason: 'taken' });
  const second = recordClientStates(link, new Map([[1, { ok: false, reason: 'dropped', message: 'client 1 is not connected' }]]), 200);
  assert.deepEqual(
    second.map((e) => [e.id, e.name, e.state]),
    [
      [0, 'alice', 'connected'],
      [1, 'bob', 'dropped'],
      [null, 'mallory', 'refused'],
    ],
  );
  registry.join('r3', hello('bob'), 250);
  assert.equal(recordClientStates(link, new Map(), 300)[1].state, 'rejoined');
});

test('while the round runs, an answer alone says done, timed out or stopped; a failure says why', () => {
  const reply = (status: 'ok' | 'timeout' | 'aborted') =>
    ({ ok: true, bytes: 10, reply: { type: 'train-result', task: 't', status, ms: 42 } }) as unknown as TaskAnswer;
  assert.deepEqual(answerEnd(reply('ok'), 50), { ok: true, trainMs: 42, roundTripMs: 50 });
  assert.deepEqual(answerEnd(reply('timeout'), 50), { ok: false, reason: 'timeout', message: 'stopped before finishing (timeout)', roundTripMs: 50 });
  assert.equal(failureState((answerEnd(reply('aborted'), 50) as { reason: 'aborted' }).reason), 'failed');
  const lost: TaskAnswer = { ok: false, failure: { clientId: 2, reason: 'dropped', message: 'gone' } };
  assert.deepEqual(answerEnd(lost, 7), { ok: false, reason: 'dropped', message: 'gone', roundTripMs: 7 });
});
