/**
 * The engine with the native libraries unreachable (FEDBOOK_BLAS and
 * FEDBOOK_DNNL pointing nowhere) trains through tfjs and records why; with
 * them in place, 'auto' trains through the compiled step.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fed } from '../../../kernel/api/index';
import type { FederatedData } from '../../../kernel/federated/partition/federated-data';
import { loadNativeLibs } from '../../../workers/backend/native-libs/index';
import type { DescribeResult } from '../../../workers/task-types';
import { getClientPool } from '../../../kernel/transport/in-process/client-pool';

let clients: FederatedData;
before(async () => {
  process.env.FEDBOOK_RUNS_DIR = mkdtempSync(join(tmpdir(), 'fedbook-native-'));
  const { train } = await fed.datasets.mnist({ trainLimit: 400, testLimit: 100, subsetSeed: 1 });
  clients = fed.partition(train, { clients: 4, scheme: 'iid', seed: 1 });
});
after(() => fed.shutdown());

async function oneRound() {
  const algo = fed.fedAvg({ model: fed.models.mlp({ hidden: [32] }), clientsPerRound: 2, batchSize: 10, seed: 3, workers: 1 });
  const { metrics } = await algo.next(await algo.initialize(), clients);
  // The backend report of the same (warm, 1-worker) pool that trained the round.
  const described = await getClientPool(1).run<DescribeResult>({ type: 'describe', backend: 'auto', spec: fed.models.mlp({ hidden: [32] }) });
  return { metrics, detail: described.backendDetail ?? '' };
}

test('with FEDBOOK_BLAS and FEDBOOK_DNNL pointing nowhere, clients train on tfjs-wasm and the round says why', async () => {
  process.env.FEDBOOK_BLAS = '/nowhere/libopenblas.so.0';
  process.env.FEDBOOK_DNNL = '/nowhere/libdnnl.so.2';
  try {
    const { metrics, detail } = await oneRound();
    assert.match(detail, /compiled step not used: FEDBOOK_BLAS=\/nowhere\/libopenblas\.so\.0 could not be loaded/);
    assert.equal(metrics.clients, 2);
    assert.equal(metrics.failures, 0);
    const paths = metrics.trainPaths as Record<string, { clients: number; note?: string }>;
    assert.deepEqual(Object.keys(paths), ['tfjs-wasm']);
    assert.equal(paths['tfjs-wasm'].clients, 2);
    assert.match(paths['tfjs-wasm'].note!, /^FEDBOOK_BLAS=\/nowhere\/libopenblas\.so\.0 could not be loaded/);
  } finally {
    delete process.env.FEDBOOK_BLAS;
    delete process.env.FEDBOOK_DNNL;
    await fed.shutdown(); // the next test's workers start with the libraries findable
  }
});

test("with the libraries installed, 'auto' trains the 2NN through the compiled step", {
  skip: !loadNativeLibs().blas && 'no BLAS on this machine',
}, async () => {
  const { metrics, detail } = await oneRound();
  assert.match(detail, /compiled step \(BLAS: /);
  assert.equal(metrics.clients, 2);
  assert.deepEqual(metrics.trainPaths, { 'compiled-native': { clients: 2 } });
  assert.ok(metrics.trainLoss > 0 && metrics.trainLoss < 3);
});
