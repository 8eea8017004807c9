/**
 * The cohort shared by W tasks (workers claim clients from a counter and write
 * deltas into one shared buffer), through real worker threads: the same updates
 * bit for bit as one task per client, failures per client, buffers reused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fed } from '../../../../kernel/api/index';
import type { FederatedData } from '../../../../kernel/federated/partition/federated-data';
import type { ClientTrainConfig } from '../../../../kernel/federated/types';
import { createClientPool, type ClientPool } from '../../../../kernel/transport/in-process/client-pool';
import { trainCohort, type CohortTrainingRequest } from '../../../../kernel/transport/in-process/cohort-training';
import { borrowShared } from '../../../../kernel/transport/in-process/shared-buffers';
import { sharedDataOf } from '../../../../kernel/transport/in-process/shared-data';
import type { WorkerTask } from '../../../../workers/task-types';

let clients: FederatedData;
let pool: ClientPool;
const dispatched: WorkerTask['type'][] = [];
const spec = fed.models.mlp({ hidden: [16] });
const config: ClientTrainConfig = { localEpochs: 1, batchSize: 10, clientLr: 0.05, optimizer: 'sgd', proximalMu: 0 };

before(async () => {
  const { train } = await fed.datasets.mnist({ trainLimit: 1200, testLimit: 10, subsetSeed: 1 });
  clients = fed.partition(train, { clients: 12, scheme: 'iid', seed: 1 });
  const real = createClientPool(2);
  pool = {
    workers: real.workers,
    run(task, signal) {
      dispatched.push(task.type);
      return real.run(task, signal);
    },
    close: () => real.close(),
  };
});
after(async () => {
  await pool.close();
  await fed.shutdown();
});

function request(overrides: Partial<CohortTrainingRequest> = {}): CohortTrainingRequest {
  const weights = new Float32Array(784 * 16 + 16 + 16 * 10 + 10).map((_, j) => Math.sin(j) * 0.05);
  return {
    pool,
    backend: 'wasm',
    spec,
    data: sharedDataOf(clients.dataset),
    tasks: clients.clients.slice(0, 9).map((indices, clientId) => ({ clientId, indices, seed: 100 + clientId, config })),
    weights,
    clientDeadlineMs: 0,
    ...overrides,
  };
}

test('two shared tasks give every client the update one task per client gives, bit for bit', async () => {
  dispatched.length = 0;
  const shared = await trainCohort(request());
  assert.deepEqual(dispatched, ['train-cohort', 'train-cohort'], 'one task per worker, not one per client');
  const sharedDeltas = new Map(shared.updates.map((u) => [u.clientId, Buffer.from(u.delta.buffer, u.delta.byteOffset, u.delta.byteLength)]));
  // A deadline makes each client a task of its own.
  dispatched.length = 0;
  const single = await trainCohort(request({ clientDeadlineMs: 600_000 }));
  assert.equal(dispatched.length, 9);
  assert.equal(shared.updates.length, 9);
  assert.equal(shared.failures.length, 0);
  for (const update of single.updates) {
    assert.ok(
      sharedDeltas.get(update.clientId)!.equals(Buffer.from(update.delta.buffer, update.delta.byteOffset, update.delta.byteLength)),
      `client ${update.clientId}`,
    );
  }
  assert.equal(shared.bytesUp, single.bytesUp);
  assert.deepEqual([...shared.paths.keys()], [...single.paths.keys()]);
  shared.release();
});

test('a client that throws or sends NaN fails alone; the others train and the buffer is lent again after release', async () => {
  const outcome = await trainCohort(
    request({
      faults: new Map([
        [2, 'throw'],
        [5, 'nan'],
      ]),
    }),
  );
  assert.deepEqual(
    outcome.failures.map((f) => [f.clientId, f.reason, f.message]),
    [
      [2, 'error', 'client 2 failed: injected failure in client 2'],
      [5, 'invalid', 'client 5 sent an invalid update: update value 0 is NaN (NaN or Inf updates are rejected)'],
    ],
  );
  assert.deepEqual(
    outcome.updates.map((u) => u.clientId),
    [0, 1, 3, 4, 6, 7, 8],
  );
  const buffer = outcome.updates[0].delta.buffer;
  assert.ok(buffer instanceof SharedArrayBuffer);
  outcome.release();
  assert.equal(borrowShared(buffer.byteLength), buffer, 'the next round writes into the same memory');
});

test('a client whose thread dies takes the per-client path and fails alone', async () => {
  dispatched.length = 0;
  const outcome = await trainCohort(request({ faults: new Map([[4, 'exit']]) }));
  assert.equal(dispatched.length, 9);
  assert.deepEqual(
    outcome.failures.map((f) => [f.clientId, f.reason]),
    [[4, 'crash']],
  );
  assert.equal(outcome.updates.length, 8);
});
