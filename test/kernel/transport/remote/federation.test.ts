/**
 * A federation across real processes, on loopback: three `fedbook client`
 * processes, each with its own CSV, and the server in this process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fed } from '../../../../kernel/api/index';
import type { Federation } from '../../../../kernel/transport/remote/federation-server';
import {
  clientArgs,
  exitWithin,
  freePort,
  makeKeys,
  spawnClient,
  splitOfCsvs,
  tempDir,
  waitForOutput,
  writeClientCsv,
  type ClientProcess,
} from './federation-fixtures';
import { connectRawClient, type Train } from './raw-client';

const NAMES = ['alice', 'bob', 'carol'];
const MAX_MESSAGE_BYTES = 1 << 20;
const SIZES = [40, 55, 30];
const dir = tempDir();
const keys = makeKeys(dir, ['server', ...NAMES, 'mallory', 'eve']);
const csv = (name: string) => join(dir, `${name}.csv`);
let port: number;
let remote: Federation;
const clients: ClientProcess[] = [];

const model = () => fed.models.mlp({ hidden: [8], inputShape: [4], numClasses: 3 });
const algorithm = () => fed.fedAvg({ model: model(), clientsPerRound: 2, localEpochs: 2, batchSize: 8, clientLr: 0.1, seed: 11, backend: 'wasm', workers: 1 });

function argsFor(name: string, extra: string[] = []): string[] {
  return clientArgs({ port, serverKey: keys.server.pub, key: keys[name].key, data: csv(name), label: 'label', name, backend: 'wasm' }, extra);
}

before(async () => {
  NAMES.forEach((name, i) => writeClientCsv(csv(name), SIZES[i], 100 + i));
  port = await freePort();
  const listening = fed.federation.listen({
    port,
    minClients: 3,
    joinTimeoutMs: 60_000,
    heartbeatTimeoutMs: 3000,
    deadlineMs: 60_000,
    maxMessageBytes: MAX_MESSAGE_BYTES,
    keys: { server: keys.server.key, allow: [...NAMES, 'eve'].map((name) => keys[name].pub) },
    log: () => undefined,
  });
  // Started in reverse order: ids follow names, not arrival.
  for (const name of [...NAMES].reverse()) clients.push(spawnClient(argsFor(name)));
  remote = await listening;
});

after(async () => {
  await remote?.close();
  await Promise.all(clients.map((c) => exitWithin(c, 10_000).catch(() => undefined)));
  await fed.shutdown();
});

const simulatedSplit = () => splitOfCsvs(NAMES.map(csv));

test('three client processes train rounds whose global model is bit-identical to the in-process simulation', async () => {
  const described = remote.describe();
  assert.deepEqual(
    described.clients.map((c) => [c.id, c.name, c.state, c.examples]),
    NAMES.map((name, i) => [i, name, 'connected', SIZES[i]]),
  );

  const simulated = algorithm();
  let simState = await simulated.initialize();
  const split = await simulatedSplit();
  const federated = algorithm();
  let state = await federated.initialize();
  // Client-side evaluation too: each client holds out a seeded share of its own examples, split as in process.
  const clientEvaluation = { fraction: 1, heldOut: { share: 0.25, seed: 11 } };
  for (let round = 1; round <= 3; round++) {
    const sim = await simulated.next(simState, split, { clientEvaluation });
    simState = sim.state;
    const step = await federated.next(state, remote, { clientEvaluation });
    state = step.state;
    assert.equal(step.metrics.clientAccuracyMean, sim.metrics.clientAccuracyMean);
    assert.equal(typeof step.metrics.clientAccuracyMean, 'number');
    assert.equal(step.metrics.clients, 2, `round ${round}: ${JSON.stringify(step.metrics.failureDetails)}`);
    assert.equal(step.metrics.failures, 0);
    assert.ok(step.metrics.bytesUp > 0 && step.metrics.bytesDown > 0);
  }
  assert.equal(state.weights.length, simState.weights.length);
  assert.ok(Buffer.from(state.weights.buffer).equals(Buffer.from(simState.weights.buffer)), 'remote and simulated weights differ');
  assert.notDeepEqual(Array.from(state.weights), Array.from((await federated.initialize()).weights), 'training changed nothing');
});

test('a client whose key is not on the allow-list cannot join, and the server records the refusal', async () => {
  const intruder = spawnClient(
    clientArgs({ port, serverKey: keys.server.pub, key: keys.mallory.key, data: csv('alice'), label: 'label', name: 'mallory' }, ['--connect-timeout', '3']),
  );
  const status = await exitWithin(intruder, 20_000);
  assert.equal(status, 1, intruder.output());
  assert.match(intruder.output(), /refused this client's key|not on its allow-list/);
  assert.ok(
    remote.describe().refused.some((r) => r.publicKey === keys.mallory.publicKey),
    JSON.stringify(remote.describe().refused),
  );
  assert.ok(!remote.describe().clients.some((c) => c.name === 'mallory'));
  // Refused since the last round: counted with the clients' states, as the next round's record will list it.
  assert.ok(
    remote.describe().counts.some((c) => c.state === 'refused' && c.count >= 1),
    JSON.stringify(remote.describe().counts),
  );
});

test('a client pinning the wrong server key gives up with a clear message', async () => {
  const lost = spawnClient(
    clientArgs({ port, serverKey: keys.mallory.pub, key: keys.alice.key, data: csv('alice'), label: 'label', name: 'alice-2' }, ['--connect-timeout', '2']),
  );
  assert.equal(await exitWithin(lost, 20_000), 1, lost.output());
  assert.match(lost.output(), /handshake did not complete within 2 s: the server key given \(--server-key\) is probably not this server's/);
});

test('an unreachable server gives a clear message, no hang', async () => {
  const closedPort = await freePort();
  const lonely = spawnClient(
    clientArgs({ port: closedPort, serverKey: keys.server.pub, key: keys.alice.key, data: csv('alice'), label: 'label' }, ['--connect-timeout', '2']),
  );
  assert.equal(await exitWithin(lonely, 20_000), 1, lonely.output());
  assert.match(lonely.output(), new RegExp(`cannot reach the server at tcp://127.0.0.1:${closedPort}`));
});

test("a model the clients' data does not fit: a failure record on the server, a message on the client", async () => {
  const wrong = fed.fedAvg({
    model: fed.models.mlp({ hidden: [4], inputShape: [5], numClasses: 3 }),
    clientsPerRound: 3,
    seed: 1,
    backend: 'wasm',
    workers: 1,
    minClients: 0,
  });
  const { metrics, failures } = await wrong.next(await wrong.initialize(), remote);
  assert.equal(metrics.clients, 0);
  assert.deepEqual(
    failures.map((f) => f.reason),
    ['invalid', 'invalid', 'invalid'],
  );
  assert.match(failures[0].message, /expects examples of shape \[5\] \(5 values\) but this client's data has shape \[4\]/);
  await waitForOutput(clients[0], /the server left you out: the model expects examples of shape \[5\]/, 5000);
});

test('forged, truncated, oversized and replayed messages from an admitted client are turned away and recorded; the others go on', async () => {
  const eve = connectRawClient(remote, port, keys.eve.key, 'eve');
  const { next } = eve;
  try {
    await eve.join();
    const algo = fed.fedAvg({ model: model(), clientsPerRound: 4, seed: 5, backend: 'wasm', workers: 1 });
    const round = algo.next(await algo.initialize(), remote);
    const task = (await next('train')) as Train;
    const answer = eve.zeroAnswer(task);
    await eve.socket.send(answer);
    await eve.socket.send(answer); // replayed
    await eve.socket.send(eve.zeroAnswer(task, 'made-up'));
    await eve.socket.send([answer[0]]); // truncated: the delta's frame is missing
    await eve.socket.send([answer[0], Buffer.alloc(MAX_MESSAGE_BYTES)]); // oversized
    const { metrics } = await round;
    assert.equal(metrics.clients, 4, JSON.stringify(metrics.failureDetails));
    await new Promise((r) => setTimeout(r, 300));
    const reasons = remote
      .describe()
      .rejected.filter((r) => r.client === 'eve')
      .map((r) => r.reason)
      .join('\n');
    assert.match(reasons, /replayed: the task was already answered/);
    assert.match(reasons, /unknown task id/);
    assert.match(reasons, /malformed message: array refers to frame 1, the message has 0 binary frames/);
    assert.match(reasons, /malformed message: message is \d+ bytes, at most 1048576 are allowed/);
    await next('notice');
    // The server keeps serving the processes: a round without eve completes.
    eve.socket.close();
    const after = fed.fedAvg({ model: model(), clientsPerRound: 3, seed: 6, backend: 'wasm', workers: 1 });
    const later = await after.next(await after.initialize(), remote);
    assert.ok(later.metrics.clients >= 2, JSON.stringify(later.metrics.failureDetails));
  } finally {
    if (!eve.socket.closed) eve.socket.close();
  }
});
