/**
 * A simulation spread over this process and real `fedbook worker` processes on
 * loopback: the same weights as the run all in process (same backend), a user
 * dataset sent once and then found in the worker's disk cache, a built-in one
 * loaded there by name, and a worker killed with SIGKILL mid-run whose clients
 * train here instead; then, with clients slow enough to be caught training on
 * the worker: a SIGKILL mid-client, an aborted run, and a client past its deadline.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fed } from '../../../../kernel/api/index';
import { createDataset, sharedFloat32, sharedInt32 } from '../../../../kernel/data/dataset';
import type { FederatedData } from '../../../../kernel/federated/partition/federated-data';
import { RoundFailedError } from '../../../../kernel/federated/server-state';
import { createRng } from '../../../../kernel/federated/random';
import { RunInterruptedError, type RunResult } from '../../../../kernel/rounds/run-loop';
import type { ScaleOut } from '../../../../kernel/transport/scale-out/scale-out-server';
import { BIN, exitWithin, freePort, makeKeys, tempDir, waitForOutput, type ClientProcess } from '../remote/federation-fixtures';

const dir = tempDir();
const cacheDir = join(dir, 'cache');
const keys = makeKeys(dir, ['server', 'worker']);
const processes: ClientProcess[] = [];
const handles: ScaleOut[] = [];

/** A user dataset (no built-in origin): 240 examples, 4 features, 3 classes. */
function userPartition(): FederatedData {
  const rng = createRng(5);
  const n = 240;
  const x = sharedFloat32(n * 4);
  const y = sharedInt32(n);
  for (let i = 0; i < n; i++) {
    y[i] = Math.floor(rng.next() * 3);
    for (let j = 0; j < 4; j++) x[i * 4 + j] = (j % 3 === y[i] ? 1 : 0) + (rng.next() - 0.5);
  }
  return fed.partition(createDataset({ x, y, exampleShape: [4], numClasses: 3, name: 'user-table' }), { clients: 6, scheme: 'iid', seed: 1 });
}

const model = () => fed.models.mlp({ hidden: [8], inputShape: [4], numClasses: 3 });
const algorithm = (scaleOut?: ScaleOut, extra: { localEpochs?: number; clientDeadlineMs?: number } = {}) =>
  fed.fedAvg({
    model: model(),
    clientsPerRound: 4,
    localEpochs: 2,
    batchSize: 8,
    seed: 7,
    backend: 'wasm',
    workers: 1,
    ...extra,
    ...(scaleOut ? { scaleOut } : {}),
  });
/** Enough local epochs that a client is still training on the worker when the test acts on the worker's first finished client. */
const SLOW_EPOCHS = Number(process.env.SCALE_OUT_SLOW_EPOCHS ?? 300);
const slow = (scaleOut?: ScaleOut) => algorithm(scaleOut, { localEpochs: SLOW_EPOCHS });

function spawnWorker(port: number, cache = cacheDir): ClientProcess {
  const args = [
    'worker',
    '--server',
    `tcp://127.0.0.1:${port}`,
    '--server-key',
    keys.server.pub,
    '--key',
    keys.worker.key,
    '--name',
    'w1',
    '--threads',
    '1',
    '--cache',
    cache,
  ];
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => {
    output += d;
    if (process.env.SCALE_OUT_DEBUG) process.stderr.write(d);
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (status, signal) => done(status ?? (signal ? -1 : null))));
  const worker = { child, output: () => output, exited };
  processes.push(worker);
  return worker;
}

