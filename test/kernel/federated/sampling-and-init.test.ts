import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../../kernel/federated/random';
import { samplePoissonCohort, sampleFixedCohort } from '../../../kernel/federated/sampling';
import { fans, initialWeights } from '../../../kernel/federated/initial-weights';

test('fixed cohorts: K distinct sorted ids, same seed same cohort', () => {
  const a = sampleFixedCohort(100, 10, createRng(3));
  assert.equal(new Set(a).size, 10);
  assert.deepEqual(
    a,
    [...a].sort((x, y) => x - y),
  );
  assert.deepEqual(a, sampleFixedCohort(100, 10, createRng(3)));
  assert.notDeepEqual(a, sampleFixedCohort(100, 10, createRng(4)));
  assert.throws(() => sampleFixedCohort(5, 6, createRng(1)), /cannot sample 6 clients out of 5/);
});

test('Poisson cohorts have mean size q·N', () => {
  const rng = createRng(9);
  let total = 0;
  for (let r = 0; r < 400; r++) total += samplePoissonCohort(100, 0.1, rng).length;
  assert.ok(Math.abs(total / 400 - 10) < 0.6, `mean cohort ${total / 400}`);
  assert.throws(() => samplePoissonCohort(10, 0, rng), /sampling probability must be in \(0, 1\]/);
});

test('Glorot fans follow Keras for dense and conv kernels', () => {
  assert.deepEqual(fans([784, 200]), { fanIn: 784, fanOut: 200 });
  assert.deepEqual(fans([5, 5, 1, 32]), { fanIn: 25, fanOut: 800 });
});

test('initial weights: seeded Glorot kernels within limit, zero biases, ones for gamma', () => {
  const layout = [
    { name: 'dense/kernel', shape: [4, 2] },
    { name: 'dense/bias', shape: [2] },
    { name: 'bn/gamma', shape: [2] },
  ];
  const flat = initialWeights(layout, createRng(1));
  const limit = Math.sqrt(6 / 6);
  assert.equal(flat.length, 12);
  assert.ok(Array.from(flat.subarray(0, 8)).every((w) => Math.abs(w) <= limit && w !== 0));
  assert.deepEqual(Array.from(flat.subarray(8, 10)), [0, 0]);
  assert.deepEqual(Array.from(flat.subarray(10, 12)), [1, 1]);
  assert.deepEqual(flat, initialWeights(layout, createRng(1)));
});
