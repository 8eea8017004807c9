/**
 * fed.sweep through the real path (real worker threads, WASM, MNIST subset):
 * a 2×2 grid with 2 seeds makes 8 tagged run records and a table whose means
 * are those of the records; an interrupted sweep resumes to the same table;
 * a bad sweep fails before any run starts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fed } from '../../../kernel/api/index';
import { listRuns, loadRun } from '../../../kernel/simulation/run-records';
import { observeRuns } from '../../../kernel/simulation/run-events';
import type { SweepResult } from '../../../kernel/rounds/sweep';

let clients: ReturnType<typeof fed.partition>;
let evaluate: Awaited<ReturnType<typeof fed.datasets.mnist>>['test'];
let first: SweepResult;

before(async () => {
  const { train, test } = await fed.datasets.mnist({ trainLimit: 1000, testLimit: 100, subsetSeed: 2 });
  clients = fed.partition(train, { clients: 10, scheme: 'iid', seed: 3 });
  evaluate = test;
});
after(() => fed.shutdown());

const useFreshRunsDir = () => (process.env.FEDBOOK_RUNS_DIR = mkdtempSync(join(tmpdir(), 'fedbook-sweep-')));
const options = (extra: Record<string, unknown> = {}) => ({
  algorithm: fed.fedProx,
  base: { model: fed.models.mlp({ hidden: [16] }), clientsPerRound: 3, workers: 2, backend: 'wasm' as const },
  grid: { clientLr: [0.05, 0.1], mu: [0, 0.01] },
  seeds: [1, 2],
  run: { rounds: 3, clients, evaluate, until: { accuracy: 0.5 } },
  ...extra,
});
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

test('a 2×2 grid with 2 seeds: 8 run records tagged with the sweep, and a table of their means', async () => {
  const dir = useFreshRunsDir();
  first = await fed.sweep(options());
  const runs = listRuns(dir).map((run) => loadRun(run.path));
  assert.equal(runs.length, 8);
  assert.ok(runs.every((run) => run.config.sweep?.id === first.id));
  assert.deepEqual(
    first.runs.map((r) => [r.combination, r.seed, r.how]),
    [
      [0, 1, 'ran'],
      [0, 2, 'ran'],
      [1, 1, 'ran'],
      [1, 2, 'ran'],
      [2, 1, 'ran'],
      [2, 2, 'ran'],
      [3, 1, 'ran'],
      [3, 2, 'ran'],
    ],
  );
  assert.deepEqual(
    first.table.rows.map((row) => row.params),
    [
      { clientLr: 0.05, mu: 0 },
      { clientLr: 0.05, mu: 0.01 },
      { clientLr: 0.1, mu: 0 },
      { clientLr: 0.1, mu: 0.01 },
    ],
  );
  for (const row of first.table.rows) {
    const records = runs.filter((run) => run.config.sweep!.combination === row.combination);
    assert.deepEqual(records.map((r) => r.config.sweep!.seed).sort(), [1, 2]);
    assert.ok(records.every((r) => r.config.hyperparameters.clientLr === row.params.clientLr && r.config.hyperparameters.mu === row.params.mu));
    const finals = records.map((r) => r.rounds.at(-1)!.testAccuracy!);
    const bests = records.map((r) => Math.max(...r.rounds.map((m) => m.testAccuracy!)));
    const losses = records.map((r) => r.rounds.at(-1)!.testLoss!);
    assert.equal(row.finished, 2);
    assert.ok(Math.abs(row.finalAccuracy!.mean - mean(finals)) < 1e-12);
    assert.ok(Math.abs(row.finalAccuracy!.std - Math.abs(finals[0] - finals[1]) / Math.SQRT2) < 1e-12);
    assert.ok(Math.abs(row.bestAccuracy!.mean - mean(bests)) < 1e-12);
    assert.ok(Math.abs(row.finalLoss!.mean - mean(losses)) < 1e-12);
  }
  const best = Math.max(...first.table.rows.map((row) => row.finalAccuracy!.mean));
  assert.equal(first.best?.finalAccuracy?.mean, best);
  const lines = first.table.toString().split('\n');
  assert.equal(lines.length, 5);
  assert.match(lines[0], /^ +clientLr +mu +runs +final acc +best acc +final loss +best loss +rounds to acc ≥ 0\.5$/);
  assert.equal(lines.filter((line) => line.startsWith('*')).length, 1);
  assert.ok(lines.every((line) => line.indexOf('runs') === -1 || line.indexOf('runs') === lines[0].indexOf('runs')));
  assert.match(String(first), new RegExp(`^sweep ${first.id}: 4 combination\\(s\\) × 2 seed\\(s\\)\\n`));
});

test('a sweep interrupted in its third run resumes from the records: two read back, one resumed, five run; the same table', async () => {
  const dir = useFreshRunsDir();
  const controller = new AbortController();
  let started = 0;
  const stop = observeRuns({
    runStarted: () => {
      started++;
    },
    roundFinished: (event) => {
      if (started === 3 && event.metrics.round === 2) controller.abort();
    },
  });
  const error = await fed.sweep(options({ run: { ...options().run, signal: controller.signal } })).then(
    () => undefined,
    (e: unknown) => e,
  );
  stop();
  assert.ok(error instanceof fed.errors.SweepInterruptedError, String(error));
  assert.match(
    error.message,
    /^sweep sweep-\S+ was interrupted in run \S+ \(clientLr=0\.05 mu=0\.01, seed 1\); 2 of 8 runs are done\. Continue it with fed\.sweep\(\{ \.\.\.the same options, resume: 'sweep-/,
  );
  assert.equal(readdirSync(dir).filter((name) => name.endsWith('.jsonl')).length, 3);
  const resumed = await fed.sweep(options({ resume: 'latest' }));
  assert.equal(resumed.id, error.sweepId);
  assert.deepEqual(
    resumed.runs.map((r) => r.how),
    ['recorded', 'recorded', 'resumed', 'ran', 'ran', 'ran', 'ran', 'ran'],
  );
  assert.equal(listRuns(dir).length, 8, 'the interrupted run continued in its own record');
  assert.equal(loadRun(resumed.runs[2].runId).resumes[0].fromRound, 2);
  assert.deepEqual(resumed.table.rows, first.table.rows, 'bit-identical runs give the same table');
});

test('a bad sweep fails before any run starts, saying what to change', async () => {
  const dir = useFreshRunsDir();
  await assert.rejects(fed.sweep(options({ grid: { clientLr: [0.1], momentum: [0.9] } })), {
    message: /^fed\.sweep: grid key 'momentum' is not an option of fed\.fedProx \(its options: model, clientsPerRound, .*, mu\)$/,
  });
  await assert.rejects(fed.sweep(options({ grid: { clientLr: [0.1, -1], mu: [0] } })), {
    message: 'fed.sweep: combination clientLr=-1 mu=0: fed.fedProx: clientLr must be a positive finite number (got -1)',
  });
  await assert.rejects(fed.sweep(options({ grid: { seed: [1, 2] } })), { message: 'fed.sweep: grid.seed: give the seeds as seeds: [1, 2, 3], next to grid' });
  await assert.rejects(fed.sweep(options({ grid: { mu: [] } })), { message: 'fed.sweep: grid.mu must be a non-empty array of values (got [])' });
  await assert.rejects(fed.sweep(options({ run: { rounds: 2, clients } })), { message: /^fed\.sweep: run\.evaluate is required/ });
  await assert.rejects(fed.sweep(options({ algorithm: fed.fedProx({ model: fed.models.mlp(), clientsPerRound: 1, mu: 0 }) })), {
    message: /^fed\.sweep: algorithm must be a strategy of fed, e\.g\. algorithm: fed\.fedProx/,
  });
  await assert.rejects(fed.sweep(options({ resume: 'sweep-nope' })), { message: `fed.sweep: resume: no run of a sweep 'sweep-nope' in ${dir}` });
  assert.deepEqual(readdirSync(dir), [], 'nothing ran');
});
