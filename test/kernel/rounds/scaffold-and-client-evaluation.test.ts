/**
 * SCAFFOLD against client drift, and federated evaluation on the clients' own
 * held-out data, through the real path (worker threads, WASM).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fed } from '../../../kernel/api/index';
import type { Dataset } from '../../../kernel/data/dataset';
import type { FederatedData } from '../../../kernel/federated/partition/federated-data';

let shards: FederatedData;
let heldOutTest: Dataset;
before(async () => {
  process.env.FEDBOOK_RUNS_DIR = mkdtempSync(join(tmpdir(), 'fedbook-scaffold-'));
  const { train, test } = await fed.datasets.mnist({ trainLimit: 3000, testLimit: 1000, subsetSeed: 1 });
  shards = fed.partition(train, { clients: 20, scheme: 'shards', shardsPerClient: 2, seed: 1 });
  heldOutTest = test;
});
after(() => fed.shutdown());

const options = () => ({
  model: fed.models.mlp({ hidden: [64] }),
  clientsPerRound: 5,
  localEpochs: 5,
  batchSize: 10,
  clientLr: 0.05,
  seed: 1,
  workers: 2,
  backend: 'wasm' as const,
});

test('SCAFFOLD reaches 75 % on the shards split (E = 5) in fewer rounds than FedAvg', async () => {
  const until = { accuracy: 0.75 };
  const avg = await fed.fedAvg(options()).run({ rounds: 15, clients: shards, evaluate: heldOutTest, until });
  const scaffold = await fed.scaffold(options()).run({ rounds: 15, clients: shards, evaluate: heldOutTest, until });
  const reached = (run: typeof avg) => run.rounds.findIndex((r) => r.testAccuracy! >= until.accuracy) + 1 || Infinity;
  assert.ok(reached(scaffold) < reached(avg), `SCAFFOLD reached ${until.accuracy} in round ${reached(scaffold)}, FedAvg in round ${reached(avg)}`);
  // The server state holds c and one c_i per client that trained.
  const state = scaffold.state;
  assert.equal(state.strategyState!.c.length, state.weights.length);
  const trained = Object.keys(state.clientState!);
  assert.ok(trained.length >= 5 && trained.length <= 20);
  assert.ok((state.clientState![trained[0]].c as Float32Array).some((v) => v !== 0));
});

test('SCAFFOLD refuses what it cannot do, with the reason', () => {
  assert.throws(() => fed.scaffold({ ...options(), clientOptimizer: 'adam' }), /clientOptimizer must be 'sgd'/);
  assert.throws(() => fed.scaffold({ ...options(), secureAggregation: true }), /not supported yet/);
});

test('clients evaluate the global model on their own held-out split: mean, 10th percentile, worst', async () => {
  const run = await fed.fedAvg({ ...options(), localEpochs: 1 }).run({ rounds: 2, clients: shards, clientEvaluation: { fraction: 0.25, heldOut: 0.2 } });
  for (const round of run.rounds) {
    assert.equal(round.clientsEvaluated, 5);
    const { clientAccuracyMean: mean, clientAccuracyP10: p10, clientAccuracyWorst: worst } = round as Record<string, number>;
    assert.ok(worst <= p10 && p10 <= 1 && worst >= 0 && mean >= worst, JSON.stringify({ mean, p10, worst }));
  }
});

test('a held-out share that leaves a client no training data is refused, naming the client', async () => {
  const tiny = fed.partition((await fed.datasets.mnist({ trainLimit: 40, testLimit: 10, subsetSeed: 1 })).train, { clients: 40, scheme: 'iid', seed: 1 });
  assert.throws(() => fed.fedAvg({ ...options(), clientsPerRound: 2 }).run({ rounds: 1, clients: tiny, clientEvaluation: { fraction: 0.5, heldOut: 0.2 } }), {
    message:
      "fedAvg.run: clientEvaluation: heldOut = 0.2 holds out 1 of client 0's 1 example(s), leaving it no training data; use a smaller heldOut or a partition with at least 2 examples per client",
  });
});
