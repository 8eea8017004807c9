import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { registerWasmTrainingKernels, restoreShippedWasmKernels, WASM_TRAINING_KERNELS } from '../../../workers/backend';
import { registeredWasmTrainingKernels } from '../../../workers/backend/wasm-kernels';
import { preferSwapped } from '../../../workers/backend/wasm-kernels/batch-mat-mul';
import { randomValues, relativeError, runOn, type KernelCase } from './compare';

/** Runs the case on both backends and checks WASM against cpu. */
async function assertMatchesCpu(c: KernelCase): Promise<void> {
  const reference = await runOn('cpu', c);
  const wasm = await runOn('wasm', c);
  const label = `${c.kernel} ${JSON.stringify(c.attrs)} inputs ${JSON.stringify(Object.values(c.inputs).map((i) => i.shape))}`;
  assert.deepEqual(wasm.shape, reference.shape, `shape of ${label}`);
  const error = relativeError(wasm.values, reference.values);
  assert.ok(error < 1e-4, `relative error ${error} for ${label}`);
  assert.equal(wasm.leakedBuffers, 0, `WASM buffers leaked by ${label}`);
}

function input(shape: number[], seed: number) {
  return { shape, values: randomValues(shape, seed) };
}

describe('preferSwapped (which way round BatchMatMul feeds XNNPACK)', () => {
  it('picks the ways measured fastest for a 784-200 layer at batch 10', () => {
    // forward x·W with new weights: transposing W beats packing it
    assert.equal(preferSwapped(10, 784, 200, 1, 1, false, false, false), true);
    // ...but weights already packed (evaluation) are used as they are
    assert.equal(preferSwapped(10, 784, 200, 1, 1, false, false, true), false);
    // dx = dy·Wᵀ: pack dyᵀ (2,000 values), not Wᵀ (156,800)
    assert.equal(preferSwapped(10, 200, 784, 1, 1, false, true, false), true);
    // dW = xᵀ·dy: pack dy (2,000 values) directly
    assert.equal(preferSwapped(784, 10, 200, 1, 1, true, false, false), false);
  });
});

describe('WASM BatchMatMul (transposes through XNNPACK) against cpu', () => {
  const combos: Array<[boolean, boolean]> = [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ];
  for (const [transposeA, transposeB] of combos) {
    it(`2-D, computed directly, transposeA=${transposeA} transposeB=${transposeB}`, async () => {
      const [m, k, n] = [13, 37, 7];
      assert.equal(preferSwapped(m, k, n, 1, 1, transposeA, transposeB, false), false);
      const a = input(transposeA ? [k, m] : [m, k], 1);
      const b = input(transposeB ? [n, k] : [k, n], 2);
      await assertMatchesCpu({ kernel: 'BatchMatMul', inputs: { a, b }, attrs: { transposeA, transposeB } });
    });
    it(`2-D, computed as (op(B)ᵀ·op(A)ᵀ)ᵀ, transposeA=${transposeA} transposeB=${transposeB}`, async () => {
      const [m, k, n] = [3, 40, 120];
      assert.equal(preferSwapped(m, k, n, 1, 1, transposeA, transposeB, false), true);
      const a = input(transposeA ? [k, m] : [m, k], 21);
      const b = input(transposeB ? [n, k] : [k, n], 22);
      await assertMatchesCpu({ kernel: 'BatchMatMul', inputs: { a, b }, attrs: { transposeA, transposeB } });
    });
    it(`batched 3-D and broadcast batch, both ways round, transposeA=${transposeA} transposeB=${transposeB}`, async () => {
      const [batch, m, k, n] = [3, 5, 11, 4];
      const a = input(transposeA ? [batch, k, m] : [batch, m, k], 3);
      const b = input(transposeB ? [batch, n, k] : [batch, k, n], 4);
      await assertMatchesCpu({ kernel: 'BatchMatMul', inputs: { a, b }, attrs: { transposeA, transposeB } });
      const shared = input(transposeB ? [1, n, k] : [1, k, n], 5);
      await assertMatchesCpu({ kernel: 'BatchMatMul', inputs: { a, b: shared }, attrs: { transposeA, transposeB } });
      const [wm, wn] = [2, 60];
      assert.equal(preferSwapped(wm, k, wn, batch, 1, transposeA, transposeB, false), true);
      const wideA = input(transposeA ? [batch, k, wm] : [batch, wm, k], 23);
      const wideB = input(transposeB ? [1, wn, k] : [1, k, wn], 24);
      await assertMatchesCpu({ kernel: 'BatchMatMul', inputs: { a: wideA, b: wideB }, attrs: { transposeA, transposeB } });
    });
  }
  it('the backprop shapes of a 784-200 dense layer at batch 10', async () => {
    const x = input([10, 784], 6);
    const dy = input([10, 200], 7);
    const w = input([784, 200], 8);
    await assertMatchesCpu({ kernel: 'BatchMatMul', inputs: { a: x, b: dy }, attrs: { transposeA: true, transposeB: false } });
    await assertMatchesCpu({ kernel: 'BatchMatMul', inputs: { a: dy, b: w }, attrs: { transposeA: false, transposeB: true } });
  });
});

