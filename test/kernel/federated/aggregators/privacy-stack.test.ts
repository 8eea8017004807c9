import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../../../kernel/federated/random';
import type { ClientUpdate } from '../../../../kernel/federated/types';
import type { AggregationContext } from '../../../../kernel/federated/aggregators/aggregator';
import { buildAggregation } from '../../../../kernel/federated/aggregators/stack';
import { scaleToPoissonCohort } from '../../../../kernel/federated/aggregators/secure-stack';
import { privacyAfter } from '../../../../kernel/federated/privacy/privacy-after';
import { dp } from '../../../../kernel/api/privacy';
import { resolveSecureAggregation, type SecureAggregationOption } from '../../../../kernel/federated/privacy/secure-aggregation-option';
import type { PrivacySpec } from '../../../../kernel/federated/privacy/privacy-spec';

/** The stack DP and secure aggregation build, with its state threaded from call to call as rounds would. */
function stack(options: { privacy?: PrivacySpec; secureAggregation?: SecureAggregationOption; weighting: 'examples' | 'uniform' }) {
  const aggregation = buildAggregation({ privacy: options.privacy, secure: resolveSecureAggregation(options.secureAggregation), weighting: options.weighting });
  let state = aggregation.init();
  return {
    aggregate(updates: readonly ClientUpdate[], context: AggregationContext) {
      const output = aggregation.aggregate(
        updates.map((u) => ({ clientId: u.clientId, vector: u.delta, numExamples: u.numExamples })),
        state,
        context,
      );
      state = output.state;
      return output;
    },
    get state() {
      return state as { clip?: number };
    },
    set state(next: { clip?: number }) {
      state = next;
    },
  };
}

function update(clientId: number, delta: number[], numExamples = 1): ClientUpdate {
  return { clientId, delta: new Float32Array(delta), numExamples, trainLoss: 0, trainAccuracy: 0 };
}

