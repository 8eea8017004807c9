/**
 * Secure aggregation across processes: three `fedbook client` processes and a
 * scripted fourth client ('zed', a raw socket in this process running the
 * same SecAggSession) that drops out at a chosen step. The sum the server
 * unmasks equals the plain fixed-point sum of the survivors' inputs, bit for
 * bit, the inputs being what the same clients send in a plain round.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fed } from '../../../../kernel/api/index';
import { addInto } from '../../../../kernel/federated/privacy/secagg/fixed-point';
import type { TrainCohortRequest } from '../../../../kernel/transport/client-transport';
import { encodeUpdate } from '../../../../kernel/federated/aggregators/secure-encoding';
import { federationOfClientsForFile, joinScriptedZed } from './federation-fixtures';
import type { DropAt } from './scripted-secagg-client';
import type { SecurePlan } from '../../../../kernel/federated/aggregators/secure-stack';

const NAMES = ['alice', 'bob', 'carol'];
const federation = federationOfClientsForFile({
  names: NAMES,
  sizes: [30, 40, 50],
  seedBase: 40,
  extraKeys: ['zed'],
  heartbeatTimeoutMs: 1500,
});

const spec = fed.models.mlp({ hidden: [8], inputShape: [4], numClasses: 3 });
const zedDelta = (dimension: number) => Float32Array.from({ length: dimension }, (_, j) => ((j % 7) - 3) * 0.001);

/** The scripted client 'zed' (20 examples, a fixed update), dropping out at `dropAt`. */
const zed = (dropAt: DropAt) => joinScriptedZed(federation, zedDelta, dropAt);

/** The same cohort's plain round, then its secure round; returns the plain deltas and the secure outcome. */
async function plainThenSecure(round: number) {
  const weights = (await fed.fedAvg({ model: spec, clientsPerRound: 1, seed: 9 }).initialize()).weights;
  const config = { localEpochs: 1, batchSize: 8, clientLr: 0.1, optimizer: 'sgd' as const, proximalMu: 0 };
  const request: TrainCohortRequest = {
    round,
    spec,
    weights,
    deadlineMs: 0,
    clients: [0, 1, 2, 3].map((clientId) => ({ clientId, seed: 100 + clientId, config })),
  };
  const plain = await federation.remote.transport.train(request);
  assert.equal(plain.results.length, 4, JSON.stringify(plain.failures));
  const deltas = new Map(plain.results.map((r) => [r.clientId, r.delta]));
  const secure = await federation.remote.transport.secureTrain({ ...request, round: round + 1 }, { threshold: 3, bound: 1, stepTimeoutMs: 20_000 });
  return { deltas, secure };
}

/** The weight α_i the plan gave client `id`. */
function alphaOf(plan: SecurePlan, id: number): number {
  return plan.encodings[plan.cohort.findIndex((member) => member.clientId === id)].weight;
}

/** Σ over `ids` of each client's fixed-point input, as the protocol defines it, added mod 2^32. */
function plainFixedPointSum(ids: readonly number[], deltas: Map<number, Float32Array>, { plan }: { plan: SecurePlan }): Uint32Array {
  const sum = new Uint32Array(deltas.get(0)!.length);
  for (const id of ids) {
    const alpha = alphaOf(plan, id);
    addInto(sum, encodeUpdate(deltas.get(id)!, { weight: alpha, scale: plan.scale, bound: alpha * 1 }));
  }
  return sum;
}

test('no dropouts: the unmasked sum equals the plain fixed-point sum bit for bit', async () => {
  const close = await zed('never');
  try {
    const { deltas, secure } = await plainThenSecure(1);
    assert.deepEqual(secure.survivors, [0, 1, 2, 3]);
    assert.deepEqual(secure.failures, []);
    assert.deepEqual(Array.from(secure.words), Array.from(plainFixedPointSum([0, 1, 2, 3], deltas, secure)));
    assert.ok(secure.sum.some((v) => v !== 0));
    assert.deepEqual(secure.plan.encodings.reduce((a, e) => a + e.weight, 0).toFixed(12), (1).toFixed(12));
  } finally {
    close();
  }
});

test("a client dropping after sharing keys, before its masked input: the survivors' sum is recovered bit for bit", async () => {
  const close = await zed('inbox');
  try {
    const { deltas, secure } = await plainThenSecure(3);
    assert.deepEqual(secure.survivors, [0, 1, 2]);
    assert.deepEqual(secure.droppedAfterKeys, [3]);
    assert.deepEqual(
      secure.failures.map((f) => [f.clientId, f.reason]),
      [[3, 'dropped']],
    );
    assert.deepEqual(
      secure.clientStates.filter((c) => c.id !== null).map((c) => [c.id, c.state]),
      [
        [0, 'done'],
        [1, 'done'],
        [2, 'done'],
        [3, 'dropped'],
      ],
    );
    assert.deepEqual(Array.from(secure.words), Array.from(plainFixedPointSum([0, 1, 2], deltas, secure)));
  } finally {
    close();
  }
});

test('a client dropping after its masked input, before unmasking: its input stays in the sum, recovered bit for bit', async () => {
  const close = await zed('unmask');
  try {
    const { deltas, secure } = await plainThenSecure(5);
    assert.deepEqual(secure.survivors, [0, 1, 2, 3]);
    // Its masked input is in the sum: its update counted, so it is a done client of the round, not a failure;
    // its departure is noted on its state and counted apart from the dropouts before the masked input.
    assert.deepEqual(secure.failures, []);
    assert.deepEqual(secure.droppedAfterKeys, []);
    assert.deepEqual(secure.droppedAfterInput, [3]);
    assert.deepEqual(
      secure.clients.map((c) => c.clientId),
      [0, 1, 2, 3],
    );
    const zedState = secure.clientStates.find((c) => c.id === 3);
    assert.equal(zedState?.state, 'done');
    assert.equal(zedState?.reason, undefined);
    assert.match(zedState?.note ?? '', /^its masked input is in the sum; then: client 3 \('zed'\) /);
    assert.deepEqual(Array.from(secure.words), Array.from(plainFixedPointSum([0, 1, 2, 3], deltas, secure)));
  } finally {
    close();
  }
});

test("a masked input of the wrong length is left out as invalid; the others' sum is still recovered bit for bit", async () => {
  const close = await zed('short-masked');
  try {
    const { deltas, secure } = await plainThenSecure(7);
    assert.deepEqual(secure.survivors, [0, 1, 2]);
    assert.deepEqual(
      secure.failures.map((f) => [f.clientId, f.reason]),
      [[3, 'invalid']],
    );
    assert.match(secure.failures[0].message, /sent a masked input of \d+ words where \d+ were expected; left out of secure aggregation/);
    assert.deepEqual(Array.from(secure.words), Array.from(plainFixedPointSum([0, 1, 2], deltas, secure)));
  } finally {
    close();
  }
});

test('below the threshold the round fails with a clear message instead of unmasking anyone', async () => {
  const weights = (await fed.fedAvg({ model: spec, clientsPerRound: 1, seed: 9 }).initialize()).weights;
  const config = { localEpochs: 1, batchSize: 8, clientLr: 0.1, optimizer: 'sgd' as const, proximalMu: 0 };
  await assert.rejects(
    federation.remote.transport.secureTrain(
      { round: 9, spec, weights, deadlineMs: 0, clients: [0, 1].map((clientId) => ({ clientId, seed: clientId, config })) },
      { threshold: 3, bound: 1 },
    ),
    /round 9: only 2 clients can take part but the threshold is 3/,
  );
});
