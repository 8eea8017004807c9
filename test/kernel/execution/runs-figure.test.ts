/**
 * display.runs: bands over seeds computed by hand, the figure's traces, and
 * the runs read from their records whatever form the cell passes them in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoundMetrics } from '../../../kernel/contract';
import { createDisplay, PLOTLY_MIME } from '../../../kernel/execution/display';
import { runBands, runsFigure } from '../../../kernel/execution/runs-figure';
import { runCurves } from '../../../kernel/execution/runs-input';
import { recordingSink } from './recording-sink';

const rounds = (accuracies: number[]): RoundMetrics[] =>
  accuracies.map((testAccuracy, i) => ({ round: i + 1, testAccuracy, trainLoss: 1, clients: 1, failures: 0, bytesDown: 0, bytesUp: 0, ms: 0 }));

test('bands: per round the mean ± sample std of the runs that reached it; a lone run is its own line', () => {
  const [lr, solo] = runBands(
    [
      { group: 'lr=0.1', rounds: rounds([0.2, 0.4, 0.9]) },
      { group: 'solo', rounds: rounds([0.5]) },
      { group: 'lr=0.1', rounds: rounds([0.4, 0.6]) }, // stopped after round 2
    ],
    'testAccuracy',
  );
  assert.equal(lr.runs, 2);
  assert.deepEqual(lr.x, [1, 2, 3]);
  assert.deepEqual(
    lr.mean.map((v) => +v.toFixed(12)),
    [0.3, 0.5, 0.9],
  );
  const s = Math.SQRT2 * 0.1; // |0.2 − 0.4| / √2
  assert.deepEqual(
    lr.upper.map((v) => +v.toFixed(12)),
    [+(0.3 + s).toFixed(12), +(0.5 + s).toFixed(12), 0.9],
  );
  assert.deepEqual(
    lr.lower.map((v) => +v.toFixed(12)),
    [+(0.3 - s).toFixed(12), +(0.5 - s).toFixed(12), 0.9],
  );
  assert.deepEqual([solo.group, solo.runs, solo.x, solo.mean], ['solo', 1, [1], [0.5]]);
});

test('the figure: a filled band under the mean line for a group of seeds, a plain line for a lone run, colours shared', () => {
  const figure = runsFigure(
    runBands(
      [
        { group: 'a', rounds: rounds([0.1]) },
        { group: 'a', rounds: rounds([0.3]) },
        { group: 'b', rounds: rounds([0.5]) },
      ],
      'testAccuracy',
    ),
    'testAccuracy',
  );
  assert.deepEqual(
    figure.data.map((t) => [t.name ?? '', t.fill ?? '', (t.line as { color: string }).color]),
    [
      ['', '', '#1f77b4'],
      ['', 'tonexty', '#1f77b4'],
      ['a (2 runs)', '', '#1f77b4'],
      ['b', '', '#ff7f0e'],
    ],
  );
  assert.equal((figure.layout.title as { text: string }).text, 'Test accuracy per round (mean ± std over seeds)');
});

test('display.runs reads the records of a sweep, of runs or of run ids, and shows one plotly figure', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fedbook-display-runs-'));
  process.env.FEDBOOK_RUNS_DIR = dir;
  const write = (runId: string, accuracies: number[], sweep?: { combination: number; params: Record<string, unknown>; seed: number }) =>
    writeFileSync(
      join(dir, `${runId}.jsonl`),
      [
        JSON.stringify({
          type: 'config',
          runId,
          label: `run ${runId}`,
          strategy: 'fedAvg',
          hyperparameters: {},
          seed: 1,
          backend: 'wasm',
          workers: 1,
          version: '0',
          startedAt: '',
          ...(sweep ? { sweep: { id: 's', ...sweep } } : {}),
        }),
        ...rounds(accuracies).map((m) => JSON.stringify({ type: 'round', ...m })),
      ].join('\n') + '\n',
    );
  write('r1', [0.2, 0.4], { combination: 0, params: { clientLr: 0.1 }, seed: 1 });
  write('r2', [0.4, 0.6], { combination: 0, params: { clientLr: 0.1 }, seed: 2 });
  write('r3', [0.5]);
  const sweepResult = { id: 's', runs: [{ runId: 'r1' }, { runId: 'r2' }] };
  assert.deepEqual(
    runCurves(sweepResult).map((c) => c.group),
    ['clientLr=0.1', 'clientLr=0.1'],
  );
  assert.deepEqual(
    runCurves([{ id: 'r3', rounds: [] }, 'r1']).map((c) => c.group),
    ['run r3', 'clientLr=0.1'],
  );
  assert.throws(() => runCurves(42), { message: "display.runs: expected fed.sweep's result, an array of runs from algo.run, or run ids (got number)" });
  assert.throws(() => runCurves(['nope']), { message: /^no run record at / });
  const sink = recordingSink();
  const display = createDisplay(() => sink);
  display.runs(sweepResult, { metric: 'testAccuracy' });
  const event = sink.events[0] as { kind: 'display'; data: Record<string, unknown> };
  const figure = event.data[PLOTLY_MIME] as { data: { name?: string; y: number[] }[] };
  assert.equal(figure.data.length, 3);
  assert.equal(figure.data[2].name, 'clientLr=0.1 (2 runs)');
  assert.deepEqual(
    figure.data[2].y.map((v) => +v.toFixed(12)),
    [0.3, 0.5],
  );
  assert.throws(() => display.runs(sweepResult, { metric: 'nope' as never }), { message: /^display\.runs: metric must be one of 'testAccuracy'/ });
});
