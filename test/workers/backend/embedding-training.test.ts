import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadBackend } from '../../../workers/backend';
import { relativeError } from './compare';

/** Embedding 30×8 → flatten → dense 5: the shape of a next-character model's input side. */
function buildModel(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.embedding({
        inputDim: 30,
        outputDim: 8,
        inputLength: 6,
        embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 4 }),
      }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }),
    ],
  });
}

// 12 sequences of 6 token ids; ids repeat, so gather's gradient must add rows up.
const tokens = Int32Array.from({ length: 72 }, (_, i) => (i * 7) % 20); // ids 20..29 unused
const labels = Int32Array.from({ length: 12 }, (_, i) => i % 5);

function gradients(model: tf.Sequential): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor2d(tokens, [12, 6], 'int32');
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 5);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar, variables);
    return variables.map((v) => grads[v.name].dataSync() as Float32Array);
  });
}

describe('an Embedding model on WASM (gather’s gradient is UnsortedSegmentSum)', () => {
  it('gets the same gradients as the cpu backend', async () => {
    await loadBackend('cpu');
    const onCpu = gradients(buildModel());
    await loadBackend('wasm');
    const onWasm = gradients(buildModel());
    assert.equal(onWasm.length, 3);
    onWasm.forEach((grad, i) => {
      assert.ok(relativeError(grad, onCpu[i]) < 1e-4, `gradient ${i}: relative error ${relativeError(grad, onCpu[i])}`);
    });
    // Rows of tokens never used get no gradient; used rows do.
    const embeddingGrad = onWasm[0];
    const used = new Set(tokens);
    for (let token = 0; token < 30; token++) {
      const norm = Math.hypot(...embeddingGrad.subarray(token * 8, token * 8 + 8));
      assert.equal(norm > 0, used.has(token), `token ${token}`);
    }
  });
});
