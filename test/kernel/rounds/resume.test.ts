/**
 * Resume in process: an interrupted run continues to the same weights, a
 * finished run is not run again, and every bad resume fails before training
 * with a message that names what to change. Records with resume lines read
 * back as one run.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fed } from '../../../kernel/api/index';
import { loadRun } from '../../../kernel/simulation/run-records';
import { checkpointDirectory, checkpointRounds } from '../../../kernel/rounds/checkpoints';

type Clients = ReturnType<typeof fed.partition>;
let clients: Clients;
let test_: Awaited<ReturnType<typeof fed.datasets.mnist>>['test'];
let runsDir: string;

before(async () => {
  runsDir = mkdtempSync(join(tmpdir(), 'fedbook-resume-'));
  process.env.FEDBOOK_RUNS_DIR = runsDir;
  const { train, test } = await fed.datasets.mnist({ trainLimit: 1000, testLimit: 100, subsetSeed: 2 });
  clients = fed.partition(train, { clients: 10, scheme: 'iid', seed: 3 });
  test_ = test;
});
after(() => fed.shutdown());

const algo = (extra: Record<string, unknown> = {}) =>
  fed.fedAvg({ model: fed.models.mlp({ hidden: [16] }), clientsPerRound: 3, workers: 2, backend: 'wasm', seed: 1, ...extra });

test('an interrupted run resumed with "latest" ends with the weights of a run never interrupted', async () => {
  const reference = await algo().run({ rounds: 4, clients, evaluate: test_ });
  const controller = new AbortController();
  const error = await algo()
    .run({
      rounds: 4,
      clients,
      evaluate: test_,
      signal: controller.signal,
      onRound: (m) => {
        if (m.round === 2) controller.abort();
      },
    })
    .then(
      () => undefined,
      (e: unknown) => e as InstanceType<typeof fed.errors.RunInterruptedError>,
    );
  assert.ok(error instanceof fed.errors.RunInterruptedError);
  assert.match(error.message, new RegExp(`continue it with run\\(\\{ \\.\\.\\.the same options, resume: '${error.run.id}' \\}\\)`));
  const resumed = await algo().run({ rounds: 4, clients, evaluate: test_, resume: 'latest' });
  assert.equal(resumed.id, error.run.id);
  assert.equal(resumed.resumedFrom, 2);
  assert.deepEqual(
    resumed.rounds.map((m) => m.round),
    [1, 2, 3, 4],
  );
  assert.deepEqual(Buffer.from(resumed.state.weights.buffer), Buffer.from(reference.state.weights.buffer));
  const record = loadRun(resumed.id);
  assert.equal(record.end?.status, 'completed', 'the aborted end line is superseded');
  assert.deepEqual(
    record.rounds.map((m) => m.round),
    [1, 2, 3, 4],
  );
});

test('checkpoints every 2 rounds (and after the last); without any, a resume starts again from round 0 and says so; both end identical', async () => {
  const reference = await algo().run({ rounds: 5, clients });
  const sparse = await algo().run({ rounds: 5, clients, checkpoints: { keep: 10, every: 2 } });
  assert.deepEqual(checkpointRounds(checkpointDirectory(sparse.path)), [5, 4, 2]);
  const stopAt = (round: number) => {
    const controller = new AbortController();
    return {
      signal: controller.signal,
      onRound: (m: { round: number }) => {
        if (m.round === round) controller.abort();
      },
    };
  };
  const interrupted = await algo()
    .run({ rounds: 5, clients, checkpoints: { every: 2 }, ...stopAt(3) })
    .catch((e) => e.run);
  const resumed = await algo().run({ rounds: 5, clients, resume: interrupted.id });
  assert.equal(resumed.resumedFrom, 2);
  assert.deepEqual(Buffer.from(resumed.state.weights.buffer), Buffer.from(reference.state.weights.buffer));
  const none = await algo()
    .run({ rounds: 5, clients, checkpoints: false, ...stopAt(2) })
    .catch((e) => e.run);
  assert.equal(existsSync(checkpointDirectory(none.path)), false);
  const restarted = await algo().run({ rounds: 5, clients, resume: none.id });
  assert.equal(restarted.resumedFrom, 0);
  assert.deepEqual(restarted.notes, [`no intact checkpoint in ${checkpointDirectory(none.path)}: the run starts again from round 0`]);
  assert.deepEqual(Buffer.from(restarted.state.weights.buffer), Buffer.from(reference.state.weights.buffer));
  assert.deepEqual(
    loadRun(none.id).rounds.map((m) => m.round),
    [1, 2, 3, 4, 5],
  );
});

test('a run started from a given state resumes to its own last round, or refuses when it has no checkpoint', async () => {
  const { state } = await algo().next(await algo().initialize(), clients);
  const reference = await algo().run({ rounds: 3, clients, state });
  assert.equal(reference.state.round, 4);
  const controller = new AbortController();
  const interrupted = await algo()
    .run({
      rounds: 3,
      clients,
      state,
      signal: controller.signal,
      onRound: (m) => {
        if (m.round === 2) controller.abort();
      },
    })
    .catch((e) => e.run);
  const resumed = await algo().run({ rounds: 3, clients, resume: interrupted.id });
  assert.equal(resumed.state.round, 4);
  assert.deepEqual(Buffer.from(resumed.state.weights.buffer), Buffer.from(reference.state.weights.buffer));
  const bare = new AbortController();
  const without = await algo()
    .run({ rounds: 3, clients, state, checkpoints: false, signal: bare.signal, onRound: () => bare.abort() })
    .catch((e) => e.run);
  await assert.rejects(algo().run({ rounds: 3, clients, resume: without.id }), {
    message: `resume: run ${without.id} started from a state you passed (round 1) and has no intact checkpoint to continue from; start it again from that state`,
  });
});

test('secure aggregation with DP noise, Gaussian attackers under centered clipping (its centre is state), FedAdam (m, v): interrupted, resumed, bit-identical', async () => {
  const builds = [
    () => algo({ seed: 3, privacy: fed.dp.gaussian({ clip: 1, noiseMultiplier: 0.5, delta: 1e-5 }), secureAggregation: { threshold: 2 } }),
    () => algo({ seed: 4, attack: fed.attacks.gaussian({ fraction: 0.3, std: 1 }), aggregator: fed.aggregators.centeredClipping({ tau: 1, iterations: 3 }) }),
    () => fed.fedAdam({ model: fed.models.mlp({ hidden: [16] }), clientsPerRound: 3, workers: 2, backend: 'wasm', seed: 5 }),
  ];
  for (const build of builds) {
    const reference = await build().run({ rounds: 4, clients });
    const controller = new AbortController();
    const stopped = await build()
      .run({
        rounds: 4,
        clients,
        signal: controller.signal,
        onRound: (m) => {
          if (m.round === 2) controller.abort();
        },
      })
      .catch((e) => e.run);
    assert.equal(stopped.status, 'aborted');
    const resumed = await build().run({ rounds: 4, clients, resume: stopped.id });
    assert.equal(resumed.resumedFrom, 2);
    assert.deepEqual(Buffer.from(resumed.state.weights.buffer), Buffer.from(reference.state.weights.buffer));
  }
});

test('resuming a completed run trains nothing and gives its final state back', async () => {
  const done = await algo().run({ rounds: 2, clients });
  const size = statSync(done.path).size;
  const again = await algo().run({ rounds: 2, clients, resume: done.id });
  assert.equal(again.status, 'completed');
  assert.equal(again.state.round, 2);
  assert.deepEqual(Buffer.from(again.state.weights.buffer), Buffer.from(done.state.weights.buffer));
  assert.equal(statSync(done.path).size, size, 'nothing appended to the record');
});

test("fed.runs.state gives back a run's final state from its checkpoint, or says why it cannot", async () => {
  const run = await algo().run({ rounds: 2, clients });
  const state = fed.runs.state(run.id);
  assert.equal(state.round, 2);
  assert.deepEqual(Buffer.from(state.weights.buffer), Buffer.from(run.state.weights.buffer));
  const bare = await algo().run({ rounds: 1, clients, checkpoints: false });
  assert.throws(() => fed.runs.state(bare.id), {
    message: `fed.runs.state: run ${bare.id} has no intact checkpoint in ${checkpointDirectory(bare.path)} (it ran with checkpoints: false, or they were deleted)`,
  });
});

test('bad resumes fail before training, naming the difference', async () => {
  const run = await algo({ clientLr: 0.1 }).run({ rounds: 1, clients });
  const dir = runsDir;
  await assert.rejects(algo().run({ rounds: 2, clients, resume: 'nope' }), {
    name: 'RangeError',
    message: new RegExp(`^resume: no run 'nope' in ${dir} \\(the latest is '`),
  });
  await assert.rejects(algo({ seed: 2, clientLr: 0.05 }).run({ rounds: 2, clients, resume: run.id }), {
    message:
      `resume: run ${run.id} was recorded with another configuration: seed is 1 in the run and 2 here; clientLr is 0.1 in the run and 0.05 here. ` +
      'Resume it with the algorithm it was started with, or start a new run.',
  });
  await assert.rejects(
    fed
      .fedProx({ model: fed.models.mlp({ hidden: [16] }), clientsPerRound: 3, workers: 2, backend: 'wasm', seed: 1, mu: 0.01 })
      .run({ rounds: 2, clients, resume: run.id }),
    {
      message: /another configuration: strategy is "fedAvg" in the run and "fedProx" here; mu is absent in the run and 0.01 here\./,
    },
  );
  await assert.rejects(
    fed
      .fedAvg({ model: fed.models.mlp({ hidden: [8] }), clientsPerRound: 3, workers: 2, backend: 'wasm', seed: 1 })
      .run({ rounds: 2, clients, resume: run.id }),
    {
      message: /another configuration: model is \{"activation":"relu","hidden":\[16\],.*\} in the run and \{"activation":"relu","hidden":\[8\],.*\} here\./,
    },
  );
  const state = await algo().initialize();
  await assert.rejects(async () => algo().run({ rounds: 2, clients, resume: run.id, state }), {
    name: 'TypeError',
    message: 'fedAvg.run: pass either resume (a run id) or state, not both',
  });
  await assert.rejects(async () => algo().run({ rounds: 2, clients, checkpoints: { keep: 0 } }), {
    message: /^fedAvg\.run: checkpoints\.keep must be an integer/,
  });
  const empty = mkdtempSync(join(tmpdir(), 'fedbook-empty-'));
  process.env.FEDBOOK_RUNS_DIR = empty;
  try {
    await assert.rejects(algo().run({ rounds: 2, clients, resume: 'latest' }), { message: `resume: 'latest': there is no run in ${empty}` });
  } finally {
    process.env.FEDBOOK_RUNS_DIR = dir;
  }
});

test('a record read back: a resume line supersedes the rounds after its checkpoint and the end before it', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'fedbook-record-')), 'r.jsonl');
  const round = (n: number, trainLoss = n) => JSON.stringify({ type: 'round', round: n, trainLoss, clients: 1, failures: 0, bytesDown: 0, bytesUp: 0, ms: 1 });
  writeFileSync(
    path,
    [
      JSON.stringify({
        type: 'config',
        runId: 'r',
        label: 'l',
        strategy: 'fedAvg',
        hyperparameters: {},
        seed: 1,
        backend: 'wasm',
        workers: 1,
        version: '0',
        startedAt: '',
      }),
      round(1),
      round(2),
      round(3),
      JSON.stringify({ type: 'end', status: 'aborted', endedAt: '' }),
      JSON.stringify({ type: 'resume', fromRound: 2, resumedAt: '' }),
      round(3, 30),
      round(4),
      '{"type":"rou',
    ].join('\n'),
  );
  const run = loadRun(path);
  assert.deepEqual(
    run.rounds.map((m) => m.round),
    [1, 2, 3, 4],
  );
  assert.equal(run.rounds[2].trainLoss, 30, 'round 3 as it ran after the resume');
  assert.equal(run.end, undefined);
  assert.equal(run.resumes.length, 1);
  assert.ok(readFileSync(path, 'utf8').includes('"resume"'));
});
