/** The federation's pure parts: frames, keys, the task book's verdicts on late, replayed and forged answers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadClientData } from '../../../../kernel/cli/federation-commands';
import { join } from 'node:path';
import { helloProof, newKeyPair, verifyHelloProof, z85Decode, z85Encode } from '../../../../kernel/transport/remote/keys';
import { TaskBook, type TaskAnswer } from '../../../../kernel/transport/remote/task-book';
import { decodeClientMessage, decodeServerMessage, encodeMessage, PROTOCOL_VERSION, type TrainReply } from '../../../../kernel/transport/remote/wire';
import { BIN, tempDir } from './federation-fixtures';

const trainMessage = {
  type: 'train' as const,
  task: 't1',
  clientId: 2,
  spec: { kind: 'logistic' as const, inputShape: [4], numClasses: 3 },
  weights: new Float32Array([0.5, -1.25, 3]),
  seed: 7,
  deadlineMs: 0,
  config: { localEpochs: 1, batchSize: Infinity, clientLr: 0.1, optimizer: 'sgd' as const, proximalMu: 0, correction: new Float32Array([1e-7, 2]) },
};

test('a train message travels as a JSON header plus one binary frame per typed array, and decodes to equal values', () => {
  const frames = encodeMessage(trainMessage, 4);
  assert.equal(frames.length, 3);
  assert.equal(frames[1].length, 12);
  assert.equal(frames[2].length, 8);
  assert.ok(!frames[0].toString().includes('-1.25'), 'weights must not be spelt out in JSON');
  const decoded = decodeServerMessage(frames);
  assert.equal(decoded.v, PROTOCOL_VERSION);
  assert.equal(decoded.round, 4);
  assert.deepEqual(decoded, { ...trainMessage, v: PROTOCOL_VERSION, round: 4 });
  assert.equal((decoded as typeof trainMessage).config.batchSize, Infinity);
});

test('a Buffer travels as a binary frame like any Uint8Array (not through its toJSON)', () => {
  const frames = encodeMessage({ type: 'sa-masked', task: 't', masked: new Uint32Array([1, 2]) }, 1);
  assert.equal(frames.length, 2);
  const keys = encodeMessage({ type: 'sa-shares', task: 't', to: [1], ciphertexts: Buffer.from([9, 8, 7]) }, 1);
  assert.equal(keys.length, 2);
  assert.deepEqual(Array.from((decodeClientMessage(keys) as { ciphertexts: Uint8Array }).ciphertexts), [9, 8, 7]);
});

test('truncated, oversized, forged-version and mistyped messages are refused with a reason', () => {
  const reply: TrainReply = {
    type: 'train-result',
    task: 't',
    status: 'ok',
    delta: new Float32Array(4),
    numExamples: 3,
    trainLoss: 0.5,
    trainAccuracy: 1,
    backend: 'wasm',
    ms: 1,
  };
  const frames = encodeMessage(reply, 1);
  assert.throws(() => decodeClientMessage(frames.slice(0, 1)), /refers to frame 1, the message has 0 binary frames/);
  assert.throws(() => decodeClientMessage([frames[0], frames[1].subarray(0, 7)]), /7 bytes, not a whole number of f32 values/);
  assert.throws(() => decodeClientMessage([...frames, Buffer.alloc(4)]), /2 binary frames but its header refers to 1/);
  assert.throws(() => decodeClientMessage(frames, { maxMessageBytes: 40 }), /at most 40 are allowed/);
  const header = (edit: (h: Record<string, unknown>) => void) => {
    const h = JSON.parse(frames[0].toString());
    edit(h);
    return [Buffer.from(JSON.stringify(h)), frames[1]];
  };
  assert.throws(
    () =>
      decodeClientMessage(
        header((h) => {
          h.v = PROTOCOL_VERSION + 1;
        }),
      ),
    new RegExp(`protocol version ${PROTOCOL_VERSION + 1} is not spoken here`),
  );
  assert.throws(
    () =>
      decodeClientMessage(
        header((h) => {
          delete h.round;
        }),
      ),
    /round must be a non-negative integer/,
  );
  assert.throws(
    () =>
      decodeClientMessage(
        header((h) => {
          h.type = 'train';
        }),
      ),
    /unknown message type "train"/,
  );
  assert.throws(
    () =>
      decodeClientMessage(
        header((h) => {
          h.numExamples = '3';
        }),
      ),
    /field 'numExamples' must be an integer \(got "3"\)/,
  );
  assert.throws(() => decodeClientMessage([Buffer.from('{"v":1,')]), /not valid JSON/);
});

test('Z85 round-trips a CurveZMQ key, and a hello proof holds only for its own key and name', () => {
  const server = newKeyPair();
  const alice = newKeyPair();
  const bob = newKeyPair();
  assert.equal(z85Encode(z85Decode(alice.publicKey)), alice.publicKey);
  assert.equal(z85Encode(Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b])), 'HelloWorld'); // the RFC 32 test vector
  const proof = helloProof(alice, server.publicKey, 'alice');
  assert.equal(verifyHelloProof(server, alice.publicKey, 'alice', proof), true);
  assert.equal(verifyHelloProof(server, alice.publicKey, 'mallory', proof), false);
  assert.equal(verifyHelloProof(server, bob.publicKey, 'alice', proof), false);
});

test('fedbook keys new writes the key pair with mode 0600 and refuses to overwrite it', () => {
  const dir = tempDir();
  const first = spawnSync(process.execPath, [BIN, 'keys', 'new', '--out', join(dir, 'k'), '--name', 'server'], { encoding: 'utf8' });
  assert.equal(first.status, 0, first.stderr);
  const pair = JSON.parse(readFileSync(join(dir, 'k', 'server.key'), 'utf8'));
  assert.equal(statSync(join(dir, 'k', 'server.key')).mode & 0o777, 0o600);
  assert.equal(readFileSync(join(dir, 'k', 'server.pub'), 'utf8').trim(), pair.publicKey);
  assert.match(first.stdout, new RegExp(`public key: ${pair.publicKey.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const again = spawnSync(process.execPath, [BIN, 'keys', 'new', '--out', join(dir, 'k'), '--name', 'server'], { encoding: 'utf8' });
  assert.equal(again.status, 1);
  assert.match(again.stderr, /server\.key already exists/);
});

test('the task book accepts one answer per task, and records late, replayed and forged ones', async () => {
  const book = new TaskBook();
  const answers: TaskAnswer[] = [];
  const reply = (task: string): TrainReply => ({
    type: 'train-result',
    task,
    status: 'ok',
    delta: new Float32Array(1),
    numExamples: 1,
    trainLoss: 0,
    trainAccuracy: 0,
    backend: 'wasm',
    ms: 0,
  });
  book.add('a', { clientName: 'alice', clientId: 0, round: 3, kind: 'train', expects: 'train-result', settle: (x) => answers.push(x) }, 0, '');
  book.add('b', { clientName: 'bob', clientId: 1, round: 3, kind: 'train', expects: 'train-result', settle: (x) => answers.push(x) }, 20, 'bob timed out');
  assert.deepEqual(book.answer('bob', 3, reply('a'), 10), { accepted: false, reason: "the task belongs to client 'alice'" });
  assert.deepEqual(book.answer('alice', 2, reply('a'), 10), { accepted: false, reason: "round 2 does not match the task's round 3" });
  assert.deepEqual(book.answer('alice', 3, reply('a'), 10), { accepted: true });
  assert.deepEqual(book.answer('alice', 3, reply('a'), 10), { accepted: false, reason: 'replayed: the task was already answered' });
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(book.answer('bob', 3, reply('b'), 10), { accepted: false, reason: 'late: the task had passed its deadline' });
  assert.deepEqual(
    answers.map((a) => (a.ok ? 'ok' : a.failure.reason)),
    ['ok', 'timeout'],
  );
  // A task the run gave up on (an interrupt): its answer, when it comes, is turned away as cancelled, not as late.
  book.add('c', { clientName: 'carol', clientId: 2, round: 3, kind: 'train', expects: 'train-result', settle: (x) => answers.push(x) }, 0, '');
  assert.deepEqual(book.failTasks(['c'], 'aborted', 'the run was aborted'), ['c']);
  assert.deepEqual(book.answer('carol', 3, reply('c'), 10), { accepted: false, reason: 'cancelled: the run was aborted before this answer came' });
  assert.equal(book.rejected.length, 5);
  assert.equal(book.takeRejectedCount(), 5);
  assert.equal(book.takeRejectedCount(), 0);
});

test('a client loads its data from a CSV or from a JS module exporting a dataset or a function giving one', async () => {
  const dir = tempDir();
  const moduleText =
    'module.exports = () => ({ x: new Float32Array([1, 2, 3, 4]), y: new Int32Array([0, 1]), exampleShape: [2], numClasses: 2, length: 2, name: "m" });';
  writeFileSync(join(dir, 'data.cjs'), moduleText);
  writeFileSync(
    join(dir, 'data.mjs'),
    'export const dataset = { x: new Float32Array([1, 2]), y: new Int32Array([1]), exampleShape: [2], numClasses: 2, length: 1, name: "e" };',
  );
  writeFileSync(join(dir, 'bad.js'), 'module.exports = { rows: [] };');
  writeFileSync(join(dir, 'data.csv'), 'a,b,label\n1,2,0\n3,4,1\n');
  assert.deepEqual(Array.from((await loadClientData({ data: join(dir, 'data.cjs') })).x), [1, 2, 3, 4]);
  assert.equal((await loadClientData({ data: join(dir, 'data.mjs') })).length, 1);
  assert.deepEqual((await loadClientData({ data: join(dir, 'data.csv'), label: 'label', features: ['b'] })).exampleShape, [1]);
  await assert.rejects(loadClientData({ data: join(dir, 'bad.js') }), /must export \(as default or 'dataset'\) a dataset/);
  await assert.rejects(loadClientData({ data: join(dir, 'data.txt') }), /--data must be a \.csv file or a \.js\/\.mjs\/\.cjs module/);
});

test('fedbook client names what is missing on its command line', () => {
  const run = spawnSync(process.execPath, [BIN, 'client', '--server', 'tcp://127.0.0.1:7000'], { encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /^fedbook: 'fedbook client' needs --server-key KEY/);
});
