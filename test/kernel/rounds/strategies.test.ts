/** Every strategy of the family runs real rounds; FedProx's proximal term measurably holds clients near the global model. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fed } from '../../../kernel/api/index';
import type { FederatedData } from '../../../kernel/federated/partition/federated-data';

let clients: FederatedData;
before(async () => {
  process.env.FEDBOOK_RUNS_DIR = mkdtempSync(join(tmpdir(), 'fedbook-runs-'));
  const { train } = await fed.datasets.mnist({ trainLimit: 2000, testLimit: 100, subsetSeed: 2 });
  clients = fed.partition(train, { clients: 10, scheme: 'shards', shardsPerClient: 2, seed: 3 });
});
after(() => fed.shutdown());

const model = () => fed.models.mlp({ hidden: [32] });
const norm = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((sum, v, i) => sum + (v - b[i]) ** 2, 0));

for (const make of [fed.fedSgd, fed.fedAvgM, fed.fedAdam, fed.fedYogi, fed.fedAdagrad]) {
  test(`${make.name} runs a round and moves the weights`, async () => {
    const algo = make({ model: model(), clientsPerRound: 3, seed: 1, workers: 2 });
    const state = await algo.initialize();
    const { state: next, metrics } = await algo.next(state, clients);
    assert.equal(metrics.clients, 3);
    assert.ok(norm(next.weights, state.weights) > 0);
    assert.ok(next.weights.every(Number.isFinite));
  });
}

test('FedProx with a large μ keeps the update smaller than FedAvg on the same seed', async () => {
  const options = { model: model(), clientsPerRound: 3, localEpochs: 2, seed: 1, workers: 2 };
  const avg = fed.fedAvg(options);
  const prox = fed.fedProx({ ...options, mu: 10 });
  const start = await avg.initialize();
  const avgStep = norm((await avg.next(start, clients)).state.weights, start.weights);
  const proxStep = norm((await prox.next(start, clients)).state.weights, start.weights);
  assert.ok(proxStep < 0.8 * avgStep, `FedProx step ${proxStep} vs FedAvg ${avgStep}`);
});

test('the FedAvg paper CNN trains on WASM', async () => {
  const algo = fed.fedAvg({ model: fed.models.cnn(), clientsPerRound: 2, batchSize: 50, seed: 1, workers: 2 });
  const state = await algo.initialize();
  assert.equal(state.weights.length, 1663370);
  const { metrics } = await algo.next(state, clients);
  assert.equal(metrics.failures, 0, JSON.stringify(metrics.failureDetails));
  assert.ok(Number.isFinite(metrics.trainLoss));
});
