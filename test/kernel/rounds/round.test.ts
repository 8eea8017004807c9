/**
 * The round as a composition, with a fake transport and server compute (no
 * threads): the strategy's plan reaches the transport as plain data, results
 * are aggregated in client order whatever order they arrive in, failures are
 * records, and too few usable updates fail the round with the reasons.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFederatedProcess } from '../../../kernel/rounds/process';
import { fedAvgStrategy } from '../../../kernel/federated/strategies/fedavg';
import { weightedMean } from '../../../kernel/federated/aggregators/weighted-mean';
import { plainServer } from '../../../kernel/federated/server-optimizers';
import type { ClientTransport, TrainCohortRequest } from '../../../kernel/transport/client-transport';
import type { ModelSpec } from '../../../workers/model-spec';

const spec = { kind: 'logistic', inputShape: [2], numClasses: 2 } as unknown as ModelSpec;

function fakeTransport(failing: ReadonlySet<number>, seen: TrainCohortRequest[]): ClientTransport {
  return {
    kind: 'fake',
    numClients: 4,
    async train(request) {
      seen.push(request);
      const results = request.clients
        .filter((c) => !failing.has(c.clientId))
        .reverse()
        .map((c) => ({
          clientId: c.clientId,
          delta: Float32Array.from([c.clientId, 1]),
          numExamples: c.clientId + 1,
          trainLoss: 1,
          trainAccuracy: 0.5,
          backend: 'fake',
          ms: 1,
        }));
      const failures = request.clients
        .filter((c) => failing.has(c.clientId))
        .map((c) => ({ clientId: c.clientId, reason: 'crash' as const, message: `client ${c.clientId} crashed` }));
      return { results, failures, bytesDown: 8 * request.clients.length, bytesUp: 8 * results.length, clientMs: results.length };
    },
    async evaluate() {
      return { results: [], failures: [] };
    },
  };
}

function process(failing: ReadonlySet<number>, seen: TrainCohortRequest[], minClients = 1) {
  const strategy = fedAvgStrategy({
    clientsPerRound: 4,
    localEpochs: 1,
    batchSize: 10,
    clientLr: 0.1,
    clientOptimizer: 'sgd',
    weighting: 'examples',
    minClients,
    aggregation: weightedMean('examples'),
    poissonSampling: false,
    aggregateEmpty: false,
    serverOptimizer: plainServer(1),
  });
  const transport = fakeTransport(failing, seen);
  return createFederatedProcess({
    strategy,
    spec,
    seed: 3,
    workers: 1,
    backend: 'cpu',
    clientDeadlineMs: 0,
    server: {
      describe: async () => ({ type: 'describe', backend: 'fake', weights: [{ name: 'w', shape: [2], trainable: true }] }),
      evaluate: async () => ({ accuracy: 1, loss: 0, examples: 1, backend: 'fake' }),
    },
    connect: () => transport,
  });
}

test('one round: plain-data plan in, client-ordered weighted mean out, failures as records', async () => {
  const seen: TrainCohortRequest[] = [];
  const fed = process(new Set([1]), seen);
  const state = { ...(await fed.initialize()), weights: Float32Array.from([0, 0]) };
  const { state: next, metrics, failures } = await fed.next(state, { transport: fakeTransport(new Set(), []), numClients: 4 });
  assert.deepEqual(
    seen[0].clients.map((c) => c.clientId),
    [0, 1, 2, 3],
  );
  assert.equal(seen[0].clients[0].config.localEpochs, 1);
  // Clients 0, 2, 3 with n = 1, 3, 4: Δ = (1·[0,1] + 3·[2,1] + 4·[3,1]) / 8 = [18/8, 1].
  assert.deepEqual(Array.from(next.weights), [2.25, 1]);
  assert.deepEqual(
    failures.map((f) => f.clientId),
    [1],
  );
  assert.equal(metrics.clients, 3);
  assert.equal(metrics.failures, 1);
  assert.equal(metrics.cohort, 4);
  assert.equal(metrics.bytesDown, 32);
  assert.equal(next.round, 1);
});

test('too few usable updates fail the round with the count and the reasons, state unchanged', async () => {
  const fed = process(new Set([0, 1, 2]), [], 2);
  const state = await fed.initialize();
  await assert.rejects(fed.next(state, { transport: fakeTransport(new Set(), []), numClients: 4 }), {
    name: 'RoundFailedError',
    message: 'round 1 failed: only 1 of 4 clients returned a usable update, minClients is 2\n  - client 0 crashed\n  - client 1 crashed\n  - client 2 crashed',
  });
});
