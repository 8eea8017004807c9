import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '../../../kernel/data/mnist';
import { loadBackend } from '../../../workers/backend';
import { relativeError } from './compare';

const BATCH = 32;

/** conv 5×5×8 'same' relu → 2×2 maxpool → conv 3×3×8 stride 2 'valid' relu → dense 10 (logits). */
function buildCnn(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 8,
        kernelSize: 5,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({
        filters: 8,
        kernelSize: 3,
        strides: 2,
        padding: 'valid',
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
      }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
}

/** The first BATCH real MNIST training digits, as (images, one-hot labels). */
async function mnistBatch(): Promise<{ images: Float32Array; labels: Int32Array }> {
  const { train } = await loadMnist();
  return { images: train.x.slice(0, BATCH * 784), labels: train.y.slice(0, BATCH) };
}

function lossOf(model: tf.Sequential | tf.LayersModel, x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor).mean() as tf.Scalar;
}

/** Gradients of the loss on one batch, by variable order, on the active backend. */
function gradients(model: tf.Sequential | tf.LayersModel, images: Float32Array, labels: Int32Array): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(images, [BATCH, 28, 28, 1]);
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => lossOf(model, x, y), variables);
    return variables.map((v) => grads[v.name].dataSync() as Float32Array);
  });
}

describe('a CNN on WASM with fedbook kernels (real MNIST digits)', () => {
  it('gets the same gradients as the cpu backend', async () => {
    const { images, labels } = await mnistBatch();
    await loadBackend('cpu');
    const cpuModel = buildCnn();
    const weights = cpuModel.getWeights().map((w) => w.dataSync().slice());
    const onCpu = gradients(cpuModel, images, labels);
    await loadBackend('wasm');
    const wasmModel = buildCnn();
    wasmModel.setWeights(weights.map((values, i) => tf.tensor(values, cpuModel.getWeights()[i].shape)));
    const onWasm = gradients(wasmModel, images, labels);
    assert.equal(onWasm.length, 6);
    onWasm.forEach((grad, i) => {
      const error = relativeError(grad, onCpu[i]);
      assert.ok(error < 1e-4, `gradient of ${wasmModel.trainableWeights[i].name}: relative error ${error}`);
    });
    cpuModel.dispose();
    wasmModel.dispose();
  });

  it('a separable-convolution model (depthwise gradients) also matches cpu', async () => {
    const { images, labels } = await mnistBatch();
    const build = () =>
      tf.sequential({
        layers: [
          tf.layers.separableConv2d({
            inputShape: [28, 28, 1],
            filters: 6,
            kernelSize: 3,
            strides: 2,
            depthMultiplier: 2,
            padding: 'same',
            activation: 'relu',
            depthwiseInitializer: tf.initializers.glorotUniform({ seed: 7 }),
            pointwiseInitializer: tf.initializers.glorotUniform({ seed: 8 }),
          }),
          tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'valid', depthwiseInitializer: tf.initializers.glorotUniform({ seed: 9 }) }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: 10 }) }),
        ],
      });
    await loadBackend('cpu');
    const onCpu = gradients(build(), images, labels);
    await loadBackend('wasm');
    const onWasm = gradients(build(), images, labels);
    assert.equal(onWasm.length, onCpu.length);
    onWasm.forEach((grad, i) => {
      const error = relativeError(grad, onCpu[i]);
      assert.ok(error < 1e-4, `gradient ${i}: relative error ${error}`);
    });
  });

  it('trains: the loss falls over 8 SGD steps and no tensor or WASM buffer leaks', async () => {
    const { tf: tfw } = await loadBackend('wasm');
    const { images, labels } = await mnistBatch();
    const model = buildCnn();
    const optimizer = tfw.train.sgd(0.3);
    const x = tfw.tensor4d(images, [BATCH, 28, 28, 1]);
    const y = tfw.oneHot(tfw.tensor1d(labels, 'int32'), 10);
    const backend = tfw.backend() as tf.KernelBackend & { numDataIds(): number };
    const losses: number[] = [];
    const tensorCounts: number[] = [];
    const bufferCounts: number[] = [];
    for (let step = 0; step < 8; step++) {
      const loss = tfw.tidy(() => optimizer.minimize(() => lossOf(model, x, y), true) as tf.Scalar);
      losses.push(loss.dataSync()[0]);
      loss.dispose();
      tensorCounts.push(tfw.memory().numTensors);
      bufferCounts.push(backend.numDataIds());
    }
    // SGD on one fixed batch: the loss must fall at every step, well below ln(10) ≈ 2.3.
    assert.ok(losses[0] > 2 && losses[0] < 2.6, `first loss ${losses[0]}`);
    assert.ok(losses.every((l, i) => i === 0 || l < losses[i - 1]) && losses[7] < losses[0] * 0.8, `losses ${losses.map((l) => l.toFixed(3)).join(' ')}`);
    // After the first step (which creates nothing new: SGD keeps no slots) the counts are flat.
    assert.deepEqual(new Set(tensorCounts.slice(1)).size, 1, `tensors per step ${tensorCounts}`);
    assert.deepEqual(new Set(bufferCounts.slice(1)).size, 1, `WASM buffers per step ${bufferCounts}`);
    x.dispose();
    y.dispose();
    model.dispose();
    optimizer.dispose();
  });
});
