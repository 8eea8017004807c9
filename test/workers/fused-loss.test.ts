/**
 * The fused softmax cross-entropy on WASM against tfjs's own loss on the cpu
 * backend: the loss, its gradient through customGrad, and the hit count; and
 * no fused loss on backends without the kernel.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../kernel/federated/random';
import { loadBackend } from '../../workers/backend';
import { fusedSoftmaxCrossEntropy } from '../../workers/fused-loss';

const rng = createRng(3);
const batch = 7,
  classes = 5;
const logitValues = Float32Array.from({ length: batch * classes }, () => rng.next() * 8 - 4);
// Labels include -1 and 5 (outside 0..4: a row of zeros in tf.oneHot), and row 0 is made a sure hit.
const labelValues = Int32Array.from([0, 3, 1, -1, 4, 5, 2]);
logitValues[0] = 10;

function reference(): { loss: number; grad: Float32Array; hits: number } {
  const logits = tf.tensor2d(logitValues, [batch, classes]);
  const labels = tf.tensor1d(labelValues, 'int32');
  const f = (x: tf.Tensor) => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, classes), x as tf.Tensor2D) as tf.Scalar;
  const { value, grad } = tf.valueAndGrad(f)(logits);
  const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32'));
  return { loss: value.dataSync()[0], grad: grad.dataSync() as Float32Array, hits: hits.dataSync()[0] };
}

describe('fusedSoftmaxCrossEntropy', () => {
  it('on WASM: the same loss, gradient and hit count as tfjs builds from its own ops', async () => {
    await loadBackend('cpu');
    const expected = reference();
    assert.equal(fusedSoftmaxCrossEntropy(tf, tf.tensor2d(logitValues, [batch, classes]), tf.tensor1d(labelValues, 'int32')), undefined, 'none on cpu');
    await loadBackend('wasm');
    const logits = tf.tensor2d(logitValues, [batch, classes]);
    const labels = tf.tensor1d(labelValues, 'int32');
    let hits: tf.Scalar | undefined;
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => {
      const fused = fusedSoftmaxCrossEntropy(tf, x as tf.Tensor2D, labels)!;
      hits = fused.hits;
      return fused.loss;
    })(logits);
    assert.ok(Math.abs(value.dataSync()[0] - expected.loss) < 1e-5 * Math.abs(expected.loss), `loss ${value.dataSync()[0]} vs ${expected.loss}`);
    const got = grad.dataSync();
    got.forEach((g, i) => assert.ok(Math.abs(g - expected.grad[i]) < 1e-6, `gradient[${i}] ${g} vs ${expected.grad[i]}`));
    assert.equal(hits!.dataSync()[0], expected.hits);
    assert.ok(expected.hits >= 1);
    tf.dispose([logits, labels, value, grad, hits!]);
  });

  it('says what it needs when given the wrong shapes', async () => {
    await loadBackend('wasm');
    assert.throws(() => fusedSoftmaxCrossEntropy(tf, tf.zeros([2, 3]) as tf.Tensor2D, tf.tensor1d([1, 2, 0], 'int32')), {
      message: 'FedbookSoftmaxCrossEntropy needs float32 logits [batch, classes] and int32 labels [batch], got float32 [2,3] and int32 [3]',
    });
  });
});