/** A scale-out server on a free loopback port with one worker process joined. */
async function withWorker(options: { cache?: string; maxMessageBytes?: number } = {}): Promise<{ handle: ScaleOut; worker: ClientProcess }> {
  const port = await freePort();
  const listening = fed.federation.scaleOut({
    port,
    ...(options.maxMessageBytes ? { maxMessageBytes: options.maxMessageBytes } : {}),
    minWorkers: 1,
    joinTimeoutMs: 60_000,
    heartbeatTimeoutMs: 2000,
    keys: { server: keys.server.key, allow: [keys.worker.pub] },
    log: process.env.SCALE_OUT_DEBUG ? (line) => console.error(line) : () => undefined,
  });
  const worker = spawnWorker(port, options.cache);
  const handle = await listening;
  handles.push(handle);
  return { handle, worker };
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

const clients = userPartition();
let allLocal: RunResult;

before(async () => {
  process.env.FEDBOOK_RUNS_DIR = mkdtempSync(join(tmpdir(), 'fedbook-runs-'));
  allLocal = await algorithm().run({ rounds: 3, clients });
});

after(async () => {
  // Workers leave first (SIGTERM: they say goodbye), then the servers close: libzmq 4.3.5 once aborted the test
  // process (pipe.cpp:355) when a server closed its socket while a worker was closing its end at the same moment.
  for (const { child } of processes) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  for (const p of processes) await exitWithin(p, 10_000).catch(() => undefined);
  for (const handle of handles) await handle.close();
  await fed.shutdown();
});

test('one worker process: the weights equal the all-in-process run bit for bit, and the user dataset is sent once', async () => {
  const { handle, worker } = await withWorker();
  const result = await algorithm(handle).run({ rounds: 3, clients });
  assert.ok(sameBits(result.state.weights, allLocal.state.weights), 'the scaled-out run gave other weights than the all-local run');
  const described = handle.describe();
  assert.equal(described.datasetsSent, 1);
  assert.equal(described.workers[0].name, 'w1');
  // 4 clients a round dealt over one local thread and one worker thread: 2 each, for 3 rounds.
  assert.equal(described.workers[0].clientsTrained, 6);
  assert.deepEqual(result.rounds[0].scaleOut, { here: 2, workers: { w1: 2 } });
  assert.equal(result.rounds[0].transport, 'scale-out');
  await waitForOutput(worker, /dataset 'user-table' \([0-9a-f]{12}\) received from the server and cached/, 5000);
  await handle.close();
  assert.equal(await exitWithin(worker, 10_000), 0);
});

test('a new worker process with the same cache: the dataset comes from the disk cache, nothing is sent', async () => {
  const { handle, worker } = await withWorker();
  const result = await algorithm(handle).run({ rounds: 3, clients });
  assert.ok(sameBits(result.state.weights, allLocal.state.weights));
  assert.equal(handle.describe().datasetsSent, 0);
  await waitForOutput(worker, /dataset 'user-table' \([0-9a-f]{12}\) from the cache in /, 5000);
  assert.doesNotMatch(worker.output(), /received from the server/);
});

test('a built-in dataset loads on the worker by name', async () => {
  const handle = handles.at(-1)!;
  const { train } = fed.datasets.synthetic({ alpha: 0, beta: 0, seed: 3, devices: 5 });
  const synthetic = fed.partition(train, { clients: 4, scheme: 'iid', seed: 2 });
  const options = { model: fed.models.logistic({ inputShape: [60], numClasses: 10 }), clientsPerRound: 2, seed: 1, backend: 'wasm' as const, workers: 1 };
  const local = await fed.fedAvg(options).run({ rounds: 1, clients: synthetic });
  const spread = await fed.fedAvg({ ...options, scaleOut: handle }).run({ rounds: 1, clients: synthetic });
  assert.ok(sameBits(spread.state.weights, local.state.weights));
  assert.deepEqual(spread.rounds[0].scaleOut, { here: 1, workers: { w1: 1 } });
  assert.equal(handle.describe().datasetsSent, 0);
  await waitForOutput(processes.at(-1)!, /loaded here by name \(synthetic train\)/, 5000);
});

test('SIGKILL of the worker mid-run: its clients train here instead, the run completes with the same weights', async () => {
  const { handle, worker } = await withWorker();
  const result = await algorithm(handle).run({
    rounds: 3,
    clients,
    onRound: async (metrics) => {
      if (metrics.round !== 1) return;
      worker.child.kill('SIGKILL');
      await worker.exited;
    },
  });
  assert.ok(sameBits(result.state.weights, allLocal.state.weights));
  const [first, second, third] = result.rounds;
  assert.deepEqual(first.scaleOut, { here: 2, workers: { w1: 2 } });
  // Round 2 was dealt to the dead worker (the server had not noticed yet): its two clients were retrained here.
  assert.deepEqual(second.scaleOut, { here: 2, workers: {}, retriedHere: 2 });
  assert.equal(second.failures, 0);
  assert.deepEqual(third.scaleOut, { here: 4, workers: {} });
  assert.equal(handle.describe().workers[0].state, 'gone');

  // Restarted under the same name and key, the worker takes its slot back and trains in the next round.
  spawnWorker(Number(handle.address.split(':').at(-1)));
  await handle.waitForWorkers(1, 30_000);
  const step = await algorithm(handle).next(result.state, clients);
  assert.deepEqual(step.metrics.scaleOut, { here: 2, workers: { w1: 2 } });
  assert.deepEqual(
    handle.describe().workers.map((w) => [w.name, w.state]),
    [['w1', 'connected']],
  );
});

test('a dataset too large for the wire: the worker is told, fails those clients, and they train here', async () => {
  // 2,000 bytes carry the weights (67 floats) and a client's indices, not the 4.8 kB dataset.
  const { handle, worker } = await withWorker({ cache: join(dir, 'empty-cache'), maxMessageBytes: 2000 });
  const result = await algorithm(handle).run({ rounds: 1, clients });
  const local = await algorithm().run({ rounds: 1, clients });
  assert.ok(sameBits(result.state.weights, local.state.weights));
  assert.deepEqual(result.rounds[0].scaleOut, { here: 2, workers: {}, retriedHere: 2 });
  assert.equal(handle.describe().datasetsSent, 0);
  await waitForOutput(
    worker,
    /client \d+ failed: the server cannot send dataset [0-9a-f]{12}: dataset 'user-table' cannot be sent: message is \d+ bytes, at most 2000 are allowed/,
    5000,
  );
});

/** The worker trains its two clients one after the other (one thread): once it reports the first, the second is training. */
const FIRST_ON_WORKER = /round 1: client \d+ trained on/;
const trainedLines = (worker: ClientProcess) => worker.output().match(/round \d+: client \d+ trained on/g) ?? [];

test('SIGKILL of the worker while it trains a client: the round completes here with the all-local weights', async () => {
  const local = await slow().run({ rounds: 1, clients });
  const { handle, worker } = await withWorker();
  const running = slow(handle).run({ rounds: 1, clients });
  await waitForOutput(worker, FIRST_ON_WORKER, 120_000);
  worker.child.kill('SIGKILL');
  await worker.exited;
  const result = await running;
  assert.equal(trainedLines(worker).length, 1, 'the worker finished its second client before the kill: raise SCALE_OUT_SLOW_EPOCHS');
  assert.ok(sameBits(result.state.weights, local.state.weights), 'the round retrained here gave other weights than the all-local run');
  const spread = result.rounds[0].scaleOut!;
  // The killed client is retrained here; the first one too if its result was still in the dead worker's send queue.
  assert.ok((spread.retriedHere ?? 0) >= 1, `nothing was retrained here: ${JSON.stringify(spread)}`);
  assert.equal(spread.here, 2);
  assert.equal((spread.workers.w1 ?? 0) + (spread.retriedHere ?? 0), 2);
  assert.equal(result.rounds[0].failures, 0);
  assert.equal(handle.describe().workers[0].state, 'gone');
});

test('aborting a run while the worker trains: the run ends as aborted, the worker is told to stop and serves the next run', async () => {
  const { handle, worker } = await withWorker();
  const controller = new AbortController();
  const running = slow(handle).run({ rounds: 2, clients, signal: controller.signal });
  await waitForOutput(worker, FIRST_ON_WORKER, 120_000);
  controller.abort();
  const error = await running.then(
    () => assert.fail('the aborted run resolved'),
    (e: unknown) => e as RunInterruptedError,
  );
  assert.ok(error instanceof RunInterruptedError, String(error));
  assert.equal(error.run.status, 'aborted');
  assert.equal(error.run.rounds.length, 0);
  // The server sent 'cancel': the worker stops its client between two batches instead of finishing it.
  await waitForOutput(worker, /round 1: client \d+ stopped \(aborted\)/, 60_000);
  assert.equal(trainedLines(worker).length, 1);
  assert.deepEqual(
    handle.describe().workers.map((w) => [w.name, w.state]),
    [['w1', 'connected']],
  );

  const result = await algorithm(handle).run({ rounds: 3, clients });
  assert.ok(sameBits(result.state.weights, allLocal.state.weights), 'the run after the abort gave other weights than the all-local run');
  assert.deepEqual(result.rounds[0].scaleOut, { here: 2, workers: { w1: 2 } });
});

test('a client past its deadline on the worker is a timeout failure, not retrained here', async () => {
  const handle = handles.at(-1)!;
  // Every client misses a 1 ms deadline, here and on the worker: the round fails, listing each one's failure.
  const error = await algorithm(handle, { localEpochs: SLOW_EPOCHS, clientDeadlineMs: 1 })
    .next(allLocal.state, clients)
    .then(
      () => assert.fail('a round where every client missed its deadline succeeded'),
      (e: unknown) => e as RoundFailedError,
    );
  assert.ok(error instanceof RoundFailedError, String(error));
  const onWorker = error.failures.filter((f) => / \(on worker 'w1'\)$/.test(f.message));
  assert.equal(onWorker.length, 2, JSON.stringify(error.failures));
  for (const failure of onWorker) {
    assert.equal(failure.reason, 'timeout');
    assert.match(failure.message, /^client \d+ exceeded its deadline of 1 ms \(on worker 'w1'\)$/);
  }
  assert.equal(error.failures.length, 4);
  assert.deepEqual(
    handle.describe().workers.map((w) => [w.name, w.state, w.failures]),
    [['w1', 'connected', 0]],
  );
});
