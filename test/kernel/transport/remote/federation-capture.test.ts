/**
 * What an eavesdropper on the wire sees: the loopback traffic of a round,
 * captured with tcpdump, holds neither a known client update nor the global
 * weights; the same bytes sent in the clear beside it are found, so the
 * search itself can see them. Needs tcpdump (Debian package) and the right
 * to capture; skipped with a reason otherwise.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { fed } from '../../../../kernel/api/index';
import type { ClientTransport } from '../../../../kernel/transport/client-transport';
import type { Federation } from '../../../../kernel/transport/remote/federation-server';
import { clientArgs, exitWithin, freePort, makeKeys, spawnClient, tempDir, writeClientCsv, type ClientProcess } from './federation-fixtures';

const canCapture = spawnSync('tcpdump', ['--version']).status === 0 && process.getuid?.() === 0;
const dir = tempDir();
const NAMES = ['p', 'q'];
const keys = makeKeys(dir, ['server', ...NAMES]);
let port: number;
let remote: Federation;
const clients: ClientProcess[] = [];

before(async () => {
  if (!canCapture) return;
  port = await freePort();
  const listening = fed.federation.listen({
    port,
    minClients: 2,
    joinTimeoutMs: 60_000,
    keys: { server: keys.server.key, allow: NAMES.map((n) => keys[n].pub) },
    log: () => undefined,
  });
  NAMES.forEach((name, i) => {
    writeClientCsv(join(dir, `${name}.csv`), 50, 20 + i);
    clients.push(spawnClient(clientArgs({ port, serverKey: keys.server.pub, key: keys[name].key, data: join(dir, `${name}.csv`), name, backend: 'wasm' })));
  });
  remote = await listening;
});

after(async () => {
  await remote?.close();
  for (const c of clients) await exitWithin(c, 10_000).catch(() => undefined);
  await fed.shutdown();
});

/** Every 32-byte window of `bytes` at 16-byte steps: any one found in the capture counts. */
function windows(bytes: ArrayBufferView): Buffer[] {
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Buffer[] = [];
  for (let at = 0; at + 32 <= all.length; at += 16) out.push(all.subarray(at, at + 32));
  return out;
}

test('a captured round holds neither a client update nor the global weights in the clear', {
  skip: canCapture ? false : 'needs tcpdump and root (apt-get install tcpdump)',
}, async () => {
  const clearPort = await freePort();
  const sink = createServer((socket) => socket.resume());
  await new Promise<void>((r) => sink.listen(clearPort, '127.0.0.1', r));
  const pcap = join(dir, 'round.pcap');
  const tcpdump = spawn('tcpdump', ['-i', 'lo', '-U', '-s', '0', '-w', pcap, `tcp port ${port} or tcp port ${clearPort}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let tcpdumpErr = '';
  await new Promise<void>((ready, fail) => {
    tcpdump.stderr!.on('data', (d: Buffer) => {
      tcpdumpErr += d;
      if (/listening on/.test(tcpdumpErr)) ready();
    });
    tcpdump.on('exit', () => fail(new Error(`tcpdump stopped: ${tcpdumpErr}`)));
  });

  // Keep the updates as the server received them, to look for them on the wire.
  const updates: Float32Array[] = [];
  const seen: ClientTransport = {
    kind: 'remote',
    get numClients() {
      return remote.numClients;
    },
    train: async (request, signal) => {
      const outcome = await remote.transport.train(request, signal);
      updates.push(...outcome.results.map((r) => r.delta));
      return outcome;
    },
    evaluate: (request, signal) => remote.transport.evaluate(request, signal),
  };
  const algo = fed.fedAvg({
    model: fed.models.mlp({ hidden: [16], inputShape: [4], numClasses: 3 }),
    clientsPerRound: 2,
    seed: 4,
    backend: 'wasm',
    workers: 1,
  });
  const initial = await algo.initialize();
  const { metrics } = await algo.next(initial, { transport: seen, numClients: 2 });
  assert.equal(metrics.clients, 2);

  // The positive control: the same update sent in the clear on loopback, inside the same capture.
  await new Promise<void>((done) => {
    const socket = connect(clearPort, '127.0.0.1', () => socket.end(Buffer.from(updates[0].buffer), done));
  });
  // tcpdump writes each packet as it sees it (-U): wait until the control is on file, so nothing is cut off.
  const control = windows(updates[0])[0];
  for (const until = Date.now() + 5000; Date.now() < until && !readFileSync(pcap).includes(control); ) await new Promise((r) => setTimeout(r, 100));
  tcpdump.kill('SIGINT');
  await new Promise((r) => tcpdump.once('exit', r));
  sink.close();

  const captured = readFileSync(pcap);
  assert.ok(captured.length > 2000, `the capture is only ${captured.length} bytes`);
  const foundIn = (bytes: ArrayBufferView) => windows(bytes).filter((w) => captured.includes(w)).length;
  assert.ok(foundIn(updates[0]) > 0, 'the update sent in the clear was not found: the search cannot see updates');
  // Sent in the clear once (control) and through the federation (encrypted): only the control's windows may match,
  // so the second update and the broadcast weights, never sent in the clear, must match nowhere.
  assert.equal(foundIn(updates[1]), 0, 'a client update appears in the clear on the wire');
  assert.equal(foundIn(initial.weights), 0, 'the global weights appear in the clear on the wire');
});
