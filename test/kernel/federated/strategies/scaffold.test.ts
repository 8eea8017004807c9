/** SCAFFOLD's control-variate algebra on a 2-parameter model, computed by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../../../kernel/federated/random';
import { weightedMean } from '../../../../kernel/federated/aggregators/weighted-mean';
import { scaffoldStrategy, localSteps } from '../../../../kernel/federated/strategies/scaffold';

const strategy = scaffoldStrategy({
  clientsPerRound: 2,
  localEpochs: 1,
  batchSize: 10,
  clientLr: 0.5,
  clientOptimizer: 'sgd',
  weighting: 'uniform',
  minClients: 1,
  aggregation: weightedMean('uniform'),
  poissonSampling: false,
  aggregateEmpty: false,
  serverLr: 1,
});
const context = { round: 1, numClients: 4, rng: createRng(1) };

test('round 1: c = c_i = 0, so the correction is 0; then c_i⁺ = −Δy_i/(Kη) and c ← c + 1/N Σ Δc_i', () => {
  const weights = Float32Array.from([1, 1]);
  const state = { round: 0, weights, backend: 'test', ...strategy.init(weights) };
  const plan = strategy.configureTrain(context, state, {});
  assert.equal(plan.clients.length, 2);
  for (const { config } of plan.clients) assert.deepEqual(Array.from(config.correction as Float32Array), [0, 0]);
  // Client 0: Δy = [−1, 0] in K = 2 steps (20 examples, B = 10); client 2: Δy = [0, −2] in K = 1 step.
  const results = [
    { clientId: 0, delta: Float32Array.from([-1, 0]), numExamples: 20, trainLoss: 0, trainAccuracy: 0 },
    { clientId: 2, delta: Float32Array.from([0, -2]), numExamples: 10, trainLoss: 0, trainAccuracy: 0 },
  ];
  const { state: next } = strategy.aggregateTrain(context, results, [], state);
  // x ← x + mean Δy = [1 − 0.5, 1 − 1].
  assert.deepEqual(Array.from(next.weights), [0.5, 0]);
  // c_0⁺ = −[−1, 0]/(2·0.5) = [1, 0]; c_2⁺ = −[0, −2]/(1·0.5) = [0, 4].
  assert.deepEqual(Array.from(next.clientState!['0'].c as Float32Array), [1, 0]);
  assert.deepEqual(Array.from(next.clientState!['2'].c as Float32Array), [0, 4]);
  // c ← 0 + ([1, 0] + [0, 4]) / N = [0.25, 1].
  assert.deepEqual(Array.from(next.strategyState!.c), [0.25, 1]);
  // Round 2: client 0's correction is c − c_0 = [−0.75, 1]; an unseen client's is c.
  const round2 = strategy.configureTrain({ ...context, round: 2 }, { ...state, ...next, round: 1 }, {});
  const corrections = Object.fromEntries(round2.clients.map(({ clientId, config }) => [clientId, Array.from(config.correction as Float32Array)]));
  for (const [id, correction] of Object.entries(corrections)) {
    assert.deepEqual(correction, id === '0' ? [-0.75, 1] : id === '2' ? [0.25, -3] : [0.25, 1]);
  }
});

test('K_i: what the client reports, else E·⌈n/B⌉', () => {
  assert.equal(localSteps({ steps: 7, numExamples: 20 }, { localEpochs: 1, batchSize: 10 }), 7);
  assert.equal(localSteps({ numExamples: 25 }, { localEpochs: 2, batchSize: 10 }), 6);
  assert.equal(localSteps({ numExamples: 25 }, { localEpochs: 3, batchSize: Infinity }), 3);
});
