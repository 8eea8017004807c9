/** Robust aggregators and how they compose, each with a case computed by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median } from '../../../../kernel/federated/aggregators/median';
import { trimmedMean } from '../../../../kernel/federated/aggregators/trimmed-mean';
import { krum, krumSelect } from '../../../../kernel/federated/aggregators/krum';
import { centeredClipping } from '../../../../kernel/federated/aggregators/centered-clipping';
import { clip } from '../../../../kernel/federated/aggregators/clip';
import { mean, weightedMean } from '../../../../kernel/federated/aggregators/weighted-mean';
import { buildAggregation } from '../../../../kernel/federated/aggregators/stack';
import { dp } from '../../../../kernel/api/privacy';
import { context, input } from './inputs';

test('median of 3 vectors is taken per coordinate', () => {
  // Coordinate 0: {1, 5, 3} → 3; coordinate 1: {−2, 100, 0} → 0.
  const { delta } = median().aggregate([input(0, [1, -2]), input(1, [5, 100]), input(2, [3, 0])], undefined, context(2));
  assert.deepEqual(Array.from(delta), [3, 0]);
});

test('median of an even count is the mean of the two middle values', () => {
  // {1, 2, 4, 100} → (2 + 4) / 2 = 3.
  const { delta } = median().aggregate([input(0, [1]), input(1, [100]), input(2, [2]), input(3, [4])], undefined, context(1));
  assert.deepEqual(Array.from(delta), [3]);
});

test('trimmed mean with β = 0.2 of 5 drops one value at each end', () => {
  // {−50, 1, 2, 3, 90}: drop −50 and 90, mean of {1, 2, 3} = 2.
  const values = [90, 1, -50, 3, 2];
  const { delta, metrics } = trimmedMean({ beta: 0.2 }).aggregate(
    values.map((v, i) => input(i, [v])),
    undefined,
    context(1),
  );
  assert.deepEqual(Array.from(delta), [2]);
  assert.equal(metrics.trimmed, 2);
});

test('trimmed mean rejects β outside [0, 0.5)', () => {
  assert.throws(() => trimmedMean({ beta: 0.5 }), {
    message: 'trimmedMean: beta must be in [0, 0.5) (got 0.5): it is the share of values trimmed at each end',
  });
  assert.throws(() => trimmedMean({ beta: -0.1 }), /got -0\.1/);
});

test('Krum picks the update closest to its neighbours', () => {
  // Four honest points and one outlier; f = 1, so each is scored by its K − f − 2 = 2 nearest (squared distances).
  // [0,0]: 1 + 2 = 3; [1,0]: 1 + 1 = 2; [0,2]: 2 + 4 = 6; [1,1]: 1 + 2 = 3; [10,10]: 145 + 164.
  const vectors = [
    [0, 0],
    [1, 0],
    [0, 2],
    [1, 1],
    [10, 10],
  ].map((v) => Float32Array.from(v));
  assert.deepEqual(krumSelect(vectors, 1, 1), [1]);
  assert.deepEqual(krumSelect(vectors, 1, 2), [1, 0], 'ties go to the lower position');
  const { delta, metrics } = krum({ byzantine: 1, select: 2 }).aggregate(
    vectors.map((v, i) => input(i, Array.from(v))),
    undefined,
    context(2),
  );
  assert.deepEqual(Array.from(delta), [0.5, 0]);
  assert.deepEqual(metrics.krumSelected, [1, 0]);
});

test('Krum refuses a cohort it cannot protect, naming the numbers', () => {
  assert.throws(() => krum({ byzantine: 2 }).checkCohort!(6), { message: 'krum: with byzantine f = 2 it needs more than 2f + 2 = 6 updates per round, got 6' });
  assert.throws(() => krum({ byzantine: 1, select: 5 }).checkCohort!(5), { message: 'krum: select m = 5 must be at most K − f = 5 − 1 = 4' });
  assert.doesNotThrow(() => krum({ byzantine: 2 }).checkCohort!(7));
});

test('centered clipping moves the centre by at most τ per outlier, and keeps it as state', () => {
  // From v = 0 with τ = 1: clip([3, 4]) = [0.6, 0.8], clip([0, 0.5]) = [0, 0.5]; v = mean = [0.3, 0.65].
  const aggregator = centeredClipping({ tau: 1 });
  const first = aggregator.aggregate([input(0, [3, 4]), input(1, [0, 0.5])], aggregator.init(), context(2));
  assert.ok(Math.abs(first.delta[0] - 0.3) < 1e-7 && Math.abs(first.delta[1] - 0.65) < 1e-7, `got ${Array.from(first.delta)}`);
  // Round 2 starts from [0.3, 0.65]: both inputs equal to it leave it unchanged.
  const second = aggregator.aggregate([input(0, [0.3, 0.65]), input(1, [0.3, 0.65])], first.state, context(2));
  assert.deepEqual(Array.from(second.delta), Array.from(first.delta));
});

test('clip wraps a robust aggregator: updates are clipped before the median', () => {
  // [30, 40] clips to [3, 4] at norm 5; median of {3, 0, 1} and {4, 0, 1} = [1, 1].
  const { delta } = clip(5, median()).aggregate([input(0, [30, 40]), input(1, [0, 0]), input(2, [1, 1])], undefined, context(2));
  assert.deepEqual(Array.from(delta), [1, 1]);
});

test('unsound combinations are refused with a reason', () => {
  const secure = { threshold: 3 as const, dropouts: 0, bound: 16 };
  assert.throws(
    () => buildAggregation({ aggregator: median(), secure, weighting: 'examples' }, 'fed.fedAvg'),
    /secure aggregation cannot be combined with median/,
  );
  // A mean is not robust, but it would still see each update in the clear: refused rather than silently replacing the secure sum.
  assert.throws(() => buildAggregation({ aggregator: mean(), secure, weighting: 'examples' }, 'fed.fedAvg'), {
    message:
      'fed.fedAvg: secure aggregation cannot be combined with a custom aggregator (mean>sum): secureAggregation brings its own mean over the secure sum, ' +
      'and mean>sum would run on each update in the clear instead, so nothing would be summed securely. ' +
      "Leave out aggregator (the strategy's mean runs over the secure sum; weighting: 'uniform' gives the unweighted mean), or drop secureAggregation.",
  });
  assert.throws(
    () => buildAggregation({ aggregator: clip(1, weightedMean()), secure, weighting: 'uniform' }),
    /cannot be combined with a custom aggregator \(clip\(1\)>weightedMean>sum\)/,
  );
  assert.throws(
    () => buildAggregation({ aggregator: krum({ byzantine: 1 }), privacy: dp.gaussian({ clip: 1, noiseMultiplier: 1, delta: 1e-5 }), weighting: 'examples' }),
    /differential privacy calibrates its noise/,
  );
});
