/** fed.federation.listen at its edges: exact messages for a busy port, a bad allow-list, nobody joining, bad options. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fed } from '../../../../kernel/api/index';
import { freePort, makeKeys, ROOT, tempDir } from './federation-fixtures';

const dir = tempDir();
const keys = makeKeys(dir, ['server', 'alice']);
const valid = { server: keys.server.key, allow: [keys.alice.pub] };
after(() => fed.shutdown());

test('nobody joining within joinTimeoutMs is a clear error, and the port is free again afterwards', async () => {
  const port = await freePort();
  let bound = '';
  await assert.rejects(
    fed.federation.listen({
      port,
      minClients: 2,
      keys: valid,
      joinTimeoutMs: 300,
      log: () => undefined,
      onListening: (address) => {
        bound = address;
      },
    }),
    new RegExp(`only 0 of 2 clients joined tcp://127\\.0\\.0\\.1:${port} within 0\\.3 s`),
  );
  assert.equal(bound, `tcp://127.0.0.1:${port}`);
  // ZeroMQ releases the port in its own thread: it is free again within a second.
  for (let attempt = 0; ; attempt++) {
    const again = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      again.once('error', () => resolve(false));
      again.listen(port, '127.0.0.1', () => resolve(true));
    });
    again.close();
    if (ok) break;
    assert.ok(attempt < 20, `port ${port} still in use 2 s after listen gave up`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

test("an abort (a notebook cell's interrupt) stops listen while it waits for clients", async () => {
  const controller = new AbortController();
  const port = await freePort();
  const listening = fed.federation.listen({
    port,
    minClients: 1,
    keys: valid,
    signal: controller.signal,
    log: () => undefined,
    onListening: () => setTimeout(() => controller.abort(), 100),
  });
  await assert.rejects(listening, new RegExp(`stopped waiting for clients at tcp://127\\.0\\.0\\.1:${port} \\(0 of 1 had joined\\)`));
});

test('a busy port, a missing key file and bad options each say what to change', async () => {
  const busy = createServer();
  const port = await new Promise<number>((resolve) => busy.listen(0, '127.0.0.1', () => resolve((busy.address() as { port: number }).port)));
  try {
    await assert.rejects(
      fed.federation.listen({ port, minClients: 1, keys: valid, log: () => undefined }),
      new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: Address already in use`),
    );
  } finally {
    busy.close();
  }
  await assert.rejects(
    fed.federation.listen({ port: 1, minClients: 1, keys: { server: valid.server, allow: [join(dir, 'nobody.pub')] } }),
    /keys\.allow\[0\]: '.*nobody\.pub' is neither a public key \(40 Z85 characters\) nor a readable \.pub file/,
  );
  await assert.rejects(
    fed.federation.listen({ port: 1, minClients: 1, keys: { server: valid.server, allow: [] } }),
    /keys\.allow is empty, so no client could join/,
  );
  await assert.rejects(fed.federation.listen({ port: 1, minClients: 0, keys: valid }), /fed\.federation\.listen: minClients must be an integer ≥ 1 \(got 0\)/);
  await assert.rejects(fed.federation.listen({ port: 1, minClients: 1, keys: valid, hots: 'x' } as never), /fed\.federation\.listen: unknown option 'hots'/);
});

test('fed.client.start joins from a script whose data is built in code, trains, and ends when the federation closes', async () => {
  const port = await freePort();
  const x = new Float32Array(40 * 4).map((_, i) => Math.fround(((i * 7919) % 13) / 13 - 0.5));
  const y = Int32Array.from({ length: 40 }, (_, i) => i % 3);
  const data = { x, y, exampleShape: [4], numClasses: 3, length: 40, name: 'in-code' };
  let client: Awaited<ReturnType<typeof fed.client.start>> | undefined;
  const remote = await fed.federation.listen({
    port,
    minClients: 1,
    keys: valid,
    log: () => undefined,
    onListening: (address) => {
      void fed.client
        .start({ server: address, serverKey: keys.server.pub, key: keys.alice.key, data, name: 'script', backend: 'wasm', log: () => undefined })
        .then((c) => {
          client = c;
        });
    },
  });
  const algo = fed.fedAvg({ model: fed.models.logistic({ inputShape: [4], numClasses: 3 }), clientsPerRound: 1, seed: 1, backend: 'wasm', workers: 1 });
  const { metrics } = await algo.next(await algo.initialize(), remote);
  assert.equal(metrics.clients, 1, JSON.stringify(metrics.failureDetails));
  await remote.close();
  assert.deepEqual(await client!.done, { rounds: 1, reason: 'the server closed the federation' });
  await assert.rejects(
    async () => fed.client.start({ server: 'tcp://127.0.0.1:1', serverKey: keys.server.pub, key: keys.alice.key, data: { rows: [] } as never }),
    /fed\.client\.start: data must be a dataset/,
  );
});

test('a server that dies without a word: the client says so after serverTimeoutMs instead of hanging', async () => {
  const port = await freePort();
  const script = join(dir, 'server.js');
  writeFileSync(
    script,
    `const { fed } = require(${JSON.stringify(join(ROOT, 'out', 'kernel', 'api', 'index.js'))});
fed.federation.listen({ port: ${port}, minClients: 1, keys: ${JSON.stringify(valid)}, log: () => undefined }).then(() => console.log('joined'));`,
  );
  const server = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const data = { x: new Float32Array(8), y: new Int32Array(2), exampleShape: [4], numClasses: 3, length: 2, name: 'tiny' };
  try {
    const client = await fed.client.start({
      server: `tcp://127.0.0.1:${port}`,
      serverKey: keys.server.pub,
      key: keys.alice.key,
      data,
      connectTimeoutMs: 10_000,
      serverTimeoutMs: 1500,
      log: () => undefined,
    });
    server.kill('SIGKILL');
    await assert.rejects(client.done, new RegExp(`the server at tcp://127\\.0\\.0\\.1:${port} stopped answering \\(nothing heard for 1\\.5 s\\)`));
  } finally {
    server.kill('SIGKILL');
  }
});
