/**
 * display.runs: runs named as a cell has them (results, ids, list entries)
 * become one plotly figure, with the seeds of a sweep combination banded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listRuns, loadRun, startRunRecord } from '../../../kernel/simulation/run-records';
import { resolveRuns, runsFigure } from '../../../kernel/execution/display-runs';
import { createDisplay, PLOTLY_MIME } from '../../../kernel/execution/display';
import type { RoundMetrics } from '../../../kernel/contract';
import { recordingSink } from './recording-sink';

const round = (n: number, testAccuracy: number): RoundMetrics => ({
  round: n,
  testAccuracy,
  trainLoss: 1,
  clients: 2,
  failures: 0,
  bytesDown: 0,
  bytesUp: 0,
  ms: 1,
});

/** Writes a finished run record with these accuracies, one per round; `sweep` goes on the config line as a sweep would put it. */
function writeRun(directory: string, runId: string, seed: number, accuracies: number[], sweep?: unknown): void {
  const config = {
    runId,
    label: `fedAvg lr=0.1 seed ${seed}`,
    strategy: 'fedAvg',
    hyperparameters: { clientLr: 0.1, seed },
    seed,
    backend: 'cpu',
    workers: 1,
    version: '0',
    startedAt: '2026-11-25T00:00:00Z',
    plannedRounds: accuracies.length,
    // Written as given (a bare id too): readers take either form.
    ...(sweep ? { sweep: sweep as never } : {}),
  };
  const recorder = startRunRecord(config, directory);
  accuracies.forEach((accuracy, i) => recorder.round(round(i + 1, accuracy)));
  recorder.end('completed');
}

describe('display.runs', () => {
  let directory: string;
  const load = (id: string) => loadRun(id, directory);
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'fedbook-display-runs-'));
    writeRun(directory, 'seed1', 1, [0.5, 0.6], 'sweep-a');
    writeRun(directory, 'seed2', 2, [0.7, 0.8], { id: 'sweep-a', combination: 0, params: { clientLr: 0.1 }, seed: 2 });
    writeRun(directory, 'lone', 3, [0.1, 0.2]);
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  test('takes run ids, list entries and run results alike, reading seed and sweep from the records', () => {
    const [byId, byEntry, byResult] = resolveRuns(['seed1', listRuns(directory).find((r) => r.runId === 'seed2'), { id: 'lone', rounds: [] }], load);
    assert.deepEqual([byId.runId, byId.seed, byId.sweep], ['seed1', 1, 'sweep-a']);
    assert.equal(byEntry.runId, 'seed2');
    assert.deepEqual(
      byResult.rounds.map((r) => r.testAccuracy),
      [0.1, 0.2],
      'a result is read from its record',
    );
  });

  test("fed.sweep's result stands for its runs", () => {
    const sweep = { id: 'sweep-a', table: [], runs: [{ runId: 'seed1' }, { runId: 'seed2' }] };
    assert.deepEqual(
      resolveRuns(sweep, load).map((run) => run.runId),
      ['seed1', 'seed2'],
    );
  });

  test('a result whose record is gone draws from its own rounds', () => {
    const [run] = resolveRuns({ id: 'gone', rounds: [round(1, 0.9)] }, load);
    assert.deepEqual([run.runId, run.rounds.length], ['gone', 1]);
  });

  test('bad input: an exact message naming the item', () => {
    assert.throws(() => resolveRuns([], load), /^TypeError: display.runs: no runs given/);
    assert.throws(() => resolveRuns(['seed1', 42], load), {
      message: "display.runs: item 1: expected a run result (algo.run(...)), a run id, a fed.runs.list() entry or fed.sweep's result, got number",
    });
    assert.throws(() => resolveRuns({ rounds: [] }, load), {
      message: "display.runs: expected a run result (algo.run(...)), a run id, a fed.runs.list() entry or fed.sweep's result, got an object with keys rounds",
    });
    assert.throws(() => runsFigure([], { metric: 'accuracy' as never }), /options.metric must be one of 'testAccuracy'/);
  });

  test('the figure: the two seeds of the sweep as a band and a mean line, the lone run as its own line', () => {
    const figure = runsFigure(resolveRuns(['seed1', 'seed2', 'lone'], load));
    assert.equal(figure.data.length, 4);
    const [lower, upper, mean, lone] = figure.data;
    assert.deepEqual(
      [lower.y, upper.y],
      [
        [0.5, 0.6],
        [0.7, 0.8],
      ],
    );
    assert.deepEqual(
      (mean.y as number[]).map((v) => Math.round(v * 100) / 100),
      [0.6, 0.7],
    );
    assert.equal(lone.name, 'fedAvg lr=0.1 seed 3');
    assert.deepEqual((figure.layout as { yaxis: { title: { text: string } } }).yaxis.title.text, 'Test accuracy');
  });

  test('in a cell: one plotly output, from records in FEDBOOK_RUNS_DIR', () => {
    const saved = process.env.FEDBOOK_RUNS_DIR;
    process.env.FEDBOOK_RUNS_DIR = directory;
    try {
      const sink = recordingSink();
      const display = createDisplay(() => sink);
      display.runs(['seed1', 'seed2'], { metric: 'trainLoss', title: 'lr 0.1' });
      assert.equal(sink.events.length, 1);
      const event = sink.events[0];
      assert.ok(event.kind === 'display');
      const figure = event.data[PLOTLY_MIME] as { data: unknown[]; layout: { title: { text: string } } };
      assert.equal(figure.data.length, 3);
      assert.equal(figure.layout.title.text, 'lr 0.1');
      assert.match(String(event.data['text/plain']), /Plotly figure "lr 0.1": 3 traces/);
    } finally {
      if (saved === undefined) delete process.env.FEDBOOK_RUNS_DIR;
      else process.env.FEDBOOK_RUNS_DIR = saved;
    }
  });
});
