import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adaptiveServer, momentumServer, plainServer } from '../../../kernel/federated/server-optimizers';

const close = (actual: Float32Array, expected: number[], tolerance = 1e-6): void => {
  assert.equal(actual.length, expected.length);
  expected.forEach((value, i) => assert.ok(Math.abs(actual[i] - value) < tolerance, `index ${i}: ${actual[i]} vs ${value}`));
};

test('plain server adds the aggregate', () => {
  close(plainServer().step(Float32Array.from([1, 2]), Float32Array.from([0.5, -1]), {}).weights, [1.5, 1]);
});

test('FedAvgM: v ← βv + Δ, w ← w + ηv over two rounds', () => {
  const server = momentumServer(1, 0.9);
  const first = server.step(Float32Array.from([0]), Float32Array.from([1]), server.init(1));
  close(first.weights, [1]); // v = 1
  const second = server.step(first.weights, Float32Array.from([1]), first.state);
  close(second.weights, [2.9]); // v = 0.9 + 1 = 1.9
});

test('FedAdam one step by hand', () => {
  // m = 0.1·Δ = 0.2; v = 0.99·τ² + 0.01·Δ² = 0.99e-6 + 0.04; w = η·m/(√v + τ).
  const server = adaptiveServer('adam', { serverLr: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-3 });
  const { weights, state } = server.step(Float32Array.from([0]), Float32Array.from([2]), server.init(1));
  const v = 0.99e-6 + 0.04;
  close(state.m, [0.2]);
  close(state.v, [v], 1e-9);
  close(weights, [(0.01 * 0.2) / (Math.sqrt(v) + 1e-3)]);
});

test('FedYogi and FedAdagrad second moments by hand', () => {
  const yogi = adaptiveServer('yogi', { serverLr: 1, beta1: 0.9, beta2: 0.99, tau: 1e-3 });
  // v0 = 1e-6 < Δ² = 4, sign(v0 − Δ²) = −1: v = 1e-6 + 0.01·4.
  close(yogi.step(Float32Array.from([0]), Float32Array.from([2]), yogi.init(1)).state.v, [1e-6 + 0.04], 1e-8);
  const adagrad = adaptiveServer('adagrad', { serverLr: 1, beta1: 0, beta2: 0, tau: 1e-3 });
  close(adagrad.step(Float32Array.from([0]), Float32Array.from([2]), adagrad.init(1)).state.v, [1e-6 + 4], 1e-6);
});

test('server state is returned, never mutated', () => {
  const server = momentumServer(1, 0.5);
  const state = server.init(1);
  server.step(Float32Array.from([0]), Float32Array.from([1]), state);
  assert.equal(state.velocity[0], 0);
});
