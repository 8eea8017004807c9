/**
 * Model export through the real path: a few federated rounds on real MNIST in
 * real worker threads (WASM), `fed.models.save` to disk, then the files read
 * back two ways (`fed.models.load`, and `tf.loadLayersModel(tf.io.fromMemory(...))`
 * as a user without Fedbook would) must classify the test set exactly as
 * `algo.evaluate` does. The main thread runs the same WASM backend as the
 * workers, so the logits, and so every argmax, are the same.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fed } from '../../../kernel/api/index';
import { loadBackend } from '../../../workers/backend/index';
import type { Dataset } from '../../../kernel/data/dataset';
import type { FederatedData } from '../../../kernel/federated/partition/federated-data';
import type { FederatedAlgorithm, ServerState } from '../../../kernel/api/algorithms';

let train: Dataset, testSet: Dataset, clients: FederatedData, scratch: string;

before(async () => {
  process.env.FEDBOOK_RUNS_DIR = mkdtempSync(join(tmpdir(), 'fedbook-runs-'));
  scratch = mkdtempSync(join(tmpdir(), 'fedbook-export-'));
  await loadBackend('wasm');
  ({ train, test: testSet } = await fed.datasets.mnist({ trainLimit: 1200, testLimit: 500, subsetSeed: 3 }));
  clients = fed.partition(train, { clients: 6, scheme: 'iid', seed: 3 });
});
after(() => fed.shutdown());

/** Accuracy of a model's argmax over the whole test set. */
function accuracyOf(model: tf.LayersModel, data: Dataset): number {
  return tf.tidy(() => {
    const xs = tf.tensor(data.x.slice(), [data.length, ...data.exampleShape]);
    const predicted = (model.predict(xs) as tf.Tensor2D).argMax(1).dataSync();
    let correct = 0;
    for (let i = 0; i < data.length; i++) if (predicted[i] === data.y[i]) correct++;
    return correct / data.length;
  });
}

async function trained(model: ReturnType<typeof fed.models.mlp>, rounds: number): Promise<{ algo: FederatedAlgorithm; state: ServerState }> {
  const algo = fed.fedAvg({ model, clientsPerRound: 3, localEpochs: 1, batchSize: 20, clientLr: 0.1, seed: 5, workers: 2, backend: 'wasm' });
  let state = await algo.initialize();
  for (let round = 0; round < rounds; round++) ({ state } = await algo.next(state, clients));
  return { algo, state };
}

/** Saves, reloads both ways, and compares each model's accuracy with evaluate's. */
async function roundTrip(name: string, algo: FederatedAlgorithm, state: ServerState): Promise<number> {
  const dir = join(scratch, name);
  const saved = await fed.models.save(algo, state, dir);
  assert.deepEqual(readdirSync(dir).sort(), ['model.json', 'weights.bin'], 'only the two files, no temporary left behind');
  assert.equal(statSync(saved.files[1]).size, state.weights.length * 4, 'weights.bin holds every weight as float32');
  assert.deepEqual(new Float32Array(readFileSync(saved.files[1]).buffer.slice(0)), state.weights, 'weights.bin is the state vector, byte for byte');

  const { accuracy } = await algo.evaluate(state, testSet);
  const viaFed = await fed.models.load(dir);
  const json = JSON.parse(readFileSync(saved.files[0], 'utf8'));
  const bytes = readFileSync(saved.files[1]);
  const viaTf = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
    }),
  );
  const inCell = await algo.model(state);
  for (const [how, model] of [
    ['fed.models.load', viaFed],
    ['tf.io.fromMemory', viaTf],
    ['algo.model', inCell],
  ] as const) {
    assert.equal(accuracyOf(model, testSet), accuracy, `${name} through ${how}: accuracy equals algo.evaluate's ${accuracy}`);
    model.dispose();
  }
  return accuracy;
}

