/** A remote client's secure-aggregation steps: which round's session a step reaches. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientWork } from '../../../../kernel/transport/remote/client-work';
import { createSecureSteps } from '../../../../kernel/transport/remote/secure-steps';
import { PROTOCOL_VERSION, type SecureTrainMessage } from '../../../../kernel/transport/remote/wire';

/** Training that returns a fixed update at once. */
const work: ClientWork = {
  train: async () => ({ status: 'ok', delta: new Float32Array([0.5, -0.25]), numExamples: 4, trainLoss: 1, trainAccuracy: 0.5, backend: 'test', ms: 1 }),
  evaluate: async () => ({ lossSum: 0, correct: 0, count: 0, backend: 'test' }),
  cancel: () => undefined,
};

const secureTrain = (round: number, task: string) =>
  ({
    type: 'secure-train',
    task,
    clientId: 0,
    spec: {} as SecureTrainMessage['spec'],
    weights: new Float32Array(2),
    seed: 1,
    config: {} as SecureTrainMessage['config'],
    deadlineMs: 1000,
    secagg: { threshold: 1, encoding: { weight: 1, bound: 1, scale: 1024 } },
    v: PROTOCOL_VERSION,
    round,
  }) as const;

test("a secure-train starts the client's only secure round: a session left by an earlier run's higher round is dropped", async () => {
  const steps = createSecureSteps();
  // An earlier run's round 5, aborted after the keys: its session must not outlive the run.
  assert.equal((await steps.step(secureTrain(5, 'a'), work)).type, 'sa-keys');
  // The next run starts again at round 1 over the same federation.
  assert.equal((await steps.step(secureTrain(1, 'b'), work)).type, 'sa-keys');
  await assert.rejects(steps.step({ type: 'sa-roster', task: 'c', indices: [0], keys: new Uint8Array(64), v: PROTOCOL_VERSION, round: 5 }, work), {
    message: 'no secure-aggregation session for round 5 (this client did not train in it)',
  });
});
