/**
 * The fallback path's native kernels: BatchMatMul, _FusedMatMul and Sum over leading axes through BLAS,
 * Conv2D and its gradients through oneDNN, on the WASM backend ('auto' only), against the cpu backend on
 * random shapes, transposes, batches, fused bias + activation and axes; 'wasm' keeps its own kernels.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../../kernel/federated/random';
import { loadBackend } from '../../../workers/backend';
import { loadNativeLibs } from '../../../workers/backend/native-libs/index';
import { nativeWasmKernels } from '../../../workers/backend/wasm-kernels';

const libs = loadNativeLibs();

type Case = { name: string; run: () => tf.Tensor };

function cases(): Case[] {
  const rng = createRng(5);
  const t = (shape: number[]) =>
    tf.tensor(
      Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.next() * 2 - 1),
      shape,
    );
  const list: Case[] = [];
  for (const [m, k, n] of [
    [1, 1, 1],
    [7, 13, 5],
    [10, 784, 200],
    [33, 9, 64],
  ]) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const a = t(transposeA ? [k, m] : [m, k]),
          b = t(transposeB ? [n, k] : [k, n]);
        list.push({ name: `${m}×${k}×${n} tA=${transposeA} tB=${transposeB}`, run: () => tf.matMul(a, b, transposeA, transposeB) });
      }
    }
  }
  // Operands are drawn once, here: each case runs on both backends.
  const a3 = t([3, 4, 6]),
    b3 = t([3, 6, 5]),
    b3T = t([3, 5, 6]),
    b2 = t([6, 5]);
  list.push({ name: 'batched 3×(4×6·6×5)', run: () => tf.matMul(a3, b3) });
  list.push({ name: 'batched, transposed 3×(4×6·(5×6)ᵀ)', run: () => tf.matMul(a3, b3T, false, true) });
  list.push({ name: 'broadcast right operand', run: () => tf.matMul(a3, b2) });
  const x = t([8, 12]),
    w = t([12, 6]),
    bias = t([6]);
  for (const activation of ['linear', 'relu', 'sigmoid', 'elu', 'relu6', 'leakyrelu'] as const) {
    list.push({ name: `fused bias + ${activation}`, run: () => tf.fused.matMul({ a: x, b: w, bias, activation }) });
  }
  const xT = t([12, 8]),
    wT = t([6, 12]),
    half = tf.scalar(0.5),
    alpha = t([6]);
  list.push({
    name: 'fused, transposed, scalar bias',
    run: () => tf.fused.matMul({ a: xT, b: wT, transposeA: true, transposeB: true, bias: half, activation: 'relu' }),
  });
  list.push({ name: 'fused prelu (falls back)', run: () => tf.fused.matMul({ a: x, b: w, bias, activation: 'prelu', preluActivationWeights: alpha }) });
  for (const [h, w, ci, co, k, stride, pad] of [
    [9, 8, 2, 4, 3, 1, 'same'],
    [7, 7, 3, 5, 3, 2, 'valid'],
    [6, 6, 1, 2, 5, 2, 'same'],
    [10, 10, 4, 3, 2, 2, 'same'],
  ] as const) {
    const xs = t([3, h, w, ci]),
      filter = t([k, k, ci, co]);
    list.push({
      name: `conv2d gradients ${h}×${w}×${ci}→${co} k${k} s${stride} ${pad}`,
      run: () => {
        const grads = tf.grads((a: tf.Tensor, f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, stride, pad), 0.5)))([xs, filter]);
        return tf.concat([grads[0].flatten(), grads[1].flatten()]);
      },
    });
  }
  for (const [h, w, ci, co, k, stride, pad] of [
    [9, 8, 2, 4, 3, 1, 'same'],
    [7, 7, 3, 5, 3, 2, 'valid'],
    [28, 28, 1, 8, 5, 1, 'same'],
  ] as const) {
    const xs = t([2, h, w, ci]),
      filter = t([k, k, ci, co]);
    list.push({ name: `conv2d ${h}×${w}×${ci}→${co} k${k} s${stride} ${pad}`, run: () => tf.conv2d(xs as tf.Tensor4D, filter as tf.Tensor4D, stride, pad) });
  }
  const dilatedX = t([1, 9, 9, 2]),
    dilatedFilter = t([3, 3, 2, 3]);
  list.push({ name: 'conv2d dilated (falls back)', run: () => tf.conv2d(dilatedX as tf.Tensor4D, dilatedFilter as tf.Tensor4D, 1, 'same', 'NHWC', 2) });
  // Sum over leading axes (bias gradients) runs through BLAS; other axes fall back to the shipped kernel. (A full
  // reduction of random signs cancels to near zero, where summation order alone exceeds the tolerance: none here.)
  const s4 = t([3, 5, 4, 6]);
  for (const [axis, keepDims] of [
    [[0], false],
    [[0, 1, 2], false],
    [[1, 0], true],
    [[1], false],
    [[0, 2], false],
    [-1, false],
  ] as Array<[number | number[] | null, boolean]>) {
    list.push({ name: `sum axis ${JSON.stringify(axis)} keepDims ${keepDims}`, run: () => tf.sum(s4, axis ?? undefined, keepDims) });
  }
  const ints = tf.tensor([1, 2, 3, 4], [2, 2], 'int32');
  list.push({ name: 'sum of int32 (falls back)', run: () => tf.sum(ints, 0).toFloat() });
  list.push({
    name: 'dense gradients (transposed products)',
    run: () => {
      const grads = tf.grads((xs: tf.Tensor, ws: tf.Tensor) => tf.sum(tf.relu(tf.matMul(xs, ws))))([x, w]);
      return tf.concat([grads[0].flatten(), grads[1].flatten()]);
    },
  });
  return list;
}

describe('native BatchMatMul, _FusedMatMul and convolution gradients on WASM', { skip: !libs.blas && `no BLAS: ${libs.notes.join('; ')}` }, () => {
  it("'auto' runs them natively and matches the cpu backend; 'wasm' keeps its own kernels", async () => {
    const loaded = await loadBackend('auto');
    assert.equal(loaded.name, 'wasm');
    assert.deepEqual(nativeWasmKernels(), [
      'BatchMatMul',
      '_FusedMatMul',
      'Sum',
      ...(libs.dnnl ? ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'] : []),
    ]);
    assert.match(loaded.detail ?? '', /native kernels: BatchMatMul, _FusedMatMul, Sum.* \(BLAS: /);
    const all = cases();
    const got = all.map((c) => tf.tidy(() => c.run().dataSync().slice()));
    await tf.setBackend('cpu');
    const expected = all.map((c) => tf.tidy(() => c.run().dataSync().slice()));
    all.forEach((c, i) => {
      assert.equal(got[i].length, expected[i].length, c.name);
      let diff = 0,
        norm = 0;
      for (let j = 0; j < got[i].length; j++) {
        diff += (got[i][j] - expected[i][j]) ** 2;
        norm += expected[i][j] ** 2;
      }
      assert.ok(Math.sqrt(diff / Math.max(norm, 1e-30)) < 1e-5, `${c.name}: relative error ${Math.sqrt(diff / norm)}`);
    });
    const wasm = await loadBackend('wasm');
    assert.equal(wasm.name, 'wasm');
    assert.deepEqual(nativeWasmKernels(), []);
    assert.doesNotMatch(wasm.detail ?? '', /native kernels/);
  });
});
