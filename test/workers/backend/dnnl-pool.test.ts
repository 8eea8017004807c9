/** oneDNN max pooling through koffi: hand-computed forward and backward, shape checks before C. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkPoolGeometry, createMaxPooling } from '../../../workers/backend/native-libs/dnnl-pool';
import { loadNativeLibs } from '../../../workers/backend/native-libs/index';

const libs = loadNativeLibs();

describe('oneDNN max pooling', { skip: !libs.dnnl && `no oneDNN 2.x: ${libs.notes.join('; ')}` }, () => {
  it('pools 2×2 windows of a 3×5 image with 2 channels (valid: the last row and column drop) and routes gradients back', () => {
    // NHWC, channel 0 = row·10 + column, channel 1 = −(channel 0).
    const x = new Float32Array(3 * 5 * 2);
    for (let r = 0; r < 3; r++)
      for (let c = 0; c < 5; c++) {
        x[(r * 5 + c) * 2] = r * 10 + c;
        x[(r * 5 + c) * 2 + 1] = -(r * 10 + c);
      }
    const pool = createMaxPooling(libs.dnnl!, { batch: 1, inH: 3, inW: 5, channels: 2, outH: 1, outW: 2, ph: 2, pw: 2, sh: 2, sw: 2 });
    const y = new Float32Array(4);
    pool.forward(x, y);
    // Windows rows 0–1 × columns 0–1 and 2–3: channel 0 takes the bottom right (11, 13), channel 1 the top left (−0, −2).
    assert.deepEqual([...y], [11, -0, 13, -2]);
    const dx = new Float32Array(x.length).fill(9);
    pool.backward(Float32Array.of(1, 2, 3, 4), dx);
    const expected = new Float32Array(x.length);
    expected[(1 * 5 + 1) * 2] = 1; // 11
    expected[(0 * 5 + 0) * 2 + 1] = 2; // −0
    expected[(1 * 5 + 3) * 2] = 3; // 13
    expected[(0 * 5 + 2) * 2 + 1] = 4; // −2
    assert.deepEqual([...dx], [...expected]);
    pool.dispose();
    assert.throws(() => pool.forward(x, y), /max pooling: used after dispose\(\)/);
  });

  it('with relu, backward first zeroes the gradient where the pooled value is not positive', () => {
    // One channel, 2×4 image, 2×2 windows: maxima 3 (top right of window 0) and 0 (window 1, already rectified upstream).
    const x = Float32Array.of(1, 3, 0, 0, 2, -1, 0, 0);
    const pool = createMaxPooling(libs.dnnl!, { batch: 1, inH: 2, inW: 4, channels: 1, outH: 1, outW: 2, ph: 2, pw: 2, sh: 2, sw: 2, relu: true });
    const y = new Float32Array(2);
    pool.forward(x, y);
    assert.deepEqual([...y], [3, 0]);
    const dy = Float32Array.of(5, 7),
      dx = new Float32Array(8);
    pool.backward(dy, dx, y);
    assert.deepEqual([...dx], [0, 5, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual([...dy], [5, 0]);
    assert.throws(() => pool.backward(dy, dx), /max pooling: y needs 2 values, got none/);
    pool.dispose();
  });

  it('refuses inconsistent geometry and short buffers before calling into C', () => {
    const g = { batch: 2, inH: 28, inW: 28, channels: 32, outH: 14, outW: 14, ph: 2, pw: 2, sh: 2, sw: 2 };
    assert.throws(() => checkPoolGeometry({ ...g, outW: 15 }), /output 14×15 does not follow from the input, pool size and strides \(14×14\)/);
    assert.throws(() => checkPoolGeometry({ ...g, sh: 0 }), /sh must be an integer ≥ 1, got 0/);
    const pool = createMaxPooling(libs.dnnl!, g);
    const x = new Float32Array(2 * 28 * 28 * 32),
      y = new Float32Array(2 * 14 * 14 * 32);
    assert.throws(() => pool.backward(y, x), /max pooling: backward\(\) before any forward\(\)/);
    assert.throws(() => pool.forward(x.subarray(1), y), /max pooling: x needs 50176 values, got 50175/);
    pool.forward(x, y);
    assert.throws(() => pool.backward(y.subarray(0, 10), x), /max pooling: dy needs 12544 values, got 10/);
    pool.dispose();
  });
});
