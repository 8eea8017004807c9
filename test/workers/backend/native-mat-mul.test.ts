/**
 * The fallback path's native matmuls: BatchMatMul and _FusedMatMul on the WASM
 * backend through BLAS ('auto' only), against the cpu backend on random shapes,
 * transposes, batches and fused bias + activation; 'wasm' keeps its own kernels.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../../kernel/federated/random';
import { loadBackend } from '../../../workers/backend';
import { loadNativeLibs } from '../../../workers/backend/native-libs/index';
import { usesNativeMatMul } from '../../../workers/backend/wasm-kernels';

const libs = loadNativeLibs();

type Case = { name: string; run: () => tf.Tensor };

function cases(): Case[] {
  const rng = createRng(5);
  const t = (shape: number[]) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.next() * 2 - 1), shape);
  const list: Case[] = [];
  for (const [m, k, n] of [[1, 1, 1], [7, 13, 5], [10, 784, 200], [33, 9, 64]]) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const a = t(transposeA ? [k, m] : [m, k]), b = t(transposeB ? [n, k] : [k, n]);
        list.push({ name: `${m}×${k}×${n} tA=${transposeA} tB=${transposeB}`, run: () => tf.matMul(a, b, transposeA, transposeB) });
      }
    }
  }
  // Operands are drawn once, here: each case runs on both backends.
  const a3 = t([3, 4, 6]), b3 = t([3, 6, 5]), b3T = t([3, 5, 6]), b2 = t([6, 5]);
  list.push({ name: 'batched 3×(4×6·6×5)', run: () => tf.matMul(a3, b3) });
  list.push({ name: 'batched, transposed 3×(4×6·(5×6)ᵀ)', run: () => tf.matMul(a3, b3T, false, true) });
  list.push({ name: 'broadcast right operand', run: () => tf.matMul(a3, b2) });
  const x = t([8, 12]), w = t([12, 6]), bias = t([6]);
  for (const activation of ['linear', 'relu', 'sigmoid', 'elu', 'relu6', 'leakyrelu'] as const) {
    list.push({ name: `fused bias + ${activation}`, run: () => tf.fused.matMul({ a: x, b: w, bias, activation }) });
  }
  const xT = t([12, 8]), wT = t([6, 12]), half = tf.scalar(0.5), alpha = t([6]);
  list.push({ name: 'fused, transposed, scalar bias', run: () => tf.fused.matMul({ a: xT, b: wT, transposeA: true, transposeB: true, bias: half, activation: 'relu' }) });
  list.push({ name: 'fused prelu (falls back)', run: () => tf.fused.matMul({ a: x, b: w, bias, activation: 'prelu', preluActivationWeights: alpha }) });
  list.push({ name: 'dense gradients (transposed products)', run: () => {
    const grads = tf.grads((xs: tf.Tensor, ws: tf.Tensor) => tf.sum(tf.relu(tf.matMul(xs, ws))))([x, w]);
    return tf.concat([grads[0].flatten(), grads[1].flatten()]);
  } });
  return list;
}

describe('native BatchMatMul and _FusedMatMul on WASM', { skip: !libs.blas && `no BLAS: ${libs.notes.join('; ')}` }, () => {
  it("'auto' multiplies through BLAS and matches the cpu backend; 'wasm' keeps its own kernels", async () => {
    const loaded = await loadBackend('auto');
    assert.equal(loaded.name, 'wasm');
    assert.ok(usesNativeMatMul());
    assert.match(loaded.detail ?? '', /BatchMatMul and _FusedMatMul through BLAS: /);
    const all = cases();
    const got = all.map((c) => tf.tidy(() => c.run().dataSync().slice()));
    await tf.setBackend('cpu');
    const expected = all.map((c) => tf.tidy(() => c.run().dataSync().slice()));
    all.forEach((c, i) => {
      assert.equal(got[i].length, expected[i].length, c.name);
      let diff = 0, norm = 0;
      for (let j = 0; j < got[i].length; j++) { diff += (got[i][j] - expected[i][j]) ** 2; norm += expected[i][j] ** 2; }
      assert.ok(Math.sqrt(diff / Math.max(norm, 1e-30)) < 1e-5, `${c.name}: relative error ${Math.sqrt(diff / norm)}`);
    });
    const wasm = await loadBackend('wasm');
    assert.equal(wasm.name, 'wasm');
    assert.equal(usesNativeMatMul(), false);
    assert.doesNotMatch(wasm.detail ?? '', /through BLAS/);
  });
});
