/**
 * The compiled trainer's contract beyond matching tfjs: SCAFFOLD's correction,
 * abort and deadline, dropout, shape checks before C, and the models it
 * refuses (naming the layer).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkGemm, loadNativeLibs } from '../../../workers/backend/native-libs/index';
import { CompiledStep } from '../../../workers/compiled/compiled-step';
import { compiledTrainerFor, evaluateCompiled, trainCompiled } from '../../../workers/compiled/compiled-training';
import { evaluateSlice } from '../../../workers/evaluation';
import { compileModelPlan } from '../../../workers/compiled/model-plan';
import { getModel } from '../../../workers/model-cache';
import { trainLocally } from '../../../workers/local-training';
import { cachedModelOf, createRng, randomArray, randomTask, tf } from './helpers';

const libs = loadNativeLibs();
const noBlas = !libs.blas && `no BLAS here: ${libs.notes.join('; ')}`;

before(async () => {
  await tf.setBackend('cpu');
});

async function logistic(inputs: number, classes: number) {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [inputs], units: classes })] });
  const cached = await cachedModelOf(model, [inputs], classes);
  const entry = compiledTrainerFor(tf, cached);
  assert.ok('step' in entry);
  return { cached, entry };
}

describe('compiled trainer', { skip: noBlas }, () => {
  it('adds the SCAFFOLD correction to the gradient: one SGD step moves the weights by −lr·c more', async () => {
    const { cached, entry } = await logistic(5, 3);
    const rng = createRng(3);
    const weights = randomArray(rng, cached.dimension);
    const plain = randomTask(rng, [5], 3, 8, weights, { batchSize: 8, localEpochs: 1, clientLr: 0.5 });
    const correction = Float32Array.from({ length: cached.dimension }, (_, i) => (i % 3) - 1); // -1, 0, 1, ...
    const corrected = { ...plain, config: { ...plain.config, correction } };
    const a = trainCompiled(entry, plain, 'cpu');
    const b = trainCompiled(entry, corrected, 'cpu');
    assert.equal(b.steps, 1);
    for (let i = 0; i < cached.dimension; i++) assert.ok(Math.abs(b.delta![i] - a.delta![i] + 0.5 * correction[i]) < 1e-6, `weight ${i}`);
    assert.equal(b.trainLoss, a.trainLoss, 'the correction changes the gradient, not the loss');
  });

  it('stops between batches when the abort flag is set, and at its deadline', async () => {
    const { cached, entry } = await logistic(5, 3);
    const rng = createRng(4);
    const task = randomTask(rng, [5], 3, 40, randomArray(rng, cached.dimension), { batchSize: 4 });
    const aborted = trainCompiled(entry, { ...task, abortFlag: Int32Array.of(1) }, 'cpu');
    assert.equal(aborted.status, 'aborted');
    assert.equal(aborted.steps, 0);
    assert.equal(aborted.delta, undefined);
    // A million epochs cannot end within 200 ms, and 200 ms leaves room for a first step on a busy machine (1 ms did not).
    const late = trainCompiled(entry, { ...task, deadlineMs: 200, config: { ...task.config, localEpochs: 1e6 } }, 'cpu');
    assert.equal(late.status, 'timeout');
    assert.ok(late.steps > 0);
  });

  it('writes the delta into the buffer it is given: the float32 local − global of every weight, bit for bit', async () => {
    const { cached, entry } = await logistic(5, 3);
    const rng = createRng(6);
    const task = randomTask(rng, [5], 3, 12, randomArray(rng, cached.dimension), { batchSize: 4, clientLr: 0.3 });
    const into = new Float32Array(cached.dimension).fill(NaN);
    const result = trainCompiled(entry, task, 'cpu', into);
    assert.equal(result.delta, into);
    const expected = entry.weights.map((w, j) => w - task.globalWeights[j]);
    assert.ok(Buffer.from(into.buffer).equals(Buffer.from(expected.buffer)));
    assert.ok(into.some((d) => d !== 0));
    assert.throws(() => trainCompiled(entry, task, 'cpu', new Float32Array(cached.dimension + 1)), {
      message: `the delta's buffer has ${cached.dimension + 1} values, the model has ${cached.dimension}`,
    });
    const empty = trainCompiled(entry, { ...task, indices: new Int32Array(0) }, 'cpu', into);
    assert.ok(
      into.every((d) => d === 0),
      'an empty client clears the buffer it was given',
    );
    assert.equal(empty.delta, into);
  });

  it('an empty client returns a zero delta and no steps', async () => {
    const { cached, entry } = await logistic(5, 3);
    const task = randomTask(createRng(5), [5], 3, 4, new Float32Array(cached.dimension));
    const result = trainCompiled(entry, { ...task, indices: new Int32Array(0) }, 'cpu');
    assert.deepEqual(
      { status: result.status, steps: result.steps, delta: Array.from(result.delta!) },
      { status: 'ok', steps: 0, delta: new Array(cached.dimension).fill(0) },
    );
  });

  it('drops units at the dropout rate and scales the kept ones by 1/keep', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [4], units: 1000, kernelInitializer: 'ones', biasInitializer: 'ones' }),
        tf.layers.dropout({ rate: 0.25 }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    const cached = await cachedModelOf(model, [4], 2);
    const plan = compileModelPlan(cached.model, cached.variables);
    assert.ok('plan' in plan);
    const step = new CompiledStep(plan.plan, libs.blas!.sgemm);
    const weights = new Float32Array(cached.dimension).fill(0.5);
    step.run(weights, new Float32Array(4 * 10).fill(0), new Int32Array(10), 10, createRng(1).next.bind(createRng(1)));
    const out = (step as unknown as { outputs: Float32Array[] }).outputs[1];
    // Dense output is 0.5 (the bias) everywhere; dropout makes it 0 or 0.5 / 0.75.
    const kept = Array.from(out).filter((v) => v !== 0);
    assert.ok(kept.every((v) => Math.abs(v - 0.5 / 0.75) < 1e-6));
    assert.ok(Math.abs(kept.length / out.length - 0.75) < 0.02, `kept ${kept.length} of ${out.length}`);
  });

  it('evaluates like evaluateSlice: same loss sum and hits, dropout off, over several evaluation batches', async () => {
    const rng = createRng(12);
    for (const softmax of [false, true]) {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [6], units: 16, activation: 'tanh' }),
          tf.layers.dropout({ rate: 0.5 }),
          tf.layers.dense({ units: 4, activation: softmax ? 'softmax' : 'linear' }),
        ],
      });
      const cached = await cachedModelOf(model, [6], 4);
      const entry = compiledTrainerFor(tf, cached);
      assert.ok('step' in entry);
      const train = randomTask(rng, [6], 4, 1203, new Float32Array(0));
      const task = {
        type: 'evaluate' as const,
        backend: 'auto',
        spec: train.spec,
        data: train.data,
        start: 100,
        end: 1203,
        weights: randomArray(rng, cached.dimension),
      };
      const expected = await evaluateSlice(tf, cached, { ...task, backend: 'cpu' }, 'cpu');
      const got = evaluateCompiled(entry, task, 'cpu');
      assert.equal(got.count, 1103);
      assert.equal(got.correct, expected.correct);
      assert.ok(Math.abs(got.lossSum - expected.lossSum) < 1e-5 * expected.lossSum, `loss sum ${got.lossSum} vs ${expected.lossSum}`);
    }
  });

  it('checks shapes before calling into C', async () => {
    const a = new Float32Array(6),
      b = new Float32Array(6),
      c = new Float32Array(4);
    assert.throws(() => checkGemm(false, false, 2, 2, 4, a, b, c), /sgemm: A is 2×4 but holds 6 values/);
    assert.throws(() => checkGemm(false, true, 2, 3, 3, a, new Float32Array(9), c), /sgemm: C is 2×3 but holds 4 values/);
    assert.throws(() => checkGemm(false, false, 2.5, 2, 3, a, b, c), /m must be a non-negative 32-bit integer/);
    assert.throws(() => libs.blas!.sgemm(false, false, 2, 2, 4, a, b, c, 1, 0), /A is 2×4/);
    const { cached, entry } = await logistic(5, 3);
    assert.throws(
      () => entry.step.run(new Float32Array(cached.dimension - 1), new Float32Array(5), new Int32Array(1), 1, Math.random),
      /weights have 17 values, the model has 18/,
    );
    assert.throws(
      () => entry.step.run(new Float32Array(cached.dimension), new Float32Array(9), new Int32Array(2), 2, Math.random),
      /a batch of 2 needs 10 inputs/,
    );
    const task = randomTask(createRng(6), [4], 3, 4, new Float32Array(cached.dimension));
    assert.throws(() => trainCompiled(entry, task, 'cpu'), /examples have 4 values, the model takes 5/);
  });
});

describe('models the compiled step does not run', () => {
  it('names the unsupported layer, and trainLocally says so while training through tfjs', async () => {
    const paperCnn = await getModel(tf, { kind: 'cnn', inputShape: [28, 28, 1], numClasses: 10 });
    assert.ok('plan' in compileModelPlan(paperCnn.model, paperCnn.variables), 'the FedAvg paper CNN compiles');
    const pooled = await cachedModelOf(
      tf.sequential({ layers: [tf.layers.averagePooling2d({ inputShape: [4, 4, 1], poolSize: 2 }), tf.layers.flatten(), tf.layers.dense({ units: 2 })] }),
      [4, 4, 1],
      2,
    );
    const plan = compileModelPlan(pooled.model, pooled.variables);
    assert.ok('unsupported' in plan);
    assert.match(plan.unsupported, /^layer 'average_pooling2d_AveragePooling2D\d+' \(AveragePooling2D\) is not supported by the compiled step/);
    const small = await cachedModelOf(
      tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 4, activation: 'elu' }), tf.layers.dense({ units: 2 })] }),
      [3],
      2,
    );
    const task = { ...randomTask(createRng(8), [3], 2, 5, new Float32Array(small.dimension)), backend: 'auto' };
    const result = await trainLocally(tf, small, task, 'cpu');
    assert.equal(result.path, 'tfjs-cpu');
    assert.match(result.pathNote ?? '', noBlas ? /BLAS/ : /layer 'dense_Dense\d+' \(Dense\) with activation 'elu' is not supported by the compiled step/);
    assert.equal(result.status, 'ok');
  });

  it('a CNN without oneDNN stays on tfjs and says what was missing', { skip: noBlas }, async () => {
    const cnn = await cachedModelOf(
      tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [5, 5, 1], filters: 2, kernelSize: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 2 })] }),
      [5, 5, 1],
      2,
    );
    const entry = compiledTrainerFor(tf, cnn, { blas: libs.blas, notes: ['FEDBOOK_DNNL=/nowhere/libdnnl.so.2 could not be loaded (no such file)'] });
    assert.deepEqual(entry, { unsupported: 'conv2d needs oneDNN: FEDBOOK_DNNL=/nowhere/libdnnl.so.2 could not be loaded (no such file)' });
  });

  it("'auto' takes the compiled step for a supported model; an explicit backend keeps tfjs", { skip: noBlas }, async () => {
    const { cached } = await logistic(3, 2);
    const task = randomTask(createRng(9), [3], 2, 5, new Float32Array(cached.dimension));
    assert.equal((await trainLocally(tf, cached, { ...task, backend: 'auto' }, 'cpu')).path, 'compiled-native');
    assert.equal((await trainLocally(tf, cached, { ...task, backend: 'wasm' }, 'cpu')).path, 'tfjs-cpu');
  });
});
