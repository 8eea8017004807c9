import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../../../kernel/federated/random';
import { runSecureSum, type SecAggServer, SecureAggregationError } from '../../../../kernel/federated/privacy/secagg/run-secure-sum';
import { decodeFixedPoint, encodeFixedPoint, fixedPointScale } from '../../../../kernel/federated/privacy/secagg/fixed-point';
import { FIELD_PRIME, reconstructSecret, shareSecret } from '../../../../kernel/federated/privacy/secagg/shamir';
import { randomFieldElement } from '../../../../kernel/federated/privacy/secagg/client';

function randomInputs(m: number, d: number, seed: number): Uint32Array[] {
  const rng = createRng(seed);
  return Array.from({ length: m }, () => Uint32Array.from({ length: d }, () => rng.uint32()));
}

function plainSum(inputs: readonly Uint32Array[], which: readonly number[]): Uint32Array {
  const sum = new Uint32Array(inputs[0].length);
  for (const i of which) for (let j = 0; j < sum.length; j++) sum[j] += inputs[i][j];
  return sum;
}

test('Shamir: any t of n shares recover the secret; t-1 shares do not', () => {
  const rng = createRng(5);
  const secret = randomFieldElement(rng);
  const shares = shareSecret(secret, 7, 4, () => randomFieldElement(rng));
  assert.equal(reconstructSecret(shares.slice(0, 4), 4), secret);
  assert.equal(reconstructSecret([shares[6], shares[1], shares[4], shares[2]], 4), secret);
  assert.notEqual(reconstructSecret(shares.slice(0, 3), 3), secret);
  assert.throws(() => reconstructSecret(shares.slice(0, 3), 4), /needs 4 shares \(got 3\)/);
  assert.ok(secret < FIELD_PRIME);
});

test('fixed point: negatives round-trip, and m clients at the bound cannot overflow', () => {
  const scale = fixedPointScale(3 * 0.5, 3); // 3 clients, each coordinate within ±0.5
  const encoded = encodeFixedPoint(new Float32Array([-0.5, 0.25, 0.5, 2]), scale, 0.5);
  const decoded = decodeFixedPoint(encoded, scale);
  assert.ok(Math.abs(decoded[0] + 0.5) < 1e-9 && Math.abs(decoded[1] - 0.25) < 1e-9);
  assert.ok(Math.abs(decoded[3] - 0.5) < 1e-9, 'values beyond the bound are clamped to it');
  const sum = new Uint32Array(1);
  for (let i = 0; i < 3; i++) sum[0] += encodeFixedPoint(new Float32Array([0.5]), scale, 0.5)[0];
  assert.ok(Math.abs(decodeFixedPoint(sum, scale)[0] - 1.5) < 1e-8, 'the sum at the bound decodes without wrapping');
});

test('secure sum equals the plain sum in Z_2^32 bit for bit, no dropouts', () => {
  const inputs = randomInputs(6, 257, 1);
  const result = runSecureSum(inputs, { threshold: 4, rng: createRng(2) });
  assert.equal(result.dropped, 0);
  assert.deepEqual(result.survivors, [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(result.sum, plainSum(inputs, result.survivors));
  assert.ok(result.bytes > 6 * 257 * 4, `bytes ${result.bytes} include at least the masked vectors`);
});

test("secure sum recovers the survivors' sum with dropouts up to n - t", () => {
  const inputs = randomInputs(10, 100, 3);
  for (const dropouts of [1, 3]) {
    const result = runSecureSum(inputs, { threshold: 7, dropouts, rng: createRng(10 + dropouts) });
    assert.equal(result.dropped, dropouts);
    assert.equal(result.survivors.length, 10 - dropouts);
    assert.deepEqual(result.sum, plainSum(inputs, result.survivors));
  }
});

test('secure sum fails clearly when more clients drop than the threshold allows', () => {
  const inputs = randomInputs(10, 8, 4);
  assert.throws(
    () => runSecureSum(inputs, { threshold: 7, dropouts: 4, rng: createRng(1) }),
    (error: unknown) => {
      assert.ok(error instanceof SecureAggregationError);
      assert.equal(
        error.message,
        'secure aggregation cannot recover the sum: 4 of 10 clients dropped out, leaving 6 but at least 7 are needed (threshold 7; at most 3 may drop)',
      );
      assert.equal(error.dropped, 4);
      assert.equal(error.needed, 7);
      return true;
    },
  );
});

test('secure sum rejects a threshold larger than the cohort', () => {
  assert.throws(() => runSecureSum(randomInputs(5, 4, 1), { threshold: 7, rng: createRng(1) }), {
    message: 'secureAggregation.threshold (7) is larger than the cohort (5 clients)',
  });
});

/** Every typed array reachable from `root` through properties, arrays, maps and sets. */
function reachableTypedArrays(root: unknown): ArrayBufferView[] {
  const seen = new Set<unknown>();
  const found: ArrayBufferView[] = [];
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    if (ArrayBuffer.isView(value)) {
      found.push(value);
      return;
    }
    if (value instanceof Map)
      for (const [k, v] of value) {
        visit(k);
        visit(v);
      }
    else if (value instanceof Set) for (const v of value) visit(v);
    for (const key of Reflect.ownKeys(value)) visit((value as Record<string | symbol, unknown>)[key]);
  };
  visit(root);
  return found;
}

function sameWords(view: ArrayBufferView, words: Uint32Array): boolean {
  if (view.byteLength !== words.byteLength) return false;
  const a = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const b = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  return a.every((x, i) => x === b[i]);
}

test('no individual input is reachable from the server-side object', () => {
  const inputs = randomInputs(5, 64, 9);
  let server: SecAggServer | undefined;
  const result = runSecureSum(inputs, { threshold: 3, dropouts: 1, rng: createRng(3), inspectServer: (s) => (server = s) });
  assert.ok(server, 'the server was handed to the inspector');
  const views = reachableTypedArrays(server);
  assert.ok(views.length > 0, "the walk reaches the server's buffers (masked sum, keys)");
  assert.ok(
    views.some((v) => v.byteLength === 64 * 4),
    'the walk reaches the 64-word masked sum',
  );
  for (const [i, input] of inputs.entries()) {
    assert.ok(!views.some((v) => sameWords(v, input)), `client ${i}'s input is reachable from the server`);
  }
  // A single-client "sum" would be an input: the unmasked sum over 4 survivors is not one of them.
  assert.ok(!inputs.some((input) => sameWords(result.sum, input)));
});
