import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateSynthetic } from '../../../kernel/data/synthetic';
import { partition } from '../../../kernel/federated/partition';

describe('generateSynthetic (FedProx synthetic(α, β))', () => {
  it('has 30 devices, 60 features, 10 classes and a 90/10 split per device', () => {
    const { train, test } = generateSynthetic({ alpha: 1, beta: 1, seed: 0 });
    assert.deepEqual(train.exampleShape, [60]);
    assert.equal(train.numClasses, 10);
    assert.equal(train.x.length, train.length * 60);
    assert.ok(train.x.buffer instanceof SharedArrayBuffer);
    const trainSizes = partition(train, { scheme: 'natural' }).sizes();
    const testSizes = partition(test, { scheme: 'natural' }).sizes();
    assert.equal(trainSizes.length, 30);
    assert.equal(testSizes.length, 30);
    for (let k = 0; k < 30; k++) {
      const total = trainSizes[k] + testSizes[k];
      assert.ok(total >= 50, `device ${k} has ${total} examples; the reference gives every device at least 50`);
      assert.equal(trainSizes[k], Math.floor(0.9 * total));
    }
    assert.ok(train.y.every((label) => label >= 0 && label < 10));
    assert.equal(train.name, 'synthetic(1,1)-train');
  });

  it('device sizes are heavy-tailed (lognormal)', () => {
    const sizes = partition(generateSynthetic({ alpha: 0, beta: 0, seed: 3 }).train, { scheme: 'natural' }).sizes();
    const sorted = [...sizes].sort((a, b) => a - b);
    assert.ok(sorted[29] > 5 * sorted[15], `largest ${sorted[29]} vs median ${sorted[15]}`);
  });

  it('is deterministic for a seed and differs for another seed', () => {
    const a = generateSynthetic({ alpha: 0.5, beta: 0.5, seed: 4 });
    const b = generateSynthetic({ alpha: 0.5, beta: 0.5, seed: 4 });
    const c = generateSynthetic({ alpha: 0.5, beta: 0.5, seed: 5 });
    assert.deepEqual(a.train.x, b.train.x);
    assert.deepEqual(a.test.y, b.test.y);
    assert.notDeepEqual(a.train.x.subarray(0, 60), c.train.x.subarray(0, 60));
  });

  it('feature j has variance j^-1.2 around the device mean (iid variant: mean B_k for all features)', () => {
    // One big device so that the sample variances are close to Σ_jj.
    const { train } = generateSynthetic({ alpha: 0, beta: 0, seed: 2, devices: 1, iid: true, testFraction: 0 });
    const n = train.length;
    assert.ok(n > 500, `seed 2 should give one device of over 500 examples (got ${n})`);
    for (const j of [0, 9, 59]) {
      let sum = 0,
        squares = 0;
      for (let i = 0; i < n; i++) sum += train.x[i * 60 + j];
      const mean = sum / n;
      for (let i = 0; i < n; i++) squares += (train.x[i * 60 + j] - mean) ** 2;
      const variance = squares / (n - 1);
      const expected = Math.pow(j + 1, -1.2);
      assert.ok(Math.abs(variance / expected - 1) < 0.25, `feature ${j}: variance ${variance}, expected ${expected} (n = ${n})`);
    }
  });

  it('alpha shifts every logit of a device equally, so with the same draws it leaves the labels unchanged', () => {
    // W_k ~ N(u_k, 1) and b_k ~ N(u_k, 1) add u_k·(Σ_j x_j + 1) to every class's logit: the argmax does not move.
    // This is a property of the paper's definition (and its reference code), not of this implementation.
    const low = generateSynthetic({ alpha: 0, beta: 1, seed: 2 });
    const high = generateSynthetic({ alpha: 5, beta: 1, seed: 2 });
    assert.deepEqual(high.train.x, low.train.x);
    assert.deepEqual(high.train.y, low.train.y);
  });

  it("beta spreads the devices' input means apart", () => {
    const spreadOfMeans = (beta: number): number => {
      const { train } = generateSynthetic({ alpha: 0, beta, seed: 6 });
      const federated = partition(train, { scheme: 'natural' });
      // Variance across devices of each device's mean over all features.
      const means = federated.clients.map((indices) => {
        let sum = 0;
        for (const i of indices) for (let j = 0; j < 60; j++) sum += train.x[i * 60 + j];
        return sum / (indices.length * 60);
      });
      const center = means.reduce((a, b) => a + b, 0) / means.length;
      return means.reduce((sum, m) => sum + (m - center) ** 2, 0) / (means.length - 1);
    };
    // v_k = B_k + N(0, 1) per feature: the device mean's variance is about β² + 1/60 (+ sampling noise).
    assert.ok(spreadOfMeans(0) < 0.2, `beta 0: ${spreadOfMeans(0)}`);
    assert.ok(spreadOfMeans(5) > 5, `beta 5: ${spreadOfMeans(5)}`);
  });

  it('rejects bad options', () => {
    assert.throws(() => generateSynthetic({ alpha: -1, beta: 0 }), { message: 'synthetic: alpha must be a non-negative finite number (got -1)' });
    assert.throws(() => generateSynthetic({ alpha: 0, beta: Number.NaN }), { message: 'synthetic: beta must be a non-negative finite number (got NaN)' });
    assert.throws(() => generateSynthetic({ alpha: 0, beta: 0, devices: 0 }), { message: 'devices must be an integer ≥ 1 (got 0)' });
    assert.throws(() => generateSynthetic({ alpha: 0, beta: 0, device: 3 } as never), {
      message: "synthetic: unknown option 'device' (known: alpha, beta, seed, devices, features, classes, testFraction, iid)",
    });
    assert.throws(() => generateSynthetic({ alpha: 0, beta: 0, testFraction: 1 }), { message: 'testFraction must be a number in [0, 1) (got 1)' });
  });
});
