/** oneDNN convolutions through koffi: shape checks, and no heap corruption when signals arrive mid-call. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConvGeometry, createConvolution } from '../../../workers/backend/native-libs/dnnl-conv';
import { loadNativeLibs } from '../../../workers/backend/native-libs/index';

const libs = loadNativeLibs();
const geometry = { batch: 2, inH: 28, inW: 28, inC: 1, outH: 28, outW: 28, outC: 32, kh: 5, kw: 5, sh: 1, sw: 1, pt: 2, pl: 2, pb: 2, pr: 2, bias: true };

describe('oneDNN convolution', { skip: !libs.dnnl && `no oneDNN 2.x: ${libs.notes.join('; ')}` }, () => {
  it('refuses inconsistent geometry and short buffers before calling into C', () => {
    assert.throws(() => checkConvGeometry({ ...geometry, outH: 27 }), /output 27×28 does not follow from the input, kernel, strides and padding \(28×28\)/);
    assert.throws(() => checkConvGeometry({ ...geometry, kh: 0 }), /kh must be an integer ≥ 1, got 0/);
    const conv = createConvolution(libs.dnnl!, geometry);
    const x = new Float32Array(2 * 28 * 28),
      w = new Float32Array(5 * 5 * 32),
      b = new Float32Array(32),
      y = new Float32Array(2 * 28 * 28 * 32);
    assert.throws(() => conv.forward(x, w, b, y.subarray(1)), /convolution: y needs 50176 values, got 50175/);
    assert.throws(() => conv.backwardWeights(x.subarray(0, 10), y, w, b), /convolution: x needs 1568 values, got 10/);
    assert.throws(() => conv.forward(x, w, undefined, y), /convolution: b needs 32 values, got none/);
  });

  it('with relu, forward rectifies its result (a post-op) and backward is unchanged', () => {
    const g = { batch: 1, inH: 4, inW: 4, inC: 1, outH: 4, outW: 4, outC: 2, kh: 3, kw: 3, sh: 1, sw: 1, pt: 1, pl: 1, pb: 1, pr: 1, bias: true };
    const plain = createConvolution(libs.dnnl!, g),
      rectified = createConvolution(libs.dnnl!, { ...g, relu: true });
    const x = Float32Array.from({ length: 16 }, (_, i) => (i % 5) - 2),
      w = Float32Array.from({ length: 18 }, (_, i) => ((i * 7) % 9) / 4 - 1),
      b = Float32Array.of(0.5, -0.5);
    const y = new Float32Array(32),
      yRelu = new Float32Array(32);
    plain.forward(x, w, b, y);
    rectified.forward(x, w, b, yRelu);
    assert.ok(y.some((v) => v < 0) && y.some((v) => v > 0));
    assert.deepEqual([...yRelu], [...y.map((v) => Math.max(v, 0))]);
    const dx = new Float32Array(16),
      dxRelu = new Float32Array(16);
    plain.backwardData(y, w, dx);
    rectified.backwardData(y, w, dxRelu);
    assert.deepEqual([...dxRelu], [...dx]);
    plain.dispose();
    rectified.dispose();
  });

  it("survives V8's sampling profiler (SIGPROF) during backward-weights calls", () => {
    // Without blocking signals around oneDNN calls this aborted with "corrupted size vs. prev_size".
    const root = join(__dirname, '..', '..', '..');
    const script = `
      const { loadNativeLibs } = require(${JSON.stringify(join(root, 'workers/backend/native-libs/index.js'))});
      const { createConvolution } = require(${JSON.stringify(join(root, 'workers/backend/native-libs/dnnl-conv.js'))});
      const g = ${JSON.stringify(geometry)};
      const conv = createConvolution(loadNativeLibs().dnnl, g);
      const x = new Float32Array(2 * 28 * 28).fill(0.5), dy = new Float32Array(2 * 28 * 28 * 32).fill(0.1);
      const dw = new Float32Array(5 * 5 * 32), db = new Float32Array(32);
      for (let i = 0; i < 100; i++) conv.backwardWeights(x, dy, dw, db);
      console.log('done', dw[0].toFixed(2));`;
    const child = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', mkdtempSync(join(tmpdir(), 'fedbook-prof-')), '-e', script], {
      encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stderr);
    // dw at the top-left tap: 2 images × 26 × 26 in-bounds positions (padding 2) × 0.5 × 0.1.
    assert.equal(child.stdout.trim(), 'done 67.60');
  });
});
