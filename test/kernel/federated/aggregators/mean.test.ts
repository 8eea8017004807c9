/** FedAvg's weighted mean and the update checks, with numbers to check by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanWeights, weightedMean } from '../../../../kernel/federated/aggregators/weighted-mean';
import { sum } from '../../../../kernel/federated/aggregators/sum';
import { createRng } from '../../../../kernel/federated/random';
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
  // Full-precision values: with few significant bits every sum would be exact and any order would pass.
  const rng = createRng(7);
  const random = (): number => rng.next() * 2 - 1;
  const dimension = 257;
  const unfused = { ...sum(), sumScaled: undefined };
  // 1 to 9 updates: every count of updates left after the groups of four (0 to 3).
  for (let count = 1; count <= 9; count++) {
    // Values of one magnitude, so that adding them in another order changes the float64 sums often.
    const inputs = Array.from({ length: count }, (_, i) =>
      input(
        i,
        Array.from({ length: dimension }, () => random()),
        [13, 60, 1, 600, 59][i % 5],
      ),
    );
    for (const weighting of ['examples', 'uniform'] as const) {
      const fused = weightedMean(weighting).aggregate(inputs, undefined, context(dimension)).delta;
      const reference = weightedMean(weighting, unfused).aggregate(inputs, undefined, context(dimension)).delta;
      // Each case reuses the previous one's accumulator: nothing of it may remain.
      assert.deepEqual(Buffer.from(fused.buffer), Buffer.from(reference.buffer), `${count} updates, ${weighting}`);
    }
    const scales = inputs.map((_, i) => [13, 60, 1, 600, 59][i % 5] / 733);
    const total = new Float64Array(dimension);
    sum().sumScaled!(inputs, scales, total);
    const prescaled = inputs.map((x, i) => ({ ...x, vector: Float64Array.from(x.vector, (v) => scales[i] * v) }));
    assert.deepEqual(total, sum().aggregate(prescaled, undefined, context(dimension)).sum, `${count} updates, float64 total`);
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
