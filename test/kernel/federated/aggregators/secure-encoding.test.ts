import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSecureEncoding, encodeUpdate } from '../../../../kernel/federated/aggregators/secure-encoding';
import { secureAggregator } from '../../../../kernel/federated/aggregators/secure-stack';
import { createRng } from '../../../../kernel/federated/random';

const NEG_12 = 2 ** 32 - 12; // −12 as a 32-bit two's-complement word

test('a weighted update: α·Δ, clamped to ±bound, rounded at the scale, negatives as two’s complement', () => {
  // α = 0.5: [0.25, −0.125, 1.5 → clamped to 1]; ×100 → [25, −12.5 → −12, 100].
  const words = encodeUpdate(Float32Array.of(0.5, -0.25, 3), { weight: 0.5, bound: 1, scale: 100 });
  assert.deepEqual(Array.from(words), [25, NEG_12, 100]);
});

test('a clipped update: scaled to norm C first, and under adaptive clipping one more word C·(b − ½)', () => {
  // ‖(3, 4)‖ = 5 > C = 2.5: (1.5, 2); clipped, so b = 0 and the count word is 2.5·(0 − ½) = −1.25; ×10 → 15, 20, −12.5 → −12.
  const encoding = { clip: 2.5, weight: 1, bound: 2.5, scale: 10 };
  assert.deepEqual(Array.from(encodeUpdate(Float32Array.of(3, 4), encoding)), [15, 20]);
  assert.deepEqual(Array.from(encodeUpdate(Float32Array.of(3, 4), { ...encoding, countUnclipped: true })), [15, 20, NEG_12]);
  // Within the clip: unchanged, b = 1, count word +1.25 → 12.5 → 13.
  assert.deepEqual(Array.from(encodeUpdate(Float32Array.of(0.3, 0.4), { ...encoding, countUnclipped: true })), [3, 4, 13]);
});

test('an encoding that came over the wire is checked field by field', () => {
  assert.deepEqual(checkSecureEncoding({ weight: 0.5, bound: 1, scale: 100 }), { weight: 0.5, bound: 1, scale: 100 });
  assert.throws(() => checkSecureEncoding({ weight: -0.5, bound: 1, scale: 100 }, 'enc'), { message: 'enc.weight must be a finite number >= 0 (got -0.5)' });
  assert.throws(() => checkSecureEncoding({ weight: 1, bound: 1, scale: 0 }, 'enc'), { message: 'enc.scale must be a finite number > 0 (got 0)' });
  assert.throws(() => checkSecureEncoding({ weight: 1, bound: 1, scale: 1, countUnclipped: true }, 'enc'), { message: 'enc.countUnclipped needs a clip' });
  assert.throws(() => checkSecureEncoding(null, 'enc'), { message: 'enc must be an object' });
});

test("the plan weights each client by its examples; finish divides the survivors' sum by the survivors' weights", () => {
  const { secure } = secureAggregator({ secure: { threshold: 'default', dropouts: 0, bound: 4 }, weighting: 'examples' });
  const context = { round: 1, dimension: 1, expectedCohort: 3 };
  const plan = secure.plan(
    [
      { clientId: 0, numExamples: 10 },
      { clientId: 1, numExamples: 30 },
      { clientId: 2, numExamples: 60 },
    ],
    undefined,
    context,
  );
  assert.deepEqual(
    plan.encodings.map((e) => [e.weight, e.bound]),
    [
      [0.1, 0.4],
      [0.3, 1.2],
      [0.6, 2.4],
    ],
  );
  assert.equal(plan.threshold, 2); // ⌈2·3/3⌉
  assert.equal(plan.scale, (2 ** 31 - 1 - 3) / (0.1 * 4 + 0.3 * 4 + 0.6 * 4));
  // Clients 0 and 2 survive with Σ α_i Δ_i = 0.1·1 + 0.6·2 = 1.3; renormalised by 0.1 + 0.6: 1.3 / 0.7.
  const out = secure.finish(plan, { sum: Float64Array.of(1.3), survivors: [0, 2] }, undefined, { ...context, rng: createRng(1) });
  assert.equal(out.delta[0], Math.fround(1.3 / (0.1 + 0.6)));
});
