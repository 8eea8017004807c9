/**
 * The compiled step against tfjs, the source of truth: gradients on random
 * dense models and batch sizes 1, 7 and 50, and weights after whole local
 * trainings (SGD, Adam, FedProx), through the same loop as trainLocally.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadNativeLibs } from '../../../workers/backend/native-libs/index';
import { CompiledStep, CONVOLUTIONS_KEPT } from '../../../workers/compiled/compiled-step';
import { compiledTrainerFor, trainCompiled, COMPILED_PATH } from '../../../workers/compiled/compiled-training';
import { compileModelPlan } from '../../../workers/compiled/model-plan';
import { lossAndLogits, trainLocally } from '../../../workers/local-training';
import { setFlatWeights } from '../../../workers/model-cache';
import { createConvolution } from '../../../workers/backend/native-libs/dnnl-conv';
import { createMaxPooling } from '../../../workers/backend/native-libs/dnnl-pool';
import { cachedModelOf, createRng, randomArray, randomConvModel, randomModel, randomTask, relativeError, tf } from './helpers';

const libs = loadNativeLibs();
const noBlas = !libs.blas && `no BLAS here: ${libs.notes.join('; ')}`;
const noDnnl = noBlas || (!libs.dnnl && `no oneDNN 2.x here: ${libs.notes.join('; ')}`);

before(async () => {
  await tf.setBackend('cpu');
});

describe('compiled step gradients equal tfjs gradients', { skip: noBlas }, () => {
  for (const batch of [1, 7, 50]) {
    it(`on 6 random dense models at batch ${batch} (relative error < 1e-5)`, async () => {
      const rng = createRng(1000 + batch);
      for (let trial = 0; trial < 6; trial++) {
        const inputShape = trial % 2 ? [4, 3] : [11];
        const classes = 2 + rng.int(8);
        const cached = await cachedModelOf(randomModel(rng, inputShape, classes), inputShape, classes);
        const weights = randomArray(rng, cached.dimension, 0.5);
        const x = randomArray(rng, batch * 12 + 50);
        const labels = Int32Array.from({ length: batch }, () => rng.int(classes));

        setFlatWeights(tf, cached, weights);
        const expected = new Float32Array(cached.dimension);
        let expectedLoss = 0;
        tf.tidy(() => {
          const xs = tf.tensor(x.slice(0, batch * 12).subarray(0, batch * inputShape.reduce((a, b) => a * b, 1)), [batch, ...inputShape]);
          const { value, grads } = tf.variableGrads(() => lossAndLogits(tf, cached, xs, tf.tensor1d(labels, 'int32')).loss, cached.trainableVariables);
          expectedLoss = value.dataSync()[0];
          for (const { variable, offset } of cached.variables) expected.set(grads[(variable as unknown as { val: tf.Variable }).val.name].dataSync(), offset);
        });

        const plan = compileModelPlan(cached.model, cached.variables);
        assert.ok('plan' in plan, JSON.stringify(plan));
        const step = new CompiledStep(plan.plan, libs.blas!.sgemm);
        const outcome = step.run(weights, x, labels, batch, Math.random);
        const error = relativeError(step.gradient, expected);
        assert.ok(error < 1e-5, `model ${trial} (${cached.model.layers.map((l) => l.getClassName()).join('-')}): gradient relative error ${error}`);
        assert.ok(
          Math.abs(outcome.loss / batch - expectedLoss) < 1e-5 * Math.max(1, Math.abs(expectedLoss)),
          `loss ${outcome.loss / batch} vs tfjs ${expectedLoss}`,
        );
      }
    });
  }
});

describe('compiled local training equals tfjs local training', { skip: noBlas }, () => {
  const cases = [
    { name: 'SGD, batch 7, 2 epochs', config: {} },
    { name: 'SGD, batch 1', config: { batchSize: 1, localEpochs: 1 } },
    { name: 'SGD, batch 50 over 23 examples (one batch)', config: { batchSize: 50 } },
    { name: 'SGD with FedProx μ = 0.1', config: { proximalMu: 0.1 } },
    { name: 'Adam, lr 0.01', config: { optimizer: 'adam' as const, clientLr: 0.01 } },
    { name: 'Adam with FedProx μ = 0.5', config: { optimizer: 'adam' as const, clientLr: 0.01, proximalMu: 0.5 } },
  ];
  for (const { name, config } of cases) {
    it(`${name}: same weights, loss, accuracy and steps`, async () => {
      const rng = createRng(7);
      for (let trial = 0; trial < 3; trial++) {
        const inputShape = [9];
        const classes = 3 + trial;
        const cached = await cachedModelOf(randomModel(rng, inputShape, classes), inputShape, classes);
        const weights = randomArray(rng, cached.dimension, 0.5);
        const task = randomTask(rng, inputShape, classes, 23, weights, config);
        const reference = await trainLocally(tf, cached, task, 'cpu');
        const entry = compiledTrainerFor(tf, cached);
        assert.ok('step' in entry, 'unsupported' in entry ? entry.unsupported : '');
        const compiled = trainCompiled(entry, task, 'cpu');
        assert.equal(compiled.path, COMPILED_PATH);
        assert.equal(reference.path, 'tfjs-cpu');
        assert.equal(compiled.steps, reference.steps);
        const local = (delta: Float32Array) => delta.map((d, i) => d + weights[i]);
        const error = relativeError(local(compiled.delta!), local(reference.delta!));
        assert.ok(error < 1e-5, `trial ${trial}: weights relative error ${error}`);
        const deltaError = relativeError(compiled.delta!, reference.delta!);
        assert.ok(deltaError < 1e-4, `trial ${trial}: delta relative error ${deltaError}`);
        assert.ok(
          Math.abs(compiled.trainLoss - reference.trainLoss) < 1e-5 * Math.max(1, reference.trainLoss),
          `loss ${compiled.trainLoss} vs ${reference.trainLoss}`,
        );
        assert.equal(compiled.trainAccuracy, reference.trainAccuracy);
      }
    });
  }
});

describe('compiled CNN step (oneDNN convolutions) equals tfjs', { skip: noDnnl }, () => {
  for (const batch of [1, 7, 50]) {
    it(`gradients of 5 random CNNs at batch ${batch} (relative error < 1e-5)`, async () => {
      const rng = createRng(2000 + batch);
      for (let trial = 0; trial < 5; trial++) {
        const inputShape = trial % 2 ? [9, 7, 1] : [8, 8, 2];
        const classes = 3;
        const cached = await cachedModelOf(randomConvModel(rng, inputShape, classes), inputShape, classes);
        const weights = randomArray(rng, cached.dimension, 0.5);
        const size = inputShape.reduce((a, b) => a * b, 1);
        const x = randomArray(rng, batch * size);
        const labels = Int32Array.from({ length: batch }, () => rng.int(classes));
        setFlatWeights(tf, cached, weights);
        const expected = new Float32Array(cached.dimension);
        tf.tidy(() => {
          const xs = tf.tensor(x, [batch, ...inputShape]);
          const { grads } = tf.variableGrads(() => lossAndLogits(tf, cached, xs, tf.tensor1d(labels, 'int32')).loss, cached.trainableVariables);
          for (const { variable, offset } of cached.variables) expected.set(grads[(variable as unknown as { val: tf.Variable }).val.name].dataSync(), offset);
        });
        const plan = compileModelPlan(cached.model, cached.variables);
        assert.ok('plan' in plan, JSON.stringify(plan));
        const layers = cached.model.layers
          .map((l) => {
            const c = l.getConfig() as Record<string, unknown>;
            return `${l.getClassName()}${c.kernelSize ? `(${c.kernelSize}/${c.strides}/${c.padding})` : ''}`;
          })
          .join('-');
        // Pooling through oneDNN, and through the JS loops used when oneDNN refuses a pooling geometry.
        for (const pooling of ['oneDNN', 'JS'] as const) {
          const makePooling = pooling === 'oneDNN' ? (g: Parameters<typeof createMaxPooling>[1]) => createMaxPooling(libs.dnnl!, g) : undefined;
          const step = new CompiledStep(plan.plan, libs.blas!.sgemm, (g) => createConvolution(libs.dnnl!, g), makePooling);
          step.run(weights, x, labels, batch, Math.random);
          const error = relativeError(step.gradient, expected);
          assert.ok(error < 1e-5, `model ${trial} (${layers}), ${pooling} pooling: gradient relative error ${error}`);
        }
      }
    });
  }

  it('keeps at most CONVOLUTIONS_KEPT batch sizes per conv, freeing older ones, and stays equal to tfjs', async () => {
    const rng = createRng(91);
    const inputShape = [6, 6, 1];
    const cached = await cachedModelOf(randomConvModel(rng, inputShape, 3), inputShape, 3);
    const entry = compiledTrainerFor(tf, cached);
    assert.ok('step' in entry);
    const weights = randomArray(rng, cached.dimension, 0.3);
    // Partial batches of 2, 1, 6, 5 and 4 examples, plus the full batch of 7: six batch sizes.
    for (const examples of [23, 22, 20, 19, 18]) {
      const task = randomTask(rng, inputShape, 3, examples, weights, { localEpochs: 1 });
      const reference = await trainLocally(tf, cached, task, 'cpu');
      const compiled = trainCompiled(entry, task, 'cpu');
      const error = relativeError(
        compiled.delta!.map((d, i) => d + weights[i]),
        reference.delta!.map((d, i) => d + weights[i]),
      );
      assert.ok(error < 1e-5, `${examples} examples: weights relative error ${error}`);
    }
    const caches = (entry.step as unknown as { natives: Array<Map<number, unknown>> }).natives;
    for (const cache of caches) assert.ok(cache.size <= CONVOLUTIONS_KEPT, `${cache.size} convolutions kept`);
    assert.ok(caches.some((cache) => cache.size === CONVOLUTIONS_KEPT));
    const conv = createConvolution(libs.dnnl!, {
      batch: 1,
      inH: 3,
      inW: 3,
      inC: 1,
      outH: 3,
      outW: 3,
      outC: 1,
      kh: 1,
      kw: 1,
      sh: 1,
      sw: 1,
      pt: 0,
      pl: 0,
      pb: 0,
      pr: 0,
      bias: false,
    });
    conv.dispose();
    assert.throws(() => conv.forward(new Float32Array(9), new Float32Array(1), undefined, new Float32Array(9)), /convolution: used after dispose\(\)/);
  });

  it('weights after SGD and Adam local training, 2 epochs at batch 7', async () => {
    const rng = createRng(77);
    for (const optimizer of ['sgd', 'adam'] as const) {
      const inputShape = [8, 8, 2];
      const cached = await cachedModelOf(randomConvModel(rng, inputShape, 4), inputShape, 4);
      const weights = randomArray(rng, cached.dimension, 0.3);
      const task = randomTask(rng, inputShape, 4, 23, weights, { optimizer, clientLr: optimizer === 'adam' ? 0.01 : 0.05 });
      const reference = await trainLocally(tf, cached, task, 'cpu');
      const entry = compiledTrainerFor(tf, cached);
      assert.ok('step' in entry, 'unsupported' in entry ? entry.unsupported : '');
      const compiled = trainCompiled(entry, task, 'cpu');
      const local = (delta: Float32Array) => delta.map((d, i) => d + weights[i]);
      const error = relativeError(local(compiled.delta!), local(reference.delta!));
      assert.ok(error < 1e-5, `${optimizer}: weights relative error ${error}`);
      assert.equal(compiled.steps, reference.steps);
      assert.equal(compiled.trainAccuracy, reference.trainAccuracy);
    }
  });
});
