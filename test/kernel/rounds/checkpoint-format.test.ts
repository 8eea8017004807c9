/**
 * The checkpoint format: exact round trips of every kind of value a server
 * state holds, a layout a reader can check by hand, and every way a file can
 * be broken detected with a message that says which.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckpointFormatError, decodeCheckpoint, encodeCheckpoint } from '../../../kernel/rounds/checkpoint-format';

test('layout: magic, version, header length, total length, then the float32 block on an 8-byte boundary, then 32 checksum bytes', () => {
  const bytes = encodeCheckpoint({ round: 3 }, { w: new Float32Array([1, -2.5]) });
  const view = new DataView(bytes.buffer);
  assert.equal(Buffer.from(bytes.subarray(0, 4)).toString('latin1'), 'FBCK');
  assert.equal(view.getUint32(4, true), 1);
  const headerLength = view.getUint32(8, true);
  const header = JSON.parse(Buffer.from(bytes.subarray(16, 16 + headerLength)).toString('utf8'));
  assert.deepEqual(header, { meta: { round: 3 }, value: { w: { $block: 0 } }, blocks: [{ type: 'float32', offset: 0, length: 2 }] });
  const blocksStart = Math.ceil((16 + headerLength) / 8) * 8;
  assert.equal(view.getFloat32(blocksStart, true), 1);
  assert.equal(view.getFloat32(blocksStart + 4, true), -2.5);
  // 2 floats = 8 bytes of block, then the checksum.
  assert.equal(bytes.length, blocksStart + 8 + 32);
  assert.equal(view.getUint32(12, true), bytes.length);
});

test('round trip: weights bit for bit (NaN payloads, −0, denormals), nested aggregator state, client store and odd numbers', () => {
  const weights = new Float32Array([0.1, -0, 1e-45, 3.4e38, NaN, -Infinity]);
  new Uint32Array(weights.buffer)[4] = 0x7fc00123; // a NaN with a payload
  const value = {
    round: 12,
    weights,
    optimizerState: { m: new Float32Array([1, 2]), v: new Float32Array([3]) },
    aggregatorState: { clip: 0.731, inner: { inner: undefined, centre: new Float64Array([Math.PI, -1e-300]) }, list: [1, 'a', null, true] },
    strategyState: { c: new Float32Array(3).fill(0.5) },
    clientState: { '0': { c: new Float32Array([7]), steps: 5 }, '12': { c: new Float32Array(0) } },
    odd: [NaN, Infinity, -Infinity, -0, 0, 1.7976931348623157e308, 5e-324],
    dollars: { $block: 'not a block', plain: 1 },
  };
  const { meta, value: back } = decodeCheckpoint<{ runId: string }, typeof value>(encodeCheckpoint({ runId: 'r1' }, value));
  assert.deepEqual(meta, { runId: 'r1' });
  assert.deepEqual(Buffer.from(back.weights.buffer), Buffer.from(weights.buffer));
  assert.ok(back.weights instanceof Float32Array);
  assert.ok((back.aggregatorState.inner.centre as unknown) instanceof Float64Array);
  assert.ok('inner' in back.aggregatorState.inner, 'a key holding undefined stays a key');
  assert.ok(Object.is(back.odd[3], -0));
  assert.deepEqual(back, value);
});

test('an array referenced twice is stored once and decodes to one array', () => {
  const shared = new Float32Array(1000);
  const once = encodeCheckpoint({}, { a: shared });
  const twice = encodeCheckpoint({}, { a: shared, b: shared });
  assert.ok(twice.length - once.length < 100, `${twice.length} vs ${once.length}`);
  const { value } = decodeCheckpoint<unknown, { a: Float32Array; b: Float32Array }>(twice);
  assert.equal(value.a, value.b);
});

test('one flipped bit anywhere, a truncated file, another magic or version: CheckpointFormatError saying which', () => {
  const bytes = encodeCheckpoint({ round: 1 }, { w: new Float32Array(100).fill(1) });
  for (const at of [20, 200, bytes.length - 40, bytes.length - 1]) {
    const flipped = Uint8Array.from(bytes);
    flipped[at] ^= 1;
    assert.throws(() => decodeCheckpoint(flipped), { name: 'CheckpointFormatError', message: /checksum does not match/ }, `byte ${at}`);
  }
  assert.throws(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 10)), {
    message: `the file is ${bytes.length - 10} bytes but its header says ${bytes.length}: truncated or appended to`,
  });
  assert.throws(() => decodeCheckpoint(bytes.subarray(0, 20)), CheckpointFormatError);
  const magic = Uint8Array.from(bytes);
  magic[0] = 0x58;
  assert.throws(() => decodeCheckpoint(magic), { message: 'the file does not start with FBCK: not a Fedbook checkpoint' });
  const version = Uint8Array.from(bytes);
  new DataView(version.buffer).setUint32(4, 9, true);
  assert.throws(() => decodeCheckpoint(version), { message: 'checkpoint format version 9 is not supported (this Fedbook reads version 1)' });
});

test('values a checkpoint cannot hold are refused with their path', () => {
  assert.throws(() => encodeCheckpoint({}, { a: { b: new Int32Array(2) } }), {
    message: 'checkpoint: value.a.b is a Int32Array; only Float32Array and Float64Array are stored',
  });
  assert.throws(() => encodeCheckpoint({}, { m: new Map() }), { message: /^checkpoint: value\.m is a Map, which a checkpoint cannot hold/ });
  assert.throws(() => encodeCheckpoint({}, { f: [() => 1] }), { message: /^checkpoint: value\.f\[0\] is a function/ });
});