describe('fed.models.save / load / algo.model', { timeout: 600_000 }, () => {
  test('an MLP trained 3 rounds reloads with the accuracy evaluate gives', async () => {
    const { algo, state } = await trained(fed.models.mlp({ hidden: [32] }), 3);
    const accuracy = await roundTrip('mlp', algo, state);
    assert.ok(accuracy > 0.5, `3 rounds of FedAvg learn something (accuracy ${accuracy})`);
    // 784·32 + 32 + 32·10 + 10 weights.
    assert.equal(state.weights.length, 25_450);
  });

  test('the FedAvg CNN reloads with the accuracy evaluate gives', async () => {
    const { algo, state } = await trained(fed.models.cnn(), 1);
    await roundTrip('cnn', algo, state);
  });

  test('a custom functional model reloads with the accuracy evaluate gives', async () => {
    const model = fed.models.custom(() => {
      const input = tf.input({ shape: [28, 28, 1] });
      const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
      const hidden = tf.layers.dense({ units: 16, activation: 'tanh' }).apply(flat) as tf.SymbolicTensor;
      const output = tf.layers.dense({ units: 10, activation: 'softmax' }).apply(hidden) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: output });
    });
    const { algo, state } = await trained(model, 2);
    await roundTrip('custom', algo, state);
  });

  test('a saved model overwrites an earlier one in place', async () => {
    const { algo, state } = await trained(fed.models.logistic(), 0);
    const dir = join(scratch, 'again');
    await fed.models.save(algo, state, dir);
    const moved = { ...state, weights: state.weights.map((w) => w + 1) };
    await fed.models.save(algo, moved, dir);
    // A Buffer may be a view into a larger ArrayBuffer (Node 24's readFileSync): copy its own bytes first.
    assert.deepEqual(new Float32Array(Uint8Array.from(readFileSync(join(dir, 'weights.bin'))).buffer), moved.weights);
    assert.deepEqual(readdirSync(dir).sort(), ['model.json', 'weights.bin']);
  });
});

describe('fed.models.save / load: bad input', { timeout: 120_000 }, () => {
  let algo: FederatedAlgorithm;
  let state: ServerState;
  before(async () => {
    algo = fed.fedAvg({ model: fed.models.logistic(), clientsPerRound: 2, workers: 1, backend: 'wasm' });
    state = await algo.initialize();
  });

  test('a folder that does not exist', async () => {
    const missing = join(scratch, 'nowhere');
    await assert.rejects(fed.models.load(missing), { message: `fed.models.load: the folder '${missing}' does not exist` });
  });

  test('a folder without model.json', async () => {
    const empty = join(scratch, 'empty');
    mkdirSync(empty);
    await assert.rejects(fed.models.load(empty), {
      message: `fed.models.load: '${empty}' has no model.json: save one there with fed.models.save(algo, state, dir)`,
    });
  });

  test('a corrupt model.json', async () => {
    const dir = join(scratch, 'corrupt');
    await fed.models.save(algo, state, dir);
    const path = join(dir, 'model.json');
    writeFileSync(path, readFileSync(path, 'utf8').slice(0, 100));
    await assert.rejects(
      fed.models.load(dir),
      (error: Error) =>
        error.message.startsWith(`fed.models.load: '${path}' is not valid JSON (`) &&
        error.message.endsWith('; the file is corrupt or not a TensorFlow.js model'),
    );
  });

  test('a truncated weights.bin', async () => {
    const dir = join(scratch, 'truncated');
    await fed.models.save(algo, state, dir);
    const path = join(dir, 'weights.bin');
    writeFileSync(path, readFileSync(path).subarray(0, 1000));
    // Logistic regression on MNIST: (784·10 + 10) float32 = 31,400 bytes.
    await assert.rejects(fed.models.load(dir), {
      message: 'fed.models.load: the weights files hold 1000 bytes, but model.json describes 31400: the files are truncated or do not belong together',
    });
  });

  test('a state whose weights do not fit the model', async () => {
    const other = fed.fedAvg({ model: fed.models.mlp({ hidden: [8] }), clientsPerRound: 2, workers: 1, backend: 'wasm' });
    const message =
      "the state's weights have 7850 values, but the model (mlp 784-8-10) has 6370: pass a state from this algorithm's initialize(), next() or run()";
    await assert.rejects(fed.models.save(other, state, join(scratch, 'misfit')), { message: `fed.models.save: ${message}` });
    await assert.rejects(other.model(state), { message: `algo.model: ${message}` });
    assert.throws(() => statSync(join(scratch, 'misfit')), /ENOENT/, 'nothing is written');
  });

  test('not an algorithm, not a state, no folder', async () => {
    await assert.rejects(fed.models.save({} as FederatedAlgorithm, state, 'x'), {
      message: 'fed.models.save: the first argument must be an algorithm from fed.fedAvg(...) and its family (it has no model spec)',
    });
    await assert.rejects(fed.models.save(algo, {} as ServerState, 'x'), {
      message: 'fed.models.save: the state must be a server state from algo.initialize(), algo.next() or algo.run() (it has no Float32Array weights)',
    });
    await assert.rejects(fed.models.save(algo, state, ''), { message: "fed.models.save: the third argument must be a folder path, e.g. 'models/mnist'" });
  });

  test('a folder that cannot be written: a clear error, nothing written', async () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, 'not a folder');
    await assert.rejects(fed.models.save(algo, state, join(file, 'model')), (error: Error) =>
      error.message.startsWith(`fed.models.save: cannot write the model to '${join(file, 'model')}': ENOTDIR`),
    );
    assert.equal(readFileSync(file, 'utf8'), 'not a folder');
  });
});
