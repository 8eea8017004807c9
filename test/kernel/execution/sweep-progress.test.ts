/**
 * A sweep's live table, pure: each grid cell says where its run stands, the
 * mean is over the seeds that have a metric, the headline counts the cells,
 * and the bundle's runs are copies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SWEEP_MIME, type RoundMetrics, type SweepBundle } from '../../../kernel/contract';
import { sweepCellText, sweepMimeBundle, sweepProgressHtml, sweepProgressText } from '../../../kernel/execution/sweep-progress';

const round = (n: number, testAccuracy: number): RoundMetrics => ({
  round: n,
  testAccuracy,
  trainLoss: 1,
  clients: 3,
  failures: 0,
  bytesDown: 0,
  bytesUp: 0,
  ms: 1,
});
const run = (combination: number, seed: number, status: SweepBundle['runs'][number]['status'], accuracies: number[]) => ({
  runId: `r${combination}-${seed}`,
  label: '',
  strategy: 'fedAvg',
  hyperparameters: {},
  seed,
  sweep: 's-1',
  combination,
  status,
  rounds: accuracies.map((a, i) => round(i + 1, a)),
});

const sweep = (): SweepBundle => ({
  sweepId: 's-1',
  keys: ['clientLr'],
  combinations: [
    { index: 0, params: { clientLr: 0.01 } },
    { index: 1, params: { clientLr: 0.1 } },
    { index: 2, params: { clientLr: 0.5 } },
  ],
  seeds: [1, 2],
  plannedRounds: 4,
  status: 'running',
  runs: [run(0, 1, 'completed', [0.5, 0.6, 0.7, 0.8]), run(0, 2, 'stopped', [0.5, 0.9]), run(1, 1, 'failed', [0.2]), run(1, 2, 'running', [0.3, 0.45])],
});

test('a cell says pending, round k/N, done, stopped, failed or interrupted, with its current test accuracy', () => {
  const [done, stopped, failed, running] = sweep().runs;
  assert.equal(sweepCellText(undefined, 4), 'pending');
  assert.equal(sweepCellText(running, 4), 'round 2/4 · acc 0.45');
  assert.equal(sweepCellText(done, 4), 'done · acc 0.8');
  assert.equal(sweepCellText(stopped, 4), 'stopped at round 2 · acc 0.9');
  assert.equal(sweepCellText(failed, 4), 'failed after round 1');
  assert.equal(sweepCellText({ ...running, status: 'aborted' }, 4), 'interrupted after round 2 · acc 0.45');
});

test('the table: one row per combination, one column per seed, the mean over the seeds that have a metric', () => {
  // Means: (0.8 + 0.9) / 2 = 0.85; (0.2 + 0.45) / 2 = 0.325 (the failed run's last accuracy counts); none for 0.5.
  assert.equal(
    sweepProgressText(sweep(), 12_300),
    [
      'sweep s-1: 2 of 6 runs done · 1 running · 1 failed · 2 pending · 12.3 s elapsed',
      'clientLr  seed 1                seed 2                        mean acc',
      '0.01      done · acc 0.8        stopped at round 2 · acc 0.9  0.85',
      '0.1       failed after round 1  round 2/4 · acc 0.45          0.325',
      '0.5       pending               pending                       –',
    ].join('\n'),
  );
  const partial = sweep();
  partial.runs.splice(1, 1);
  assert.match(sweepProgressText(partial, 0), /^0\.01 +done · acc 0\.8 +pending +0\.8 \(1 of 2\)$/m);
});

test('a resumed cell shows its newest run; the HTML escapes; the bundle holds copies of the runs', () => {
  const bundle = sweep();
  bundle.runs.push(run(1, 1, 'running', [0.2, 0.3]));
  assert.match(sweepProgressText(bundle, 0), /^0\.1 +round 2\/4 · acc 0\.3 +round 2\/4 · acc 0\.45 +0\.375$/m);
  bundle.keys = ['a<b'];
  bundle.combinations = bundle.combinations.map((c) => ({ ...c, params: { 'a<b': 'x&y' } }));
  assert.match(sweepProgressHtml(bundle, 0), /<th>a&lt;b<\/th>.*<td>x&amp;y<\/td>/);
  const mime = sweepMimeBundle(bundle, 0);
  bundle.runs[0].rounds.push(round(5, 1));
  assert.equal((mime[SWEEP_MIME] as SweepBundle).runs[0].rounds.length, 4);
  assert.equal((mime[SWEEP_MIME] as SweepBundle).runs.length, 5);
});
