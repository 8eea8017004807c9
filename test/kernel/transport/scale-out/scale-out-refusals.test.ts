/**
 * Wrong doors, each a clear message and an exit rather than a hang: a worker
 * with a key not on the allow-list, a data client at a scale-out server, and a
 * worker at a federation of clients.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fed } from '../../../../kernel/api/index';
import { BIN, clientArgs, exitWithin, freePort, makeKeys, spawnClient, tempDir, writeClientCsv, type ClientProcess } from '../remote/federation-fixtures';

const dir = tempDir();
const keys = makeKeys(dir, ['server', 'worker', 'stranger', 'client']);

function spawnWorker(port: number, key: string): ClientProcess {
  const args = [
    'worker',
    '--server',
    `tcp://127.0.0.1:${port}`,
    '--server-key',
    keys.server.pub,
    '--key',
    key,
    '--connect-timeout',
    '4',
    '--cache',
    join(dir, 'cache'),
  ];
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  const exited = new Promise<number | null>((done) => child.on('exit', (status, signal) => done(status ?? (signal ? -1 : null))));
  return { child, output: () => output, exited };
}

after(() => fed.shutdown());

test('scale-out server: a worker key not on the allow-list and a client with data are both turned away', async () => {
  const port = await freePort();
  const handle = await fed.federation.scaleOut({
    port,
    minWorkers: 0,
    keys: { server: keys.server.key, allow: [keys.worker.pub, keys.client.pub] },
    log: () => undefined,
  });
  try {
    const stranger = spawnWorker(port, keys.stranger.key);
    assert.equal(await exitWithin(stranger, 20_000), 1);
    assert.match(stranger.output(), /fedbook: the server at tcp:\/\/127\.0\.0\.1:\d+ refused this worker's key/);
    writeClientCsv(join(dir, 'c.csv'), 10, 1);
    const client = spawnClient(
      clientArgs({ port, serverKey: keys.server.pub, key: keys.client.key, data: join(dir, 'c.csv'), label: 'label' }, ['--connect-timeout', '4']),
    );
    assert.equal(await exitWithin(client, 20_000), 1);
    assert.match(
      client.output(),
      /the server refused this client: this address is a scale-out server: it takes 'fedbook worker' processes, not clients with data/,
    );
    assert.equal(handle.describe().refused.length, 1);
    assert.deepEqual(handle.describe().workers, []);
  } finally {
    await handle.close();
  }
});

test('federation of clients: a worker is told it knocked at the wrong door', async () => {
  const port = await freePort();
  const stop = new AbortController();
  const listening = fed.federation.listen({
    port,
    minClients: 1,
    keys: { server: keys.server.key, allow: [keys.worker.pub] },
    log: () => undefined,
    signal: stop.signal,
  });
  listening.catch(() => undefined);
  const worker = spawnWorker(port, keys.worker.key);
  try {
    assert.equal(await exitWithin(worker, 20_000), 1);
    assert.match(
      worker.output(),
      /the server refused this worker: this address is a federation of clients with their own data; 'fedbook worker' joins fed\.federation\.scaleOut/,
    );
  } finally {
    stop.abort();
    await assert.rejects(listening, /stopped waiting for clients/);
  }
});

test('fedbook worker without --key says what it needs', async () => {
  const child = spawn(process.execPath, [BIN, 'worker', '--server', 'tcp://127.0.0.1:1', '--server-key', keys.server.pub], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (d: Buffer) => (output += d));
  const status = await new Promise<number | null>((done) => child.on('exit', done));
  assert.equal(status, 2);
  assert.match(output, /fedbook: 'fedbook worker' needs --key FILE\n/);
  assert.match(output, /fedbook worker --server tcp:\/\/HOST:PORT --server-key KEY --key FILE/);
});

test('bad scale-out options fail fast with what to change', async () => {
  const model = fed.models.logistic({ inputShape: [2], numClasses: 2 });
  assert.throws(() => fed.fedAvg({ model, clientsPerRound: 1, scaleOut: {} as never }), {
    name: 'TypeError',
    message: 'fed.fedAvg: scaleOut must be the handle of await fed.federation.scaleOut({ port, keys })',
  });
  await assert.rejects(
    fed.federation.scaleOut({ port: 7001, keys: { server: keys.server.key, allow: [] } }),
    /keys must be \{ server: .*with at least one worker key/,
  );
  await assert.rejects(fed.federation.scaleOut({ port: 7001, minWorkers: -1, keys: { server: keys.server.key, allow: [keys.worker.pub] } }), /minWorkers/);
  await assert.rejects(
    fed.federation.scaleOut({ port: 7001, workers: 2, keys: { server: keys.server.key, allow: [keys.worker.pub] } } as never),
    /unknown option 'workers'/,
  );
});
