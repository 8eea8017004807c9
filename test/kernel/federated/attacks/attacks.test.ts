/** Attacks are pure: who is malicious, and what they do to an update or a test set. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseAttackers } from '../../../../kernel/federated/attacks/attack';
import { backdoor, labelFlip, triggeredTestSet } from '../../../../kernel/federated/attacks/data-attacks';
import { gaussian, scaling, signFlip } from '../../../../kernel/federated/attacks/update-attacks';
import { createDataset } from '../../../../kernel/data/dataset';
import { createRng } from '../../../../kernel/federated/random';

test('attackers are round(fraction·N) clients, the same for a seed', () => {
  const a = chooseAttackers(20, 0.3, 5);
  assert.equal(a.size, 6);
  assert.deepEqual([...chooseAttackers(20, 0.3, 5)], [...a]);
  assert.notDeepEqual([...chooseAttackers(20, 0.3, 6)].sort(), [...a].sort());
  assert.equal(chooseAttackers(20, 0, 5).size, 0);
});

test('update attacks: −scale·Δ, boost·Δ, Gaussian noise', () => {
  const delta = Float32Array.from([1, -2]);
  const rng = createRng(1);
  assert.deepEqual(Array.from(signFlip({ fraction: 0.1 }).poisonUpdate!(delta, rng)), [-1, 2]);
  assert.deepEqual(Array.from(signFlip({ fraction: 0.1, scale: 4 }).poisonUpdate!(delta, rng)), [-4, 8]);
  assert.deepEqual(Array.from(scaling({ fraction: 0.1, boost: 3 }).poisonUpdate!(delta, rng)), [3, -6]);
  const noise = gaussian({ fraction: 0.1, std: 0 }).poisonUpdate!(delta, rng);
  assert.ok(noise.length === 2 && noise.every((v) => v === 0));
  const loud = gaussian({ fraction: 0.1, std: 100 }).poisonUpdate!(delta, createRng(2));
  assert.ok(
    loud.some((v) => Math.abs(v) > 1),
    'noise replaces the update',
  );
  assert.deepEqual(Array.from(delta), [1, -2], 'the honest delta is not changed in place');
});

test('data attacks set the poison in the client config', () => {
  const config = { localEpochs: 1, batchSize: 10, clientLr: 0.1, optimizer: 'sgd' as const, proximalMu: 0 };
  assert.deepEqual(labelFlip({ fraction: 0.2 }).poisonConfig!(config, { numClasses: 10 }).poison, { kind: 'labelFlip', numClasses: 10 });
  const poisoned = backdoor({ fraction: 0.2, target: 7, trigger: [0, 3], value: 2 }).poisonConfig!(config, { numClasses: 10 });
  assert.deepEqual(poisoned.poison, { kind: 'backdoor', target: 7, positions: [0, 3], value: 2, fraction: 0.5 });
  assert.throws(() => backdoor({ fraction: 0.2, target: 12 }).poisonConfig!(config, { numClasses: 10 }), /target 12 is not a class/);
});

test('the triggered test set keeps the other classes, stamps the trigger and relabels to the target', () => {
  const x = new Float32Array(new SharedArrayBuffer(3 * 4 * 4));
  x.set([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
  const y = new Int32Array(new SharedArrayBuffer(3 * 4));
  y.set([0, 7, 1]);
  const test_ = createDataset({ x, y, exampleShape: [4], numClasses: 10, name: 't' });
  const triggered = triggeredTestSet(test_, [1, 3], 9, 7);
  assert.equal(triggered.length, 2);
  assert.deepEqual(Array.from(triggered.x), [1, 9, 1, 9, 3, 9, 3, 9]);
  assert.deepEqual(Array.from(triggered.y), [7, 7]);
});
