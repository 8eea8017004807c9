import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregationWeights, applyDelta, createMeanAggregator, findInvalidUpdate, weightedSum } from '../../kernel/federated/aggregation';
import { createRng } from '../../kernel/federated/random';
import type { ClientUpdate } from '../../kernel/federated/types';

const update = (clientId: number, delta: number[], numExamples: number): ClientUpdate =>
  ({ clientId, delta: Float32Array.from(delta), numExamples, trainLoss: 0, trainAccuracy: 0 });
const context = { round: 1, dimension: 2, expectedCohort: 2, rng: createRng(1) };

test('example-weighted mean: α_i = n_i / Σ n_j', () => {
  // Clients with 1 and 5 examples: α = 1/6 and 5/6; Δ = (1/6)·[6, 0] + (5/6)·[0, 12] = [1, 10].
  const result = createMeanAggregator('examples').aggregate([update(0, [6, 0], 1), update(1, [0, 12], 5)], context);
  assert.deepEqual(Array.from(result.delta), [1, 10]);
});

test('a weighted mean that must equal 10/6', () => {
  // (1·0 + 5·2) / 6 = 10/6.
  const result = createMeanAggregator('examples').aggregate([update(0, [0, 0], 1), update(1, [2, 2], 5)], context);
  assert.ok(Math.abs(result.delta[0] - 10 / 6) < 1e-6);
});

test('uniform mean ignores example counts', () => {
  const result = createMeanAggregator('uniform').aggregate([update(0, [6, 0], 1), update(1, [0, 12], 5)], context);
  assert.deepEqual(Array.from(result.delta), [3, 6]);
});

test('w ← w + Σ α_i Δw_i', () => {
  const alphas = aggregationWeights([{ numExamples: 3 }, { numExamples: 1 }], 'examples');
  assert.deepEqual(Array.from(alphas), [0.75, 0.25]);
  const delta = weightedSum([Float32Array.from([4, -4]), Float32Array.from([8, 4])], alphas);
  assert.deepEqual(Array.from(applyDelta(Float32Array.from([1, 1]), delta)), [6, -1]);
});

test('mismatched lengths and empty cohorts give exact errors', () => {
  assert.throws(() => weightedSum([new Float32Array(2), new Float32Array(3)], [0.5, 0.5]), /update 1 has 3 values, expected 2/);
  assert.throws(() => weightedSum([], []), /cannot aggregate zero updates/);
  assert.throws(() => aggregationWeights([{ numExamples: 0 }], 'examples'), /0 examples in total/);
});

test('NaN, Inf and wrong-length updates are found', () => {
  assert.equal(findInvalidUpdate(Float32Array.from([1, 2]), 2), undefined);
  assert.match(findInvalidUpdate(Float32Array.from([1, NaN]), 2)!, /update value 1 is NaN/);
  assert.match(findInvalidUpdate(Float32Array.from([Infinity, 0]), 2)!, /update value 0 is Infinity/);
  assert.match(findInvalidUpdate(Float32Array.from([1]), 2)!, /update has 1 values, the model has 2/);
});
