/** Counting clients per state and finding a run's newest client states: what the chart's strip and describe() read. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countClientStates, latestClientStates, type RoundMetrics } from '../../../kernel/contract';

const round = (n: number, clientStates?: RoundMetrics['clientStates']): RoundMetrics => ({
  round: n,
  trainLoss: 1,
  clients: 1,
  failures: 0,
  bytesDown: 0,
  bytesUp: 0,
  ms: 1,
  ...(clientStates ? { clientStates } : {}),
});

test('counts are per state, in display order, leaving out states with no client', () => {
  const counts = countClientStates([{ state: 'dropped' }, { state: 'done' }, { state: 'done' }, { state: 'refused' }, { state: 'done' }]);
  assert.deepEqual(counts, [
    { state: 'done', count: 3 },
    { state: 'dropped', count: 1 },
    { state: 'refused', count: 1 },
  ]);
  assert.deepEqual(countClientStates([]), []);
});

test('the newest round with client states is found past rounds that have none; a simulation has none', () => {
  const states = [{ id: 0, name: 'a', state: 'done' as const }];
  assert.deepEqual(latestClientStates([round(1, []), round(2, states), round(3)]), { round: 2, clients: states });
  assert.equal(latestClientStates([round(1), round(2)]), undefined);
  assert.equal(latestClientStates([]), undefined);
});