function context(dimension: number, expectedCohort: number, seed = 1, round = 1): AggregationContext {
  return { round, dimension, expectedCohort, rng: createRng(seed) };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

test('DP-FedAvg without noise: clip [3,4] to [0.6,0.8], keep [0.3,0.4], divide by expected cohort 2', () => {
  const aggregator = stack({ privacy: dp.gaussian({ clip: 1, noiseMultiplier: 0, delta: 1e-5 }), weighting: 'examples' });
  const { delta, metrics } = aggregator.aggregate([update(0, [3, 4], 100), update(1, [0.3, 0.4], 1)], context(2, 2));
  // Uniform under DP: (0.6 + 0.3)/2, (0.8 + 0.4)/2, whatever the example counts.
  assert.ok(maxAbsDiff(delta, new Float32Array([0.45, 0.6])) < 1e-7, `got ${Array.from(delta)}`);
  assert.deepEqual(metrics.dp, { clip: 1, noiseStd: 0 });
});

test('DP noise on the mean has variance (sigma C / E)^2', () => {
  const d = 20000,
    sigma = 1.5,
    clip = 2,
    expected = 4;
  const aggregator = stack({ privacy: dp.gaussian({ clip, noiseMultiplier: sigma, delta: 1e-5 }), weighting: 'uniform' });
  const updates = [update(0, new Array(d).fill(0)), update(1, new Array(d).fill(0))];
  const { delta } = aggregator.aggregate(updates, context(d, expected, 5));
  let mean = 0,
    variance = 0;
  for (const x of delta) mean += x / d;
  for (const x of delta) variance += (x - mean) ** 2 / (d - 1);
  const expectedVariance = ((sigma * clip) / expected) ** 2; // 0.5625
  assert.ok(Math.abs(mean) < 5 * Math.sqrt(expectedVariance / d), `mean ${mean}`);
  assert.ok(Math.abs(variance / expectedVariance - 1) < 5 * Math.sqrt(2 / d), `variance ${variance} vs ${expectedVariance}`);
});

test('adaptive clipping moves C toward the target quantile and carries it in state', () => {
  const aggregator = stack({
    privacy: dp.adaptive({ targetQuantile: 0.25, initialClip: 1, clipLr: 0.2, noiseMultiplier: 0, delta: 1e-5 }),
    weighting: 'uniform',
  });
  // Norms 0.5, 2, 3, 0.1 against C = 1: two unclipped of four, b̄ = 0.5, C ← exp(−0.2·0.25).
  const updates = [update(0, [0.5, 0]), update(1, [2, 0]), update(2, [0, 3]), update(3, [0.1, 0])];
  const { metrics } = aggregator.aggregate(updates, context(2, 4));
  const dpMetrics = metrics.dp as { clip: number; unclippedFraction: number; nextClip: number };
  assert.equal(dpMetrics.clip, 1);
  assert.ok(Math.abs(dpMetrics.unclippedFraction - 0.5) < 1e-12);
  assert.ok(Math.abs(aggregator.state.clip! - Math.exp(-0.05)) < 1e-12);
  aggregator.state = { clip: 3 };
  const again = aggregator.aggregate(updates, context(2, 4, 1, 2));
  assert.equal((again.metrics.dp as { clip: number }).clip, 3);
  aggregator.state = {};
  assert.throws(() => aggregator.aggregate(updates, context(2, 4, 1, 3)), { message: 'adaptive clipping state needs a clip > 0 (got undefined)' });
});

test('secure aggregation gives the plain example-weighted mean (within fixed-point precision)', () => {
  const rng = createRng(8);
  const updates = Array.from({ length: 6 }, (_, i) =>
    update(
      i,
      Array.from({ length: 50 }, () => rng.normal() * 0.1),
      10 + i * 7,
    ),
  );
  const plain = stack({ weighting: 'examples' }).aggregate(updates, context(50, 6));
  const secure = stack({ weighting: 'examples', secureAggregation: { threshold: 4 } }).aggregate(updates, context(50, 6));
  assert.ok(maxAbsDiff(plain.delta, secure.delta) < 1e-6, `difference ${maxAbsDiff(plain.delta, secure.delta)}`);
  const secagg = secure.metrics.secagg as { dropped: number; recovered: boolean; bytes: number };
  assert.equal(secagg.dropped, 0);
  assert.equal(secagg.recovered, true);
  assert.ok(secagg.bytes > 0);
});

test('with dropouts, secure aggregation gives the weighted mean of the survivors', () => {
  const updates = [update(0, [1, 0], 1), update(1, [0, 1], 1), update(2, [1, 1], 2), update(3, [-1, 0], 4)];
  const result = stack({ weighting: 'examples', secureAggregation: { threshold: 3, dropouts: 1 } }).aggregate(updates, context(2, 4, 21));
  const secagg = result.metrics.secagg as { dropped: number };
  assert.equal(secagg.dropped, 1);
  // Whoever dropped, the result must be the weighted mean of one of the four 3-client subsets.
  const candidates = [0, 1, 2, 3].map((gone) => {
    const kept = updates.filter((_, i) => i !== gone);
    const total = kept.reduce((a, u) => a + u.numExamples, 0);
    return [0, 1].map((j) => kept.reduce((a, u) => a + (u.numExamples / total) * u.delta[j], 0));
  });
  assert.ok(
    candidates.some((c) => Math.abs(c[0] - result.delta[0]) < 1e-6 && Math.abs(c[1] - result.delta[1]) < 1e-6),
    `got ${Array.from(result.delta)}`,
  );
});

test('DP with secure aggregation adds the same noise as DP without it', () => {
  const rng = createRng(2);
  const updates = Array.from({ length: 5 }, (_, i) =>
    update(
      i,
      Array.from({ length: 30 }, () => rng.normal()),
      3,
    ),
  );
  const privacy = dp.gaussian({ clip: 1, noiseMultiplier: 1, delta: 1e-5 });
  const central = stack({ privacy, weighting: 'uniform' }).aggregate(updates, context(30, 5, 77));
  const secure = stack({ privacy, weighting: 'uniform', secureAggregation: true }).aggregate(updates, context(30, 5, 77));
  assert.ok(maxAbsDiff(central.delta, secure.delta) < 1e-6, `difference ${maxAbsDiff(central.delta, secure.delta)}`);
});

test('a round that cannot be recovered throws, naming dropped and needed', () => {
  const updates = Array.from({ length: 4 }, (_, i) => update(i, [i, 1]));
  const aggregator = stack({ weighting: 'uniform', secureAggregation: { threshold: 3, dropouts: 2 } });
  assert.throws(() => aggregator.aggregate(updates, context(2, 4)), /2 of 4 clients dropped out, leaving 2 but at least 3 are needed/);
});

test('bad secure-aggregation options and mismatched updates fail with exact messages', () => {
  assert.throws(() => resolveSecureAggregation({ threshold: 0 }), { message: 'secureAggregation.threshold must be a positive integer (got 0)' });
  assert.throws(() => resolveSecureAggregation({ threshold: 11 }, 10), {
    message: 'secureAggregation.threshold (11) is larger than the cohort (10 clients per round)',
  });
  assert.throws(() => resolveSecureAggregation({ threshold: 7, dropouts: 4 }, 10), {
    message: 'secureAggregation.dropouts (4) is more than the threshold allows: with 10 clients and threshold 7, at most 3 may drop',
  });
  assert.throws(() => resolveSecureAggregation('yes'), { message: 'secureAggregation must be true, false or { threshold, dropouts?, bound? } (got string)' });
  const aggregator = stack({ weighting: 'uniform' });
  assert.throws(() => aggregator.aggregate([update(3, [1, 2, 3])], context(2, 1)), { message: 'client 3 sent an update of length 3, expected 2' });
});

test('privacyAfter: epsilon grows every round', () => {
  const spec = dp.gaussian({ clip: 1, noiseMultiplier: 1.1, delta: 1e-5 });
  const eps = [1, 2, 3, 10].map((rounds) => privacyAfter(spec, { q: 0.1, rounds }).epsilon);
  for (let i = 1; i < eps.length; i++) assert.ok(eps[i] > eps[i - 1], `epsilon ${eps}`);
  assert.equal(privacyAfter(spec, { q: 0.1, rounds: 0 }).epsilon, 0);
  assert.equal(privacyAfter(spec, { q: 0.1, rounds: 5 }).delta, 1e-5);
});

test('under Poisson sampling a numeric threshold scales with the cohort: 7 of 10 planned becomes 5 of 7', async () => {
  assert.deepEqual(scaleToPoissonCohort({ threshold: 7, dropouts: 3, bound: 1 }, 7, 10), { threshold: 5, dropouts: 2, bound: 1 });
  assert.deepEqual(scaleToPoissonCohort({ threshold: 7, dropouts: 3, bound: 1 }, 13, 10), { threshold: 10, dropouts: 3, bound: 1 });
  const fixed = { threshold: 7, dropouts: 3, bound: 1 };
  assert.equal(scaleToPoissonCohort(fixed, 10, 10), fixed);
  // A DP round whose Poisson cohort (3) is below the planned threshold (7 of 10) still aggregates.
  const privacy = dp.gaussian({ clip: 1, noiseMultiplier: 0, delta: 1e-5 });
  const aggregator = stack({ privacy, weighting: 'uniform', secureAggregation: { threshold: 7, dropouts: 0 } });
  const { delta, metrics } = aggregator.aggregate([update(0, [0.1, 0]), update(1, [0, 0.2]), update(2, [0.3, 0])], context(2, 10));
  assert.equal((metrics.secagg as { threshold: number }).threshold, 3);
  assert.ok(Math.abs(delta[0] - 0.04) < 1e-7 && Math.abs(delta[1] - 0.02) < 1e-7, `got ${Array.from(delta)}`);
});

test('adaptive clipping is state in, state out: replaying the initial state replays round 1', () => {
  const aggregator = stack({
    privacy: dp.adaptive({ targetQuantile: 0, initialClip: 1, clipLr: 0.5, noiseMultiplier: 0, delta: 1e-5 }),
    weighting: 'uniform',
  });
  const initial = aggregator.state;
  assert.equal(initial.clip, 1);
  const updates = [update(0, [0.1, 0])];
  aggregator.aggregate(updates, context(2, 1, 1, 1));
  const afterOne = aggregator.state.clip!;
  aggregator.aggregate(updates, context(2, 1, 1, 2));
  assert.ok(aggregator.state.clip! < afterOne, 'round 2 continues from round 1');
  aggregator.state = initial;
  aggregator.aggregate(updates, context(2, 1, 1, 1));
  assert.equal(aggregator.state.clip, afterOne, 'the initial state gives round 1 again');
  assert.equal(initial.clip, 1, 'the old state was not mutated');
});
