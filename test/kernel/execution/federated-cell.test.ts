import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExecutor } from '../../../kernel/execution';
import type { ExecutionOutcome } from '../../../kernel/execution/executor';
import { RUN_MIME, type RunBundle } from '../../../kernel/contract';
import { observeRuns, type RunEndedEvent } from '../../../kernel/simulation/run-events';
import { recordingSink, type RecordingSink } from './recording-sink';

// Real training through the engine: a small MNIST subset, two worker threads.
const executor = createExecutor({ cwd: mkdtempSync(join(tmpdir(), 'fedbook-fed-cell-')), captureKernelConsole: false });
after(() => executor.dispose());

let count = 0;
function execute(code: string, sink: RecordingSink = recordingSink()): Promise<ExecutionOutcome> {
  return executor.execute(code, sink, { silent: false, executionCount: ++count });
}

test('cells train a real model step by step, then run() shows live progress and a round table', async () => {
  const setup = await execute(
    [
      'const { train, test } = await fed.datasets.mnist({ trainLimit: 1200, testLimit: 300, subsetSeed: 1 });',
      "const clients = fed.partition(train, { clients: 20, scheme: 'iid', seed: 7 });",
      'const algo = fed.fedAvg({ model: fed.models.mlp({ hidden: [32] }), clientsPerRound: 4, batchSize: 10, clientLr: 0.1, seed: 1, workers: 2 });',
      'let state = await algo.initialize();',
      'let metrics;',
      '({ state, metrics } = await algo.next(state, clients, { evaluate: test }));',
      'metrics.round',
    ].join('\n'),
  );
  assert.deepEqual(setup, { status: 'ok', result: { 'text/plain': '1' } });

  const sink = recordingSink();
  const outcome = await execute('const run = await algo.run({ rounds: 2, clients, evaluate: test, state });\nrun', sink);
  assert.equal(outcome.status, 'ok', JSON.stringify(outcome));
  assert.match(String(outcome.status === 'ok' && outcome.result?.['text/plain']), /^run \S+: 2 rounds, completed\nround {2}test acc/);
  const progress = sink.events.filter((e) => e.kind === 'display' || e.kind === 'update');
  assert.equal(progress[0].kind, 'display');
  const last = (progress[progress.length - 1] as { data: Record<string, unknown> }).data;
  const bundle = last[RUN_MIME] as RunBundle;
  assert.equal(bundle.status, 'completed');
  assert.deepEqual(
    bundle.rounds.map((r) => r.round),
    [2, 3],
  );
  assert.equal(bundle.seed, 1, 'the live bundle carries the seed from the run record, for the chart to band seeds');
  assert.equal(bundle.sweep, undefined, 'and no sweep id for a run outside a sweep');
  assert.match(String(last['text/plain']), /round 2\/2 · acc 0\.\d+ · loss \d\.\d+ · [\d.]+ s elapsed · completed$/);
});

test('interrupt stops a running federated run; the kernel keeps every variable and can train again', async (t) => {
  const sink = recordingSink();
  let interruptedAt = 0;
  const firstRound = new Promise<void>((resolve) => {
    const original = sink.updateDisplay;
    sink.updateDisplay = (data, id) => {
      original(data, id);
      resolve();
    };
  });
  const ended = new Promise<RunEndedEvent & { at: number }>((resolve) => {
    const stop = observeRuns({
      runEnded: (event) => {
        stop();
        resolve({ ...event, at: performance.now() });
      },
    });
  });
  const running = execute('const longRun = await algo.run({ rounds: 200, clients, evaluate: test, state });', sink);
  await firstRound;
  interruptedAt = performance.now();
  executor.interrupt();
  const outcome = await running;
  t.diagnostic(`interrupt → outcome: ${(performance.now() - interruptedAt).toFixed(0)} ms`);
  assert.equal(outcome.status === 'error' && outcome.ename, 'KeyboardInterrupt', JSON.stringify(outcome));
  // The run itself (worker tasks included) stops through the cell's ambient abort signal.
  const end = await ended;
  t.diagnostic(`interrupt → run ended (${end.status}): ${(end.at - interruptedAt).toFixed(0)} ms`);
  assert.equal(end.status, 'aborted');
  // …and the cell's live output ends with that status.
  const updates = sink.events.filter((e) => e.kind === 'update');
  const finalBundle = (updates[updates.length - 1] as { data: Record<string, unknown> }).data[RUN_MIME] as RunBundle;
  assert.equal(finalBundle.status, 'aborted');

  // `state` still holds round 1 (run() returns its own state): the next round is round 2.
  const again = await execute('({ state, metrics } = await algo.next(state, clients));\n`${typeof longRun} ${metrics.round}`');
  assert.deepEqual(again, { status: 'ok', result: { 'text/plain': "'undefined 2'" } });
});

test('a resumed run shows its recorded rounds first, so its live line continues where it stopped', async () => {
  const failed = await execute(
    [
      'let stoppedRun;',
      "try { await algo.run({ rounds: 4, clients, evaluate: test, onRound: (m) => { if (m.round === 2) throw new Error('stop after round 2'); } }); }",
      'catch (error) { stoppedRun = error.run; }',
      'stoppedRun.status',
    ].join('\n'),
  );
  assert.deepEqual(failed, { status: 'ok', result: { 'text/plain': "'failed'" } });
  const printed = recordingSink();
  await execute('console.log(JSON.stringify(stoppedRun.rounds.map((m) => ({ round: m.round, testAccuracy: m.testAccuracy }))))', printed);
  const before = JSON.parse(printed.text());
  assert.deepEqual(
    before.map((r: { round: number }) => r.round),
    [1, 2],
  );

  const sink = recordingSink();
  const outcome = await execute('const resumed = await algo.run({ rounds: 4, clients, evaluate: test, resume: stoppedRun.id });\nresumed.resumedFrom', sink);
  assert.deepEqual(outcome, { status: 'ok', result: { 'text/plain': '2' } });
  const progress = sink.events.filter((e) => e.kind === 'display' || e.kind === 'update') as Array<{ data: Record<string, unknown> }>;
  const first = progress[0].data[RUN_MIME] as RunBundle;
  assert.equal(progress.length > 1, true);
  assert.deepEqual(
    first.rounds.map((r) => ({ round: r.round, testAccuracy: r.testAccuracy })),
    before,
    'the first message already carries rounds 1 and 2, as recorded',
  );
  assert.equal(first.replayedRounds, 2);
  assert.equal(first.plannedRounds, 4);
  assert.equal(first.rounds[0].phases, undefined, 'replayed rounds leave out per-phase timings like live ones');
  const last = progress[progress.length - 1].data;
  assert.deepEqual(
    (last[RUN_MIME] as RunBundle).rounds.map((r) => r.round),
    [1, 2, 3, 4],
  );
  assert.match(String(last['text/plain']), /round 4\/4 · acc .* · completed$/);
});
