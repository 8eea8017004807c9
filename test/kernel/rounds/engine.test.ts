/**
 * The engine through the real path: real MNIST, real worker threads, real WASM training.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fed } from '../../../kernel/api/index';
import { fedAvgWith } from '../../../kernel/api/algorithms';
import type { Dataset } from '../../../kernel/data/dataset';
import type { FederatedData } from '../../../kernel/federated/partition/federated-data';

let train: Dataset, test_: Dataset, clients: FederatedData;

before(async () => {
  process.env.FEDBOOK_RUNS_DIR = mkdtempSync(join(tmpdir(), 'fedbook-runs-'));
  ({ train, test: test_ } = await fed.datasets.mnist({ trainLimit: 6000, testLimit: 1000, subsetSeed: 1 }));
  clients = fed.partition(train, { clients: 20, scheme: 'iid', seed: 1 });
});
after(() => fed.shutdown());

const smallMlp = () => fed.models.mlp({ hidden: [64] });

test('FedAvg with the 2NN on real MNIST raises test accuracy above 80% and records every round', async () => {
  const algo = fed.fedAvg({
    model: fed.models.mlp({ hidden: [200, 200] }),
    clientsPerRound: 5,
    localEpochs: 1,
    batchSize: 10,
    clientLr: 0.1,
    seed: 1,
    workers: 2,
  });
  const seen: number[] = [];
  const run = await algo.run({ rounds: 3, clients, evaluate: test_, onRound: (m) => seen.push(m.round) });
  assert.deepEqual(seen, [1, 2, 3]);
  assert.equal(run.status, 'completed');
  assert.equal(run.backend, 'wasm');
  const last = run.rounds[2];
  assert.ok(last.testAccuracy! > 0.8, `accuracy after 3 rounds: ${last.testAccuracy}`);
  assert.equal(last.cohort, 5);
  assert.equal(last.clients, 5);
  assert.equal(last.failures, 0);
  assert.equal(last.bytesDown, 5 * 199210 * 4);
  assert.equal(last.bytesUp, 5 * 199210 * 4);
  for (const phase of ['sample', 'train', 'aggregate', 'evaluate'] as const) assert.ok(last.phases![phase] >= 0);
  const lines = readFileSync(run.path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  assert.equal(lines[0].type, 'config');
  assert.equal(lines[0].strategy, 'fedAvg');
  assert.equal(lines[0].backend, 'wasm');
  assert.equal(lines[0].seed, 1);
  assert.deepEqual(
    lines.filter((l) => l.type === 'round').map((l) => l.round),
    [1, 2, 3],
  );
  assert.equal(lines.at(-1).status, 'completed');
  const loaded = fed.runs.load(run.id);
  assert.equal(loaded.rounds.length, 3);
  assert.ok(fed.runs.list().some((r) => r.runId === run.id));
});

test('the same seed gives bit-identical weights, whatever the worker count', async () => {
  const weightsAfterTwoRounds = async (workers: number, seed: number) => {
    const algo = fed.fedAvg({ model: smallMlp(), clientsPerRound: 4, seed, workers });
    let state = await algo.initialize();
    for (let r = 0; r < 2; r++) ({ state } = await algo.next(state, clients));
    return state.weights;
  };
  const a = await weightsAfterTwoRounds(2, 5);
  const b = await weightsAfterTwoRounds(2, 5);
  const c = await weightsAfterTwoRounds(1, 5);
  const d = await weightsAfterTwoRounds(2, 6);
  assert.ok(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)), 'same seed, same workers');
  assert.ok(Buffer.from(a.buffer).equals(Buffer.from(c.buffer)), 'same seed, 1 vs 2 workers');
  assert.ok(!Buffer.from(a.buffer).equals(Buffer.from(d.buffer)), 'another seed differs');
});

test('a client that throws, one whose thread dies, a NaN and a wrong-length update become failure records', async () => {
  const algo = fedAvgWith(
    {
      faults: new Map([
        [0, 'throw'],
        [1, 'exit'],
        [2, 'nan'],
        [3, 'wrong-length'],
      ] as const),
    },
    {
      model: smallMlp(),
      clientsPerRound: 20,
      seed: 2,
      workers: 2,
    },
  );
  const state = await algo.initialize();
  const { metrics, failures, state: next } = await algo.next(state, clients);
  assert.equal(metrics.clients, 16);
  assert.equal(metrics.failures, 4);
  const reasons = Object.fromEntries(failures.map((f) => [f.clientId, f.reason]));
  assert.deepEqual(reasons, { 0: 'error', 1: 'crash', 2: 'invalid', 3: 'invalid' });
  assert.match(failures.find((f) => f.clientId === 2)!.message, /NaN/);
  assert.ok(next.weights.every(Number.isFinite));
  // The pool replaced the dead thread: the next round trains normally.
  const again = await fed.fedAvg({ model: smallMlp(), clientsPerRound: 4, seed: 2, workers: 2 }).next(next, clients);
  assert.equal(again.metrics.failures, 0);
});

test('a client past its deadline becomes a timeout failure and the round goes on', async () => {
  const algo = fedAvgWith({ faults: new Map([[5, 'hang']] as const) }, { model: smallMlp(), clientsPerRound: 20, seed: 3, workers: 2, clientDeadlineMs: 8000 });
  const { failures, metrics } = await algo.next(await algo.initialize(), clients);
  assert.deepEqual(
    failures.map((f) => [f.clientId, f.reason]),
    [[5, 'timeout']],
  );
  assert.equal(metrics.clients, 19);
});

test('too few usable updates fails the round with the count and the reasons', async () => {
  const algo = fedAvgWith(
    { faults: new Map(Array.from({ length: 20 }, (_, i) => [i, 'throw' as const])) },
    { model: smallMlp(), clientsPerRound: 2, seed: 4, workers: 2, minClients: 2 },
  );
  await assert.rejects(algo.next(await algo.initialize(), clients), /round 1 failed: only 0 of 2 clients returned a usable update, minClients is 2/);
});

test('aborting mid-round stops the run within a second and keeps the finished rounds', async () => {
  const controller = new AbortController();
  const algo = fed.fedAvg({ model: smallMlp(), clientsPerRound: 20, localEpochs: 20, seed: 5, workers: 2 });
  let abortedAt = 0;
  const run = algo.run({
    rounds: 50,
    clients,
    signal: controller.signal,
    onRound: () => {
      setTimeout(() => {
        abortedAt = Date.now();
        controller.abort();
      }, 200);
    },
  });
  const error = await run.then(
    () => undefined,
    (e) => e,
  );
  const stoppedAfter = Date.now() - abortedAt;
  assert.equal(error?.name, 'RunInterruptedError');
  assert.match(error.message, /was interrupted in round 2/);
  assert.equal(error.run.rounds.length, 1);
  assert.equal(error.run.status, 'aborted');
  assert.ok(stoppedAfter < 1000, `stopped ${stoppedAfter} ms after the abort`);
  const lines = readFileSync(error.run.path, 'utf8')
    .trim()
    .split('\n')
    .map((line: string) => JSON.parse(line));
  assert.deepEqual(
    lines.map((l: { type: string }) => l.type),
    ['config', 'round', 'end'],
  );
  // The pool survives an abort.
  const { metrics } = await fed.fedAvg({ model: smallMlp(), clientsPerRound: 2, seed: 5, workers: 2 }).next(error.run.state, clients);
  assert.equal(metrics.failures, 0);
});

test('options are validated with exact messages', async () => {
  assert.throws(() => fed.fedAvg({ model: smallMlp(), clientsPerRound: 0 }), /clientsPerRound must be an integer ≥ 1 \(got 0\)/);
  assert.throws(() => fed.fedAvg({ clientsPerRound: 1 } as never), /model is required/);
  assert.throws(() => fed.fedAvg({ model: smallMlp(), clientsPerRound: 2, clientLr: -1 }), /clientLr must be a positive finite number \(got -1\)/);
  assert.throws(() => fed.fedAvg({ model: smallMlp(), clientsPerRound: 2, lr: 0.1 } as never), /unknown option 'lr'/);
  assert.throws(
    () => fed.fedAvg({ model: smallMlp(), clientsPerRound: 2, backend: 'tpu' as never }),
    /backend must be one of 'auto', 'native', 'gpu', 'webgpu', 'wasm', 'cpu'/,
  );
  const algo = fed.fedAvg({ model: smallMlp(), clientsPerRound: 21, workers: 2 });
  await assert.rejects(algo.next(await algo.initialize(), clients), /clientsPerRound must be an integer in 1\.\.20 \(there are 20 clients\)/);
  const wrongShape = fed.fedAvg({ model: fed.models.mlp({ hidden: [8], inputShape: [60] }), clientsPerRound: 2, workers: 2 });
  await assert.rejects(wrongShape.next(await wrongShape.initialize(), clients), /expects examples of shape \[60\].*pass inputShape: \[28,28,1\]/);
});

test('an MLP built for flat [784] rows trains on [28, 28, 1] images (batches take the model’s shape), as the image-shaped MLP does', async () => {
  // tfjs path (backend 'wasm'): it shapes each batch as a tensor, where a mismatched rank used to fail every client.
  const weightsOf = async (inputShape: number[]) => {
    const algo = fed.fedAvg({ model: fed.models.mlp({ hidden: [16], inputShape }), clientsPerRound: 2, seed: 3, workers: 1, backend: 'wasm' });
    const { state, metrics } = await algo.next(await algo.initialize(), clients, { evaluate: test_ });
    assert.equal(metrics.failures, 0, JSON.stringify(metrics.failureDetails));
    assert.ok(Number.isFinite(metrics.testAccuracy));
    return state.weights;
  };
  const flat = await weightsOf([784]);
  const image = await weightsOf([28, 28, 1]);
  assert.deepEqual(new Uint8Array(flat.buffer, flat.byteOffset, flat.byteLength), new Uint8Array(image.buffer, image.byteOffset, image.byteLength));
});
