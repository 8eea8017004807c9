/** fed.federation.listen at its edges: exact messages for a busy port, a bad allow-list, nobody joining, bad options. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fed } from '../../../kernel/api/index';
import { freePort, makeKeys, tempDir } from './federation-fixtures';

const dir = tempDir();
const keys = makeKeys(dir, ['server', 'alice']);
const valid = { server: keys.server.key, allow: [keys.alice.pub] };
after(() => fed.shutdown());

test('nobody joining within joinTimeoutMs is a clear error, and the port is free again afterwards', async () => {
  const port = await freePort();
  let bound = '';
  await assert.rejects(
    fed.federation.listen({ port, minClients: 2, keys: valid, joinTimeoutMs: 300, log: () => undefined, onListening: (address) => { bound = address; } }),
    new RegExp(`only 0 of 2 clients joined tcp://127\\.0\\.0\\.1:${port} within 0\\.3 s`),
  );
  assert.equal(bound, `tcp://127.0.0.1:${port}`);
  // ZeroMQ releases the port in its own thread: it is free again within a second.
  for (let attempt = 0; ; attempt++) {
    const again = createServer();
    const ok = await new Promise<boolean>((resolve) => { again.once('error', () => resolve(false)); again.listen(port, '127.0.0.1', () => resolve(true)); });
    again.close();
    if (ok) break;
    assert.ok(attempt < 20, `port ${port} still in use 2 s after listen gave up`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

test('an abort (a notebook cell\'s interrupt) stops listen while it waits for clients', async () => {
  const controller = new AbortController();
  const port = await freePort();
  const listening = fed.federation.listen({ port, minClients: 1, keys: valid, signal: controller.signal, log: () => undefined, onListening: () => setTimeout(() => controller.abort(), 100) });
  await assert.rejects(listening, new RegExp(`stopped waiting for clients at tcp://127\\.0\\.0\\.1:${port} \\(0 of 1 had joined\\)`));
});

test('a busy port, a missing key file and bad options each say what to change', async () => {
  const busy = createServer();
  const port = await new Promise<number>((resolve) => busy.listen(0, '127.0.0.1', () => resolve((busy.address() as { port: number }).port)));
  try {
    await assert.rejects(fed.federation.listen({ port, minClients: 1, keys: valid, log: () => undefined }), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: Address already in use`));
  } finally {
    busy.close();
  }
  await assert.rejects(fed.federation.listen({ port: 1, minClients: 1, keys: { server: valid.server, allow: [join(dir, 'nobody.pub')] } }),
    /keys\.allow\[0\]: '.*nobody\.pub' is neither a public key \(40 Z85 characters\) nor a readable \.pub file/);
  await assert.rejects(fed.federation.listen({ port: 1, minClients: 1, keys: { server: valid.server, allow: [] } }), /keys\.allow is empty, so no client could join/);
  await assert.rejects(fed.federation.listen({ port: 1, minClients: 0, keys: valid }), /fed\.federation\.listen: minClients must be an integer ≥ 1 \(got 0\)/);
  await assert.rejects(fed.federation.listen({ port: 1, minClients: 1, keys: valid, hots: 'x' } as never), /fed\.federation\.listen: unknown option 'hots'/);
});
