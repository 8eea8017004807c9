import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { roundRange } from '../../../extension/chart/round-axis';
import type { ChartRun } from '../../../extension/chart/chart-data';

function run(firstRound: number, lastRound: number, plannedRounds: number | undefined, status: ChartRun['status'] = 'running'): ChartRun {
  const rounds = Array.from({ length: lastRound - firstRound + 1 }, (_, i) => ({
    round: firstRound + i,
    clients: 10,
    failures: 0,
    ms: 1,
    trainLoss: 1,
    bytesDown: 0,
    bytesUp: 0,
  }));
  return { runId: `r${firstRound}-${lastRound}`, label: '', strategy: 'fedAvg', hyperparameters: {}, status, plannedRounds, rounds };
}

describe('roundRange', () => {
  test('a live run: the axis runs a quarter (at least 5 rounds) ahead of its last round', () => {
    const [lo, hi] = roundRange([run(1, 2, 100)], undefined)!;
    assert.ok(lo < 1 && lo >= 0.5, `starts just before round 1 (${lo})`);
    assert.ok(hi > 7 && hi < 8, `ends just after round 7 (${hi})`);
    const [, far] = roundRange([run(1, 40, 100)], undefined)!;
    assert.ok(far > 50 && far < 52, `40 rounds in: ends just after round 50 (${far})`);
  });

  test("never past the planned last round, counted from the run's first round", () => {
    const [, hi] = roundRange([run(3, 9, 8)], undefined)!;
    assert.ok(hi >= 10 && hi < 10.6, `rounds 3..10 planned: ends at 10 plus padding (${hi})`);
  });

  test('keeps the current range (the same array) while the rounds fit, and widens it when one passes its end', () => {
    const current = roundRange([run(1, 4, 100)], undefined)!;
    assert.equal(roundRange([run(1, 6, 100)], current), current);
    const wider = roundRange([run(1, current[1] + 1, 100)], current)!;
    assert.notEqual(wider, current);
    assert.ok(wider[1] > current[1] + 1);
  });

  test('autorange when no run is live, or a live run has no plan or has reached it', () => {
    assert.equal(roundRange([run(1, 10, 100, 'completed')], [0, 20]), undefined);
    assert.equal(roundRange([run(1, 10, undefined)], undefined), undefined);
    assert.equal(roundRange([run(1, 10, 10)], undefined), undefined);
    assert.equal(roundRange([], undefined), undefined);
  });

  test('overlaid runs: the axis spans every run and runs ahead of the live one', () => {
    const [lo, hi] = roundRange([run(1, 20, 20, 'completed'), run(5, 30, 100)], undefined)!;
    assert.ok(lo < 1, `from the finished run's round 1 (${lo})`);
    assert.ok(hi > 37 && hi < 39, `a quarter ahead of the live run's round 30 (${hi})`);
    // A longer finished run already spans the live run's next rounds: autorange.
    assert.equal(roundRange([run(1, 200, 200, 'completed'), run(1, 10, 50)], undefined), undefined);
  });
});
