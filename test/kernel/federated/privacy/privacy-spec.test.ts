import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dp, accountant } from '../../../../kernel/api/privacy';
import { checkAdaptiveCohort, clippedCountStddevFor, validatePrivacySpec, valueNoiseMultiplier } from '../../../../kernel/federated/privacy/privacy-spec';

test('dp.gaussian returns a serialisable spec', () => {
  const spec = dp.gaussian({ clip: 1, noiseMultiplier: 1.1, delta: 1e-5 });
  assert.deepEqual(JSON.parse(JSON.stringify(spec)), { kind: 'gaussian', clip: 1, noiseMultiplier: 1.1, delta: 1e-5 });
  assert.deepEqual(validatePrivacySpec(JSON.parse(JSON.stringify(spec))), spec);
});

test('dp.gaussian rejects bad input with exact messages', () => {
  assert.throws(() => dp.gaussian({ clip: 0, noiseMultiplier: 1, delta: 1e-5 }), { message: 'dp.gaussian: clip must be a positive finite number (got 0)' });
  assert.throws(() => dp.gaussian({ clip: -1, noiseMultiplier: 1, delta: 1e-5 }), { message: 'dp.gaussian: clip must be a positive finite number (got -1)' });
  assert.throws(() => dp.gaussian({ clip: 1, noiseMultiplier: -0.5, delta: 1e-5 }), {
    message: 'dp.gaussian: noiseMultiplier must be a non-negative finite number (got -0.5)',
  });
  assert.throws(() => dp.gaussian({ clip: 1, noiseMultiplier: 1, delta: 1 }), { message: 'dp.gaussian: delta must be a number in (0, 1) (got 1)' });
  assert.throws(() => dp.gaussian({ clip: 1, noiseMultiplier: 1, delta: 0 }), { message: 'dp.gaussian: delta must be a number in (0, 1) (got 0)' });
  assert.throws(() => dp.gaussian({ clip: 1, noiseMultiplier: 1, delta: 1e-5, sigma: 2 } as never), {
    message: "dp.gaussian: unknown option 'sigma' (known: kind, clip, noiseMultiplier, delta)",
  });
});

test('dp.adaptive fills TFF defaults and rejects bad input', () => {
  const spec = dp.adaptive({ targetQuantile: 0.5, noiseMultiplier: 1, delta: 1e-5 });
  assert.equal(spec.initialClip, 0.1);
  assert.equal(spec.clipLr, 0.2);
  assert.throws(() => dp.adaptive({ targetQuantile: 1.5, noiseMultiplier: 1, delta: 1e-5 }), {
    message: 'dp.adaptive: targetQuantile must be a number in [0, 1] (got 1.5)',
  });
  assert.throws(() => dp.adaptive({ targetQuantile: 0.5, initialClip: 0, noiseMultiplier: 1, delta: 1e-5 }), {
    message: 'dp.adaptive: initialClip must be a positive finite number (got 0)',
  });
  assert.throws(() => dp.adaptive({ targetQuantile: 0.5, noiseMultiplier: 1, clippedCountStddev: 0.4, delta: 1e-5 }), {
    message:
      'dp.adaptive: clippedCountStddev 0.4 is too small for noiseMultiplier 1: adaptive clipping needs 2·clippedCountStddev > noiseMultiplier so that the count query leaves privacy for the update',
  });
});

