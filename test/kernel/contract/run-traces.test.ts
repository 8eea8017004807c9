/**
 * Comparison traces: which runs share a line, the band over seeds, and the
 * plotly traces both the round chart and display.runs draw.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bandPoints, groupRuns, hasBands, runTraces, sweepIdOf, type ComparedRun, type RoundMetrics } from '../../../kernel/contract';

const round = (n: number, testAccuracy?: number): RoundMetrics => ({
  round: n,
  trainLoss: 1,
  clients: 10,
  failures: 0,
  bytesDown: 0,
  bytesUp: 0,
  ms: 1,
  ...(testAccuracy === undefined ? {} : { testAccuracy }),
});
const run = (runId: string, over: Partial<ComparedRun> = {}): ComparedRun => ({
  runId,
  strategy: 'fedAvg',
  hyperparameters: { clientLr: 0.1, seed: 1 },
  rounds: [],
  ...over,
});

describe('sweepIdOf', () => {
  test('reads a sweep id string or the id of a sweep tag; anything else is no sweep', () => {
    assert.equal(sweepIdOf('sweep-1'), 'sweep-1');
    assert.equal(sweepIdOf({ id: 'sweep-2', combination: 0, params: {}, seed: 1 }), 'sweep-2');
    for (const other of [undefined, null, '', 7, { id: 3 }, {}]) assert.equal(sweepIdOf(other), undefined);
  });
});

describe('groupRuns', () => {
  test('runs of one sweep that differ only by seed share a line; another setting or another sweep does not', () => {
    const groups = groupRuns([
      run('a', { sweep: 's', seed: 1, hyperparameters: { clientLr: 0.1, seed: 1 } }),
      run('b', { sweep: 's', seed: 1, hyperparameters: { clientLr: 0.01, seed: 1 } }),
      run('c', { sweep: { id: 's' }, seed: 2, hyperparameters: { seed: 2, clientLr: 0.1 } }),
      run('d', { sweep: 't', seed: 3, hyperparameters: { clientLr: 0.1, seed: 3 } }),
    ]);
    assert.deepEqual(
      groups.map((g) => g.runs.map((r) => r.runId)),
      [['a', 'c'], ['b'], ['d']],
    );
    assert.equal(groups[0].name, 'fedAvg clientLr=0.1');
  });

  test('runs outside a sweep are never grouped, even with equal settings', () => {
    assert.equal(groupRuns([run('a'), run('b')]).length, 2);
    assert.equal(hasBands([run('a'), run('b')]), false);
    assert.equal(hasBands([run('a', { sweep: 's' }), run('b', { sweep: 's', hyperparameters: { clientLr: 0.1, seed: 2 } })]), true);
  });

  test('a single run is named by its label, else by strategy and hyperparameters', () => {
    assert.deepEqual(
      groupRuns([run('a', { label: 'mine' }), run('b')]).map((g) => g.name),
      ['mine', 'fedAvg clientLr=0.1'],
    );
  });
});

describe('bandPoints', () => {
  test('mean, min and max per round over the seeds that have it', () => {
    const band = bandPoints(
      [
        run('a', { rounds: [round(1, 0.5), round(2, 0.6)] }),
        run('b', { rounds: [round(1, 0.7), round(2, 0.8), round(3, 0.9)] }),
        run('c', { rounds: [round(1, 0.6), round(2)] }),
      ],
      'testAccuracy',
    );
    assert.deepEqual(band.x, [1, 2, 3]);
    assert.deepEqual(band.n, [3, 2, 1]);
    assert.deepEqual(band.min, [0.5, 0.6, 0.9]);
    assert.deepEqual(band.max, [0.7, 0.8, 0.9]);
    // (0.5 + 0.7 + 0.6) / 3 = 0.6; (0.6 + 0.8) / 2 = 0.7
    assert.ok(Math.abs(band.mean[0] - 0.6) < 1e-12 && Math.abs(band.mean[1] - 0.7) < 1e-12 && band.mean[2] === 0.9);
  });
});

describe('runTraces', () => {
  test('without a sweep: one trace per run, in order, in plotly colorway colours', () => {
    const traces = runTraces([run('a', { rounds: [round(1, 0.5), round(2), round(3, 0.75)] }), run('b', { rounds: [round(1, 0.4)] })], 'testAccuracy');
    assert.equal(traces.length, 2);
    assert.deepEqual(
      [traces[0].x, traces[0].y],
      [
        [1, 3],
        [0.5, 0.75],
      ],
    );
    assert.deepEqual(
      traces.map((t) => (t.line as { color: string }).color),
      ['#1f77b4', '#ff7f0e'],
    );
    assert.deepEqual(
      traces.map((t) => (t.meta as { runIds: string[] }).runIds),
      [['a'], ['b']],
    );
    assert.equal(traces[0].mode, 'lines+markers');
    assert.equal(runTraces([run('a', { rounds: [round(1), round(2), round(3)] })], 'trainLoss', { markerLimit: 2 })[0].mode, 'lines');
  });

  test('seeds of a sweep combination: a lower edge, an upper edge filled down to it, then the mean line, in one colour', () => {
    const seeds = [
      run('s1', { sweep: 'sw', seed: 1, rounds: [round(1, 0.5), round(2, 0.7)] }),
      run('s2', { sweep: 'sw', seed: 2, hyperparameters: { clientLr: 0.1, seed: 2 }, rounds: [round(1, 0.7), round(2, 0.9)] }),
    ];
    const traces = runTraces([...seeds, run('alone', { rounds: [round(1, 0.1)] })], 'testAccuracy');
    assert.equal(traces.length, 4);
    const [lower, upper, mean, alone] = traces;
    assert.deepEqual(lower.y, [0.5, 0.7]);
    assert.deepEqual(upper.y, [0.7, 0.9]);
    assert.equal(upper.fill, 'tonexty');
    assert.equal(upper.fillcolor, 'rgba(31,119,180,0.2)');
    assert.equal(lower.showlegend, false);
    assert.deepEqual(
      (mean.y as number[]).map((v) => Math.round(v * 1000) / 1000),
      [0.6, 0.8],
    );
    assert.equal(mean.name, 'fedAvg clientLr=0.1 (mean of 2 seeds, band min–max)');
    assert.deepEqual((mean.meta as { runIds: string[] }).runIds, ['s1', 's2']);
    assert.equal((alone.line as { color: string }).color, '#ff7f0e', 'the next line takes the next colour');
  });
});
