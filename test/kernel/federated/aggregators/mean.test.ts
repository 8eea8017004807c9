/** FedAvg's weighted mean and the update checks, with numbers to check by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanWeights, weightedMean } from '../../../../kernel/federated/aggregators/weighted-mean';
import { sum } from '../../../../kernel/federated/aggregators/sum';
import { findInvalidUpdate } from '../../../../kernel/federated/update-checks';
import { context, input } from './inputs';

test('example-weighted mean: α_i = n_i / Σ n_j', () => {
  // Clients with 1 and 5 examples: α = 1/6 and 5/6; Δ = (1/6)·[6, 0] + (5/6)·[0, 12] = [1, 10].
  const { delta } = weightedMean('examples').aggregate([input(0, [6, 0], 1), input(1, [0, 12], 5)], undefined, context(2));
  assert.deepEqual(Array.from(delta), [1, 10]);
});

test('a weighted mean that must equal 10/6', () => {
  // (1·0 + 5·2) / 6 = 10/6.
  const { delta } = weightedMean('examples').aggregate([input(0, [0, 0], 1), input(1, [2, 2], 5)], undefined, context(2));
  assert.ok(Math.abs(delta[0] - 10 / 6) < 1e-6);
});

test('uniform mean ignores example counts', () => {
  const { delta } = weightedMean('uniform').aggregate([input(0, [6, 0], 1), input(1, [0, 12], 5)], undefined, context(2));
  assert.deepEqual(Array.from(delta), [3, 6]);
});

test('weights, lengths and empty cohorts', () => {
  assert.deepEqual(meanWeights([{ numExamples: 3 }, { numExamples: 1 }], 'examples'), [0.75, 0.25]);
  assert.throws(() => meanWeights([{ numExamples: 0 }], 'examples'), /report 0 examples in all/);
  assert.throws(() => weightedMean().aggregate([input(3, [1, 2, 3])], undefined, context(2)), { message: 'client 3 sent an update of length 3, expected 2' });
  assert.deepEqual(Array.from(weightedMean().aggregate([], undefined, context(2)).delta), [0, 0]);
});

test('NaN, Inf and wrong-length updates are found', () => {
  assert.equal(findInvalidUpdate(Float32Array.from([1, 2]), 2), undefined);
  assert.match(findInvalidUpdate(Float32Array.from([1, NaN]), 2)!, /update value 1 is NaN/);
  assert.match(findInvalidUpdate(Float32Array.from([Infinity, 0]), 2)!, /update value 0 is Infinity/);
  assert.match(findInvalidUpdate(Float32Array.from([1]), 2)!, /update has 1 values, the model has 2/);
});

test('the fused weighted mean (no scaled copy per update) is bit for bit the mean through a plain sum', () => {
  let seed = 7;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const dimension = 257;
  const inputs = [13, 60, 1, 600, 59].map((n, i) =>
    input(
      i,
      Array.from({ length: dimension }, () => random() * 10 ** (i - 2)),
      n,
    ),
  );
  const unfused = { ...sum(), sumScaled: undefined };
  for (const weighting of ['examples', 'uniform'] as const) {
    const fused = weightedMean(weighting).aggregate(inputs, undefined, context(dimension)).delta;
    const reference = weightedMean(weighting, unfused).aggregate(inputs, undefined, context(dimension)).delta;
    // The second weighting reuses the first one's accumulator: nothing of it may remain.
    assert.deepEqual(Buffer.from(fused.buffer), Buffer.from(reference.buffer));
  }
});

test('a NaN or Inf anywhere is found, whichever group of four it falls in, and huge finite values are not one', () => {
  for (const length of [1, 3, 4, 5, 8, 9]) {
    for (let at = 0; at < length; at++) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const delta = new Float32Array(length).fill(3.4e38);
        delta[at] = bad;
        assert.equal(findInvalidUpdate(delta, length), `update value ${at} is ${bad} (NaN or Inf updates are rejected)`);
      }
    }
    assert.equal(findInvalidUpdate(new Float32Array(length).fill(3.4e38), length), undefined);
  }
});
