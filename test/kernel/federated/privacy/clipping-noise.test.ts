import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipToNorm, l2Norm } from '../../../../kernel/federated/privacy/clipping';
import { addGaussianNoise } from '../../../../kernel/federated/privacy/gaussian-noise';
import { nextClip, unclippedFraction } from '../../../../kernel/federated/privacy/adaptive-clipping';
import { createRng } from '../../../../kernel/federated/random';

test('clipping scales [3, 4] (norm 5) to norm 1: [0.6, 0.8]', () => {
  const { vector, norm, unclipped } = clipToNorm(new Float32Array([3, 4]), 1);
  assert.equal(norm, 5);
  assert.equal(unclipped, false);
  assert.ok(Math.abs(vector[0] - 0.6) < 1e-12 && Math.abs(vector[1] - 0.8) < 1e-12, `got ${Array.from(vector)}`);
});

test('clipping leaves an update within the bound unchanged', () => {
  const { vector, unclipped } = clipToNorm(new Float32Array([0.5, -0.5, 0.5, -0.5]), 1); // norm exactly 1
  assert.equal(unclipped, true);
  assert.deepEqual(Array.from(vector), [0.5, -0.5, 0.5, -0.5]);
  assert.equal(l2Norm(new Float64Array([1, 2, 2])), 3);
});

test('clipping rejects a non-positive clip norm', () => {
  assert.throws(() => clipToNorm(new Float32Array([1]), 0), /clip must be > 0 \(got 0\)/);
});

test('Gaussian noise has mean 0 and variance std^2 over many seeded draws', () => {
  const n = 40000,
    std = 2;
  const noise = addGaussianNoise(new Float64Array(n), std, createRng(11));
  let mean = 0;
  for (const x of noise) mean += x / n;
  let variance = 0;
  for (const x of noise) variance += (x - mean) ** 2 / (n - 1);
  // Standard errors: mean std/√n = 0.01; variance std²·√(2/n) = 0.028. Allow 5 of each.
  assert.ok(Math.abs(mean) < 0.05, `mean ${mean}`);
  assert.ok(Math.abs(variance - 4) < 0.15, `variance ${variance}`);
});

test('the same seed gives the same noise, another seed different noise', () => {
  const a = addGaussianNoise(new Float64Array(4), 1, createRng(3));
  const b = addGaussianNoise(new Float64Array(4), 1, createRng(3));
  const c = addGaussianNoise(new Float64Array(4), 1, createRng(4));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('adaptive clip: 3 of 4 unclipped with target 0.5 and lr 0.2 shrinks C by exp(-0.05)', () => {
  // Σ(b_i − ½) = 3·½ − ½ = 1; b̄ = 1/4 + ½ = 0.75.
  const fraction = unclippedFraction(1, 4);
  assert.equal(fraction, 0.75);
  assert.ok(Math.abs(nextClip(2, fraction, 0.5, 0.2) - 2 * Math.exp(-0.05)) < 1e-15);
});