describe('WASM _FusedMatMul (dense layers) against cpu', () => {
  const combos: Array<[boolean, boolean]> = [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ];
  for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu']) {
    for (const [transposeA, transposeB] of combos) {
      it(`${activation}, with bias, both ways round, transposeA=${transposeA} transposeB=${transposeB}`, async () => {
        for (const [m, k, n] of [
          [13, 37, 7],
          [3, 40, 120],
        ]) {
          const a = input(transposeA ? [1, k, m] : [1, m, k], 31);
          const b = input(transposeB ? [1, n, k] : [1, k, n], 32);
          const bias = input([n], 33);
          await assertMatchesCpu({ kernel: '_FusedMatMul', inputs: { a, b, bias }, attrs: { transposeA, transposeB, activation, leakyreluAlpha: 0.1 } });
        }
      });
    }
  }
  it('relu without bias; batched operands with a bias (which the shipped kernel adds wrongly)', async () => {
    const attrs = { transposeA: false, transposeB: false, activation: 'relu', leakyreluAlpha: 0 };
    await assertMatchesCpu({ kernel: '_FusedMatMul', inputs: { a: input([1, 10, 784], 34), b: input([1, 784, 200], 35) }, attrs });
    await assertMatchesCpu({ kernel: '_FusedMatMul', inputs: { a: input([2, 4, 6], 36), b: input([2, 6, 5], 37), bias: input([5], 38) }, attrs });
  });
  it('prelu with its weights', async () => {
    for (const [transposeA, transposeB] of combos) {
      await assertMatchesCpu({
        kernel: '_FusedMatMul',
        inputs: {
          a: input(transposeA ? [1, 40, 3] : [1, 3, 40], 39),
          b: input(transposeB ? [1, 120, 40] : [1, 40, 120], 40),
          bias: input([120], 41),
          preluActivationWeights: input([120], 42),
        },
        attrs: { transposeA, transposeB, activation: 'prelu', leakyreluAlpha: 0 },
      });
    }
  });
});

/** Convolution geometries: [x shape, filter shape, strides, pad]. */
const convCases: Array<[number[], number[], [number, number], 'same' | 'valid' | number]> = [
  [[2, 9, 9, 3], [3, 3, 3, 4], [1, 1], 'same'],
  [[2, 9, 9, 3], [3, 3, 3, 4], [1, 1], 'valid'],
  [[2, 9, 9, 3], [3, 3, 3, 4], [2, 2], 'same'],
  [[2, 9, 9, 3], [3, 3, 3, 4], [2, 2], 'valid'],
  [[1, 10, 8, 2], [2, 2, 2, 3], [2, 2], 'same'],
  [[1, 10, 8, 2], [2, 2, 2, 3], [2, 2], 'valid'],
  [[3, 7, 6, 1], [5, 5, 1, 6], [1, 1], 'same'],
  [[2, 8, 11, 2], [3, 2, 2, 2], [1, 2], 'valid'],
  [[2, 7, 7, 2], [3, 3, 2, 3], [2, 1], 1],
  [[4, 12, 12, 5], [5, 5, 5, 8], [1, 1], 'same'],
  [[2, 5, 5, 3], [1, 1, 3, 2], [2, 2], 'valid'],
  // explicit padding wider than the filter: the input gradient falls back to the shipped kernel
  [[1, 6, 6, 2], [3, 3, 2, 2], [1, 1], 3],
];

