/**
 * SGD in place on the WASM heap through BLAS's saxpy: tfjs's SGD optimizer's
 * numbers (to the last bit, which a fused multiply-add may round otherwise),
 * and no change at all where it must not write (another backend, a buffer
 * shared with another tensor).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../kernel/federated/random';
import { loadBackend } from '../../workers/backend';
import { loadNativeLibs } from '../../workers/backend/native-libs/index';
import { sgdInPlace } from '../../workers/sgd-in-place';

const saxpy = loadNativeLibs().blas?.saxpy;

function values(seed: number, n: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

/** A variable that holds its buffer alone (as the model's do after setFlatWeights): the initial tensor is freed. */
function variable(seed: number, shape: number[]): tf.Variable {
  const initial = tf.tensor(
    values(
      seed,
      shape.reduce((a, b) => a * b, 1),
    ),
    shape,
  );
  const v = tf.variable(initial);
  initial.dispose();
  return v;
}

describe('sgdInPlace', { skip: !saxpy && 'no BLAS here' }, () => {
  it("matches tf.train.sgd on WASM and writes into the variables' own buffers", async () => {
    await loadBackend('wasm');
    const shapes = [[7, 5], [5], [3, 2, 4]];
    const byOptimizer = shapes.map((s, i) => variable(i, s));
    const inPlace = shapes.map((s, i) => variable(i, s));
    const gradients = shapes.map((s, i) =>
      tf.tensor(
        values(
          10 + i,
          s.reduce((a, b) => a * b, 1),
        ),
        s,
      ),
    );
    const lr = 0.1;
    const optimizer = tf.train.sgd(lr);
    optimizer.applyGradients(Object.fromEntries(byOptimizer.map((v, i) => [v.name, gradients[i]])));
    const dataIds = inPlace.map((v) => v.dataId);
    assert.equal(sgdInPlace(tf, saxpy!, inPlace, Object.fromEntries(inPlace.map((v, i) => [v.name, gradients[i]])), lr), true);
    inPlace.forEach((v, i) => {
      assert.equal(v.dataId, dataIds[i], 'the same buffer');
      const [got, expected] = [v.dataSync(), byOptimizer[i].dataSync()];
      got.forEach((value, j) =>
        assert.ok(Math.abs(value - expected[j]) <= 1e-7 * Math.max(1, Math.abs(expected[j])), `variable ${i}[${j}]: ${value} vs ${expected[j]}`),
      );
    });
    // By hand, exact in float32: w = 1, g = 2, lr = 0.25 → 1 − 0.5 = 0.5.
    const one = tf.tensor([1]);
    const w = tf.variable(one);
    one.dispose();
    assert.equal(sgdInPlace(tf, saxpy!, [w], { [w.name]: tf.tensor([2]) }, 0.25), true);
    assert.equal(w.dataSync()[0], 0.5);
    tf.dispose([...byOptimizer, ...inPlace, ...gradients, w]);
    optimizer.dispose();
  });

  it('refuses, changing nothing, when a buffer is shared or the backend is not WASM', async () => {
    await loadBackend('wasm');
    const a = variable(1, [2]);
    const b = variable(2, [2]);
    const [aBefore, bBefore] = [Array.from(a.dataSync()), Array.from(b.dataSync())];
    const alias = tf.clone(b); // shares b's buffer on WASM
    const grads = { [a.name]: tf.tensor([1, 1]), [b.name]: tf.tensor([1, 1]) };
    assert.equal(sgdInPlace(tf, saxpy!, [a, b], grads, 0.5), false);
    assert.deepEqual(Array.from(a.dataSync()), aBefore, 'not even the first variable');
    assert.deepEqual(Array.from(alias.dataSync()), bBefore);
    tf.dispose([a, b, alias, ...Object.values(grads)]);
    await loadBackend('cpu');
    const c = variable(3, [1]);
    const cBefore = c.dataSync()[0];
    assert.equal(sgdInPlace(tf, saxpy!, [c], { [c.name]: tf.tensor([1]) }, 0.5), false);
    assert.equal(c.dataSync()[0], cBefore);
  });
});
