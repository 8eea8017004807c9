import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeRdp, DEFAULT_ORDERS, epsilonFor, noiseMultiplierFor, rdpToEpsilon } from '../../../../kernel/federated/privacy/rdp-accountant';
import { logErfc } from '../../../../kernel/federated/privacy/log-math';

function assertClose(actual: number, expected: number, relTol: number, label: string): void {
  const rel = Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(rel <= relTol, `${label}: got ${actual}, expected ${expected} (relative error ${rel.toExponential(2)} > ${relTol})`);
}

test('log erfc matches known erfc values, including where erfc underflows', () => {
  assertClose(Math.exp(logErfc(0.5)), 0.4795001221869535, 1e-13, 'erfc(0.5)');
  assertClose(Math.exp(logErfc(1)), 0.15729920705028513, 1e-13, 'erfc(1)');
  assertClose(Math.exp(logErfc(3)), 2.209049699858544e-5, 1e-12, 'erfc(3)');
  assertClose(Math.exp(logErfc(5)), 1.5374597944280349e-12, 1e-12, 'erfc(5)');
  assertClose(Math.exp(logErfc(-1)), 1.8427007929497148, 1e-13, 'erfc(-1)');
  // erfc(30) ≈ 2.5646562037561116e-393 underflows a double; its log does not.
  assertClose(logErfc(30), Math.log(2.564656203756112) - 393 * Math.LN10, 1e-13, 'log erfc(30)');
});

test('RDP of the sampled Gaussian matches the published reference values (q=0.01, sigma=2.5, 50 steps)', () => {
  const [at5, at50, at100] = computeRdp(0.01, 2.5, 50, [5, 50, 100]);
  assertClose(at5, 2.18075656e-3, 1e-6, 'alpha=5');
  assertClose(at50, 2.38460375e-2, 1e-6, 'alpha=50');
  assertClose(at100, 167.416308, 1e-6, 'alpha=100');
});

test('epsilon of DP-SGD on MNIST (n=60000, batch 150, sigma=1.3, 15 epochs, delta=1e-5) is 0.7242234026 at order 19', () => {
  const n = 60000,
    batch = 150,
    epochs = 15;
  const q = batch / n;
  const steps = Math.ceil((epochs * n) / batch);
  const orders = [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, ...Array.from({ length: 59 }, (_, i) => 5 + i), 128, 256, 512];
  const { epsilon, order } = epsilonFor(q, 1.3, steps, 1e-5, orders);
  assertClose(epsilon, 0.7242234026, 1e-6, 'epsilon');
  assert.equal(order, 19);
});

test('fractional orders sit between their integer neighbours', () => {
  const [r2, r25, r3] = computeRdp(0.05, 1.1, 1, [2, 2.5, 3]);
  assert.ok(r2 < r25 && r25 < r3, `expected ${r2} < ${r25} < ${r3}`);
});

test('default orders are 1.1..10.9 by 0.1, 11..63, 128, 256, 512, 1024', () => {
  assert.equal(DEFAULT_ORDERS.length, 99 + 53 + 4);
  assert.equal(DEFAULT_ORDERS[0], 1.1);
  assert.equal(DEFAULT_ORDERS[98], 10.9);
  assert.equal(DEFAULT_ORDERS[99], 11);
  assert.equal(DEFAULT_ORDERS[151], 63);
  assert.deepEqual(DEFAULT_ORDERS.slice(-4), [128, 256, 512, 1024]);
});

test('q=1 reduces to the plain Gaussian mechanism: RDP = steps * alpha / (2 sigma^2)', () => {
  assert.deepEqual(computeRdp(1, 2, 3, [2, 10]), [(3 * 2) / 8, (3 * 10) / 8]);
});

test('epsilon grows with steps and shrinks with noise', () => {
  const e10 = epsilonFor(0.1, 1, 10, 1e-5).epsilon;
  const e20 = epsilonFor(0.1, 1, 20, 1e-5).epsilon;
  const e20quiet = epsilonFor(0.1, 2, 20, 1e-5).epsilon;
  assert.ok(e10 < e20, `${e10} < ${e20}`);
  assert.ok(e20quiet < e20, `${e20quiet} < ${e20}`);
});

test('rdpToEpsilon applies Balle et al. Theorem 21 at a single order', () => {
  // eps = 1 - (log 1e-5 + log 2)/1 + log(1/2) = 1 + 11.512925... - 0.693147... - 0.693147...
  const { epsilon, order } = rdpToEpsilon([2], [1], 1e-5);
  assertClose(epsilon, 1 - Math.log(1e-5) - 2 * Math.log(2), 1e-15, 'epsilon');
  assert.equal(order, 2);
});

test('noiseMultiplierFor inverts epsilonFor: the returned sigma just reaches the target', () => {
  const q = 0.01,
    steps = 1000,
    delta = 1e-5,
    target = 2;
  const sigma = noiseMultiplierFor(q, steps, delta, target);
  assert.ok(epsilonFor(q, sigma, steps, delta).epsilon <= target);
  assert.ok(epsilonFor(q, sigma * (1 - 1e-4), steps, delta).epsilon > target);
});

test('noiseMultiplierFor reports an unreachable epsilon', () => {
  assert.throws(() => noiseMultiplierFor(0.5, 100, 1e-5, 1e-4), /epsilon 0.0001 cannot be reached/);
});

test('the fractional-order series agrees with the integer-order sum next to an integer order', () => {
  // α = k + 1e-9 goes through the two erfc series; α = k through the binomial sum.
  for (const [q, sigma] of [
    [0.01, 2.5],
    [0.1, 1.1],
    [0.5, 0.8],
  ]) {
    for (const k of [2, 5, 19, 50]) {
      const [integer, fractional] = computeRdp(q, sigma, 1, [k, k + 1e-9]);
      assertClose(fractional, integer, 1e-6, `q=${q} sigma=${sigma} alpha=${k}`);
    }
  }
});