/** The forward convolution's output shape, from the cpu backend. */
async function forwardShape(xShape: number[], filterShape: number[], strides: [number, number], pad: 'same' | 'valid' | number): Promise<number[]> {
  const out = await runOn('cpu', {
    kernel: 'Conv2D',
    inputs: { x: input(xShape, 0), filter: input(filterShape, 0) },
    attrs: { strides, pad, dataFormat: 'NHWC', dilations: [1, 1] },
  });
  return out.shape;
}

describe('WASM Conv2DBackpropFilter (added) against cpu', () => {
  for (const [xShape, filterShape, strides, pad] of convCases) {
    it(`x ${xShape} filter ${filterShape} strides ${strides} pad ${pad}`, async () => {
      const dyShape = await forwardShape(xShape, filterShape, strides, pad);
      await assertMatchesCpu({
        kernel: 'Conv2DBackpropFilter',
        inputs: { x: input(xShape, 11), dy: input(dyShape, 12) },
        attrs: { strides, pad, dataFormat: 'NHWC', filterShape },
      });
    });
  }
});

describe('WASM Conv2DBackpropInput (through XNNPACK) against cpu', () => {
  for (const [xShape, filterShape, strides, pad] of convCases) {
    it(`x ${xShape} filter ${filterShape} strides ${strides} pad ${pad}`, async () => {
      const dyShape = await forwardShape(xShape, filterShape, strides, pad);
      await assertMatchesCpu({
        kernel: 'Conv2DBackpropInput',
        inputs: { dy: input(dyShape, 13), filter: input(filterShape, 14) },
        attrs: { strides, pad, dataFormat: 'NHWC', inputShape: xShape },
      });
    });
  }
});

describe('WASM depthwise convolution gradients (added) against cpu', () => {
  /** [x shape, filter shape [fh, fw, C, M], strides, pad]. */
  const depthwiseCases: Array<[number[], number[], [number, number], 'same' | 'valid' | number]> = [
    [[2, 9, 9, 3], [3, 3, 3, 1], [1, 1], 'same'],
    [[2, 9, 9, 3], [3, 3, 3, 2], [1, 1], 'valid'],
    [[2, 9, 9, 3], [3, 3, 3, 2], [2, 2], 'same'],
    [[1, 10, 8, 4], [2, 2, 4, 3], [2, 2], 'valid'],
    [[3, 7, 6, 2], [5, 5, 2, 1], [1, 1], 'same'],
    [[2, 8, 8, 2], [3, 3, 2, 2], [2, 1], 1],
  ];
  for (const [xShape, filterShape, strides, pad] of depthwiseCases) {
    it(`x ${xShape} filter ${filterShape} strides ${strides} pad ${pad}`, async () => {
      const dyShape = (
        await runOn('cpu', {
          kernel: 'DepthwiseConv2dNative',
          inputs: { x: input(xShape, 0), filter: input(filterShape, 0) },
          attrs: { strides, pad, dataFormat: 'NHWC', dilations: [1, 1] },
        })
      ).shape;
      const common = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1] };
      await assertMatchesCpu({
        kernel: 'DepthwiseConv2dNativeBackpropFilter',
        inputs: { x: input(xShape, 81), dy: input(dyShape, 82) },
        attrs: { ...common, filterShape },
      });
      await assertMatchesCpu({
        kernel: 'DepthwiseConv2dNativeBackpropInput',
        inputs: { dy: input(dyShape, 83), filter: input(filterShape, 84) },
        attrs: { ...common, inputShape: xShape },
      });
    });
  }
});

