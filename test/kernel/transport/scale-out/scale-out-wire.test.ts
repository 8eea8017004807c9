import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeScaleOutServerMessage, decodeWorkerMessage, encodeScaleOut, type SimTrain } from '../../../../kernel/transport/scale-out/scale-out-wire';
import { fed } from '../../../../kernel/api/index';

test("a sim-train message carries the client's indices as an Int32Array frame and the dataset as a reference", () => {
  const message: SimTrain = {
    type: 'sim-train',
    task: 't1',
    clientId: 3,
    backend: 'wasm',
    spec: fed.models.logistic({ inputShape: [2], numClasses: 2 }),
    weightsId: 'w7',
    seed: 9,
    config: { localEpochs: 1, batchSize: Infinity, clientLr: 0.1, optimizer: 'sgd', proximalMu: 0 },
    deadlineMs: 0,
    dataset: { hash: 'ab'.repeat(32), origin: { loader: 'synthetic', options: { alpha: 0, beta: 0 }, split: 'train' } },
    indices: new Int32Array([4, 8, 15]),
  };
  const frames = encodeScaleOut(message, 2);
  assert.equal(frames.length, 2);
  const back = decodeScaleOutServerMessage(frames) as unknown as SimTrain & { round: number };
  assert.equal(back.round, 2);
  assert.deepEqual([...back.indices], [4, 8, 15]);
  assert.ok(back.indices instanceof Int32Array);
  assert.equal(back.config.batchSize, Infinity);
  assert.deepEqual(back.dataset, message.dataset);
});

test('indices sent as a Float32Array, or a message type of the federation, are rejected with what was wrong', () => {
  const frames = encodeScaleOut(
    { type: 'dataset', hash: 'h', name: 'n', exampleShape: [1], numClasses: 2, x: new Float32Array(1), y: new Float32Array(1) as never },
    0,
  );
  assert.throws(() => decodeScaleOutServerMessage(frames), /'dataset' message: field 'y' must be an Int32Array frame \(got Float32Array\)/);
  const hello = encodeScaleOut({ type: 'hello' } as never, 0);
  assert.throws(() => decodeWorkerMessage(hello), /unknown message type "hello"/);
});