test('the default clippedCountStddev must fit the cohort: z = 0.5 needs 0.05 × K × 2 > 0.5, so K ≥ 6', () => {
  const spec = dp.adaptive({ targetQuantile: 0.5, noiseMultiplier: 0.5, delta: 1e-5 });
  // K = 5: σ_b = 0.05 × 5 = 0.25, 2σ_b = 0.5, not > 0.5.
  const message =
    "fed.fedAvg: privacy: fed.dp.adaptive's default clippedCountStddev is 0.05 × 5 expected clients per round = 0.25, " +
    'too small for noiseMultiplier 0.5: adaptive clipping needs 2·clippedCountStddev > noiseMultiplier (0.5 is not > 0.5). ' +
    'Pass clippedCountStddev > 0.25 to fed.dp.adaptive (e.g. clippedCountStddev: 0.5), or clientsPerRound ≥ 6, or noiseMultiplier < 0.5';
  assert.throws(() => checkAdaptiveCohort(spec, 5, 'fed.fedAvg: privacy'), { message });
  assert.throws(() => clippedCountStddevFor(spec, 5, 'fed.fedAvg: privacy'), { message });
  // K = 6: σ_b = 0.3, 2σ_b = 0.6 > 0.5; the value query's multiplier is (0.5⁻² − 0.6⁻²)^(−1/2) = (4 − 2.777…)^(−1/2) ≈ 0.904534.
  assert.doesNotThrow(() => checkAdaptiveCohort(spec, 6, 'fed.fedAvg: privacy'));
  assert.ok(Math.abs(clippedCountStddevFor(spec, 6) - 0.3) < 1e-15);
  assert.ok(Math.abs(valueNoiseMultiplier(0.5, clippedCountStddevFor(spec, 6)) - 1 / Math.sqrt(4 - 1 / 0.36)) < 1e-12);
  // z = 2 with K = 3: σ_b = 0.15, and 2σ_b = 0.3 would need K ≥ 21 (2 × 0.05 × 21 = 2.1 > 2; K = 20 gives exactly 2).
  assert.throws(
    () => checkAdaptiveCohort(dp.adaptive({ targetQuantile: 0.5, noiseMultiplier: 2, delta: 1e-5 }), 3, 'w'),
    /0\.05 × 3 expected clients per round = 0\.15, .*\(0\.3 is not > 2\)\. Pass clippedCountStddev > 1 to fed\.dp\.adaptive \(e\.g\. clippedCountStddev: 2\), or clientsPerRound ≥ 21, or noiseMultiplier < 0\.3$/,
  );
  // An explicit σ_b, no noise, or fixed clipping: nothing to check against the cohort.
  for (const other of [
    dp.adaptive({ targetQuantile: 0.5, noiseMultiplier: 0.5, clippedCountStddev: 0.3, delta: 1e-5 }),
    dp.adaptive({ targetQuantile: 0.5, noiseMultiplier: 0, delta: 1e-5 }),
    dp.gaussian({ clip: 1, noiseMultiplier: 5, delta: 1e-5 }),
  ]) {
    assert.doesNotThrow(() => checkAdaptiveCohort(other, 1, 'w'));
  }
});

test('value noise multiplier under adaptive clipping: z=1, sigma_b=1 gives (1 - 1/4)^(-1/2)', () => {
  assert.ok(Math.abs(valueNoiseMultiplier(1, 1) - 1 / Math.sqrt(0.75)) < 1e-15);
  assert.equal(valueNoiseMultiplier(0, 0), 0);
});

test('validatePrivacySpec names what is wrong with a hand-made spec', () => {
  assert.throws(() => validatePrivacySpec({ kind: 'laplace' }), {
    message: "privacy: kind must be 'gaussian' or 'adaptive' (got laplace); build it with fed.dp.gaussian() or fed.dp.adaptive()",
  });
  assert.throws(() => validatePrivacySpec(null), { message: 'privacy needs an options object (got null)' });
});

test('accountant API validates and agrees with the reference values', () => {
  const [r5] = accountant.rdp({ q: 0.01, noiseMultiplier: 2.5, steps: 50, orders: [5] });
  assert.ok(Math.abs(r5 / 2.18075656e-3 - 1) < 1e-6);
  assert.throws(() => accountant.rdp({ q: 1.5, noiseMultiplier: 1, steps: 1 }), {
    message: 'accountant.rdp: q (the sampling rate) must be a number in [0, 1] (got 1.5)',
  });
  assert.throws(() => accountant.epsilon({ q: 0.1, noiseMultiplier: 1, steps: 1, delta: 2 }), {
    message: 'accountant.epsilon: delta must be a number in (0, 1) (got 2)',
  });
  assert.throws(() => accountant.epsilon({ q: 0.1, noiseMultiplier: 1, steps: 1.5, delta: 1e-5 }), {
    message: 'accountant.epsilon: steps must be an integer ≥ 0 (got 1.5)',
  });
  assert.throws(() => accountant.rdp({ q: 0.1, noiseMultiplier: 1, steps: 1, orders: [0.5] }), {
    message: 'accountant.rdp: every order must be a number > 1 (got 0.5)',
  });
  assert.throws(() => accountant.noiseFor({ q: 0.1, steps: 10, delta: 1e-5, epsilon: 0 }), {
    message: 'accountant.noiseFor: epsilon must be a positive finite number (got 0)',
  });
  const sigma = accountant.noiseFor({ q: 0.1, steps: 100, delta: 1e-5, epsilon: 3 });
  const { epsilon } = accountant.epsilon({ q: 0.1, noiseMultiplier: sigma, steps: 100, delta: 1e-5 });
  assert.ok(epsilon <= 3 && epsilon > 2.99, `epsilon ${epsilon} at sigma ${sigma}`);
});