describe('WASM MaxPoolGrad (one pass over the windows) against cpu', () => {
  /** [x shape, filter size, strides, pad]; overlapping and tiling windows, padding and ragged edges included. */
  const poolCases: Array<[number[], [number, number], [number, number], 'same' | 'valid' | number]> = [
    [[2, 8, 8, 3], [2, 2], [2, 2], 'valid'],
    [[2, 9, 7, 3], [2, 2], [2, 2], 'same'],
    [[1, 9, 9, 4], [3, 3], [2, 2], 'same'],
    [[2, 7, 8, 2], [3, 2], [1, 2], 'valid'],
    [[1, 6, 6, 5], [3, 3], [1, 1], 1],
    // Tiling windows (the fast path), with a ragged edge left out by 'valid', and 3×3 tiles.
    [[2, 9, 7, 2], [2, 2], [2, 2], 'valid'],
    [[1, 9, 6, 3], [3, 3], [3, 3], 'valid'],
  ];
  for (const [xShape, filterSize, strides, pad] of poolCases) {
    for (const relu of [false, true]) {
      it(`x ${xShape} window ${filterSize} strides ${strides} pad ${pad}${relu ? ', after a ReLU (tied zeros)' : ''}`, async () => {
        const x = input(xShape, 51);
        if (relu) x.values = x.values.map((v) => Math.max(0, v));
        const attrs = { filterSize, strides, pad };
        const forward = await runOn('cpu', { kernel: 'MaxPool', inputs: { x }, attrs });
        await assertMatchesCpu({
          kernel: 'MaxPoolGrad',
          inputs: { dy: input(forward.shape, 52), input: x, output: { shape: forward.shape, values: forward.values } },
          attrs,
        });
      });
    }
  }
});

describe('WASM UnsortedSegmentSum (added; the gradient of gather) against cpu', () => {
  it('sums rows into segments, dropping ids outside [0, numSegments)', async () => {
    // 7 rows of 3 values into 4 segments; ids -1 and 4 are dropped, segment 2 stays empty.
    const segmentIds = { shape: [7], values: Int32Array.from([0, 3, 0, -1, 1, 4, 3]), dtype: 'int32' as const };
    const x = input([7, 3], 71);
    const wasm = await runOn('wasm', { kernel: 'UnsortedSegmentSum', inputs: { x, segmentIds }, attrs: { numSegments: 4 } });
    assert.deepEqual(wasm.shape, [4, 3]);
    const row = (r: number, j: number) => x.values[r * 3 + j];
    const expected = [0, 1, 2]
      .map((j) => row(0, j) + row(2, j))
      .concat(
        [0, 1, 2].map((j) => row(4, j)),
        [0, 0, 0],
        [0, 1, 2].map((j) => row(1, j) + row(6, j)),
      );
    assert.ok(relativeError(wasm.values, expected) < 1e-6);
    await assertMatchesCpu({ kernel: 'UnsortedSegmentSum', inputs: { x, segmentIds }, attrs: { numSegments: 4 } });
  });

  it('sums int32 values and rows of any shape', async () => {
    const segmentIds = { shape: [5], values: Int32Array.from([2, 0, 2, 1, 0]), dtype: 'int32' as const };
    const x = { shape: [5, 2, 3], values: Int32Array.from({ length: 30 }, (_, i) => i - 10), dtype: 'int32' as const };
    const wasm = await runOn('wasm', { kernel: 'UnsortedSegmentSum', inputs: { x, segmentIds }, attrs: { numSegments: 3 } });
    const cpu = await runOn('cpu', { kernel: 'UnsortedSegmentSum', inputs: { x, segmentIds }, attrs: { numSegments: 3 } });
    assert.deepEqual(wasm.shape, [3, 2, 3]);
    assert.deepEqual(Array.from(wasm.values), Array.from(cpu.values));
    assert.equal(wasm.leakedBuffers, 0);
  });
});

