/** The sweep table's maths, on numbers small enough to check by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestRow, formatSweepTable, meanStd, summarizeRun, sweepRow } from '../../../kernel/rounds/sweep-table';
import type { RoundMetrics } from '../../../kernel/contract';

const rounds = (accuracies: number[], losses: number[]): RoundMetrics[] =>
  accuracies.map((testAccuracy, i) => ({
    round: i + 1,
    testAccuracy,
    testLoss: losses[i],
    trainLoss: 0,
    clients: 1,
    failures: 0,
    bytesDown: 0,
    bytesUp: 0,
    ms: 0,
  }));

test('mean and sample standard deviation: [1, 3] → 2 ± √2; [2, 4, 4, 4, 5, 5, 7, 9] → 5 ± √(32/7); one value → std 0; none → undefined', () => {
  assert.deepEqual(meanStd([1, 3]), { mean: 2, std: Math.SQRT2, n: 2 });
  const eight = meanStd([2, 4, 4, 4, 5, 5, 7, 9])!;
  assert.equal(eight.mean, 5);
  assert.ok(Math.abs(eight.std - Math.sqrt(32 / 7)) < 1e-12);
  assert.deepEqual(meanStd([0.5]), { mean: 0.5, std: 0, n: 1 });
  assert.equal(meanStd([]), undefined);
});

test('a run: final and best accuracy and loss, and the first round that met the target', () => {
  const run = rounds([0.5, 0.9, 0.8], [1.0, 0.3, 0.4]);
  assert.deepEqual(summarizeRun(run, { accuracy: 0.85 }), {
    rounds: 3,
    finalAccuracy: 0.8,
    bestAccuracy: 0.9,
    finalLoss: 0.4,
    bestLoss: 0.3,
    roundsToTarget: 2,
  });
  assert.equal(summarizeRun(run, { loss: 0.35 }).roundsToTarget, 2);
  assert.equal(summarizeRun(run, { accuracy: 0.95 }).roundsToTarget, undefined);
  assert.equal(summarizeRun(run).roundsToTarget, undefined);
});

test('a row over two seeds: means, deviations and rounds to target over the seeds that reached it', () => {
  const a = summarizeRun(rounds([0.5, 0.9, 0.8], [1.0, 0.3, 0.4]), { accuracy: 0.85 }); // final .8 best .9, reached in 2
  const b = summarizeRun(rounds([0.6, 0.7, 0.6], [0.8, 0.6, 0.6]), { accuracy: 0.85 }); // final .6 best .7, never
  const row = sweepRow(0, { clientLr: 0.1 }, 2, [a, b], { accuracy: 0.85 });
  assert.equal(row.finished, 2);
  assert.ok(Math.abs(row.finalAccuracy!.mean - 0.7) < 1e-12);
  assert.ok(Math.abs(row.finalAccuracy!.std - Math.SQRT2 * 0.1) < 1e-12); // |0.8 − 0.6| / √2
  assert.ok(Math.abs(row.bestAccuracy!.mean - 0.8) < 1e-12);
  assert.ok(Math.abs(row.finalLoss!.mean - 0.5) < 1e-12);
  assert.ok(Math.abs(row.bestLoss!.mean - 0.45) < 1e-12);
  assert.deepEqual(row.roundsToTarget, { mean: 2, std: 0, n: 1, reached: 1 });
  assert.equal(sweepRow(1, {}, 2, [b], { accuracy: 0.85 }).roundsToTarget?.reached, 0);
  assert.equal(sweepRow(1, {}, 2, [b]).roundsToTarget, undefined, 'no target, no column');
});

test('the best row has the highest mean final accuracy, the first on a tie; without accuracy the lowest final loss', () => {
  const run = (acc: number) => summarizeRun(rounds([acc], [1 - acc]));
  const rows = [sweepRow(0, { lr: 1 }, 1, [run(0.7)]), sweepRow(1, { lr: 2 }, 1, [run(0.9)]), sweepRow(2, { lr: 3 }, 1, [run(0.9)])];
  assert.equal(bestRow(rows)?.combination, 1);
  const lossOnly = [0.4, 0.2, 0.3].map((loss, i) => sweepRow(i, {}, 1, [{ rounds: 1, finalLoss: loss, bestLoss: loss }]));
  assert.equal(bestRow(lossOnly)?.combination, 1);
  assert.equal(bestRow([sweepRow(0, {}, 1, [])]), undefined);
});

test('toString: aligned columns, grid keys first, the best row starred', () => {
  const a = summarizeRun(rounds([0.5, 0.9, 0.8], [1.0, 0.3, 0.4]), { accuracy: 0.85 });
  const b = summarizeRun(rounds([0.6, 0.7, 0.6], [0.8, 0.6, 0.6]), { accuracy: 0.85 });
  const rows = [sweepRow(0, { clientLr: 0.01, mu: 0 }, 2, [b], { accuracy: 0.85 }), sweepRow(1, { clientLr: 0.1, mu: 0.01 }, 2, [a, b], { accuracy: 0.85 })];
  assert.equal(
    formatSweepTable(rows, ['clientLr', 'mu'], { accuracy: 0.85 }),
    [
      '   clientLr  mu    runs  final acc        best acc         final loss       best loss        rounds to acc ≥ 0.85',
      '   0.01      0     1/2   0.6000 ± 0.0000  0.7000 ± 0.0000  0.6000 ± 0.0000  0.6000 ± 0.0000  — (0/1)',
      '*  0.1       0.01  2/2   0.7000 ± 0.1414  0.8000 ± 0.1414  0.5000 ± 0.1414  0.4500 ± 0.2121  2.0 ± 0.0 (1/2)',
    ].join('\n'),
  );
});