describe('WASM convolution gradients: errors', () => {
  it('rejects NCHW with a clear message', async () => {
    await assert.rejects(
      runOn('wasm', {
        kernel: 'Conv2DBackpropFilter',
        inputs: { x: input([1, 2, 5, 5], 1), dy: input([1, 2, 5, 5], 2) },
        attrs: { strides: [1, 1], pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 2] },
      }),
      { message: "Conv2DBackpropFilter on the WASM backend supports dataFormat 'NHWC' only, got 'NCHW'" },
    );
  });
});

describe('WASM Identity and Cast', () => {
  it('shares the buffer instead of copying it; the clone outlives its source', async () => {
    const tf = await import('@tensorflow/tfjs');
    await runOn('wasm', { kernel: 'Relu', inputs: { x: input([2], 1) }, attrs: {} }); // the backend is up
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const before = backend.numDataIds();
    const x = tf.tensor([1, 2, 3]);
    const y = tf.clone(x);
    assert.equal(backend.numDataIds() - before, 1, 'one buffer for the tensor and its clone');
    x.dispose();
    assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
    y.dispose();
    assert.equal(backend.numDataIds(), before, 'freed with its last tensor');
    // Cast shares only when the dtype stays; to another dtype it converts into a new buffer.
    const z = tf.tensor([1.5, -2]);
    const same = tf.cast(z, 'float32');
    const ints = tf.cast(z, 'int32');
    assert.equal(backend.numDataIds() - before, 2);
    assert.deepEqual(Array.from(ints.dataSync()), [1, -2]);
    z.dispose();
    assert.deepEqual(Array.from(same.dataSync()), [1.5, -2]);
    tf.dispose([same, ints]);
    assert.equal(backend.numDataIds(), before);
  });
});

describe('registering and restoring the kernels', () => {
  it('restores the shipped kernels in working order, then registers ours again', async () => {
    await runOn('wasm', { kernel: 'Relu', inputs: { x: input([2], 1) }, attrs: {} }); // the backend is up
    restoreShippedWasmKernels();
    try {
      assert.deepEqual(registeredWasmTrainingKernels(), []);
      // Shipped kernels registered over ours after the backend started still work.
      const x = input([1, 4, 4, 2], 61);
      const pooled = await runOn('cpu', { kernel: 'MaxPool', inputs: { x }, attrs: { filterSize: 2, strides: 2, pad: 'valid' } });
      await assertMatchesCpu({
        kernel: 'MaxPoolGrad',
        inputs: { dy: input(pooled.shape, 62), input: x, output: { shape: pooled.shape, values: pooled.values } },
        attrs: { filterSize: 2, strides: 2, pad: 'valid' },
      });
      await assertMatchesCpu({ kernel: 'BatchMatMul', inputs: { a: input([5, 3], 63), b: input([4, 5], 64) }, attrs: { transposeA: true, transposeB: true } });
      await assert.rejects(
        runOn('wasm', {
          kernel: 'Conv2DBackpropFilter',
          inputs: { x: input([1, 5, 5, 1], 1), dy: input([1, 5, 5, 1], 2) },
          attrs: { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 1, 1] },
        }),
        { message: "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'" },
      );
    } finally {
      registerWasmTrainingKernels();
    }
    assert.deepEqual(registeredWasmTrainingKernels(), [...WASM_TRAINING_KERNELS]);
    registerWasmTrainingKernels(); // idempotent
    assert.deepEqual(registeredWasmTrainingKernels(), [...WASM_TRAINING_KERNELS]);
  });

  it('names the known kernels when given an unknown one', () => {
    assert.throws(() => registerWasmTrainingKernels(['Conv3D' as never]), {
      message:
        "Unknown WASM training kernel 'Conv3D'; expected one of BatchMatMul, _FusedMatMul, Conv2DBackpropFilter, Conv2DBackpropInput, DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropInput, MaxPoolGrad, UnsortedSegmentSum, Identity, Cast",
    });
  });
});
