/**
 * One client's local training through the compiled step: the same loop as
 * trainLocally (seeded shuffle, epochs, batches, abort flag, deadline, loss and
 * accuracy), with forward, backward and the optimizer in native BLAS calls.
 * Plans are compiled once per worker thread and model and then reused.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { createRng } from '../../kernel/federated/random';
import { describeNativeLibs, loadNativeLibs, type NativeLibs } from '../backend/native-libs/index';
import type { Saxpy } from '../backend/native-libs/blas';
import { exampleSize } from '../batches';
import { clientBatchSize, clientBatches } from '../client-batches';
import type { CachedModel } from '../model-cache';
import type { EvaluateResult, EvaluateTask, TrainResult, TrainTask } from '../task-types';
import { createConvolution, type ConvGeometry } from '../backend/native-libs/dnnl-conv';
import { createMaxPooling, type PoolGeometry } from '../backend/native-libs/dnnl-pool';
import { CompiledStep } from './compiled-step';
import { compileModelPlan } from './model-plan';
import { createAdam, createSgd, type AdamMoments, type CompiledOptimizer } from './optimizers';

/** The path name a run records for clients trained here. */
export const COMPILED_PATH = 'compiled-native';

/** A model compiled for this thread, or why it could not be. */
export type Compiled =
  | { step: CompiledStep; saxpy: Saxpy; weights: Float32Array; moments?: AdamMoments; epsilon: number; x: Float32Array; y: Int32Array }
  | { unsupported: string };

const compiled = new WeakMap<CachedModel, Compiled>();

/**
 * The compiled trainer for `cached`, or a one-line reason to use tfjs instead
 * (no BLAS here, or a layer the compiled step does not run).
 */
export function compiledTrainerFor(tf: typeof tfjs, cached: CachedModel, libs: NativeLibs = loadNativeLibs()): Compiled {
  let entry = compiled.get(cached);
  if (!entry) {
    entry = compile(tf, cached, libs);
    compiled.set(cached, entry);
  }
  return entry;
}

/** One line for the backend report: whether this model trains on the compiled step, with which libraries, or why not. */
export function describeCompiledPath(tf: typeof tfjs, cached: CachedModel, libs: NativeLibs = loadNativeLibs()): string {
  const entry = compiledTrainerFor(tf, cached, libs);
  if ('unsupported' in entry) return `compiled step not used: ${entry.unsupported}`;
  return `compiled step (${describeNativeLibs(libs)})`;
}

function compile(tf: typeof tfjs, cached: CachedModel, libs: NativeLibs): Compiled {
  if (process.env.FEDBOOK_COMPILED === 'off') return { unsupported: 'FEDBOOK_COMPILED=off' };
  if (!libs.blas) return { unsupported: libs.notes[0] ?? 'no BLAS library' };
  const result = compileModelPlan(cached.model, cached.variables);
  if ('unsupported' in result) return result;
  const { plan } = result;
  if (plan.dimension !== cached.dimension) return { unsupported: `the compiled plan has ${plan.dimension} weights, the model ${cached.dimension}` };
  if (plan.softmaxOutput !== cached.softmaxOutput)
    return { unsupported: 'softmax is followed by a layer that changes nothing (the loss would differ from tfjs)' };
  const hasConvolutions = plan.ops.some((op) => op.kind === 'conv2d');
  if (hasConvolutions && !libs.dnnl) return { unsupported: `conv2d needs oneDNN: ${libs.notes.find((n) => /DNNL|oneDNN|dnnl/.test(n)) ?? 'not loaded'}` };
  const dnnl = libs.dnnl;
  const makeConvolution = hasConvolutions && dnnl ? (geometry: ConvGeometry) => createConvolution(dnnl, geometry) : undefined;
  // oneDNN may refuse a geometry: find out now, while tfjs can still take the model, not in a client's step.
  for (const op of plan.ops) {
    if (op.kind !== 'conv2d' || !makeConvolution) continue;
    try {
      makeConvolution({ ...op.geometry, batch: 1, bias: op.biasOffset >= 0, relu: op.rectify }).dispose();
    } catch (error) {
      return { unsupported: `oneDNN refused layer '${op.layer}': ${(error as Error).message.split('\n')[0]}` };
    }
  }
  // Pooling through oneDNN when it takes every pool of the plan; the JS loops otherwise.
  let makePooling = dnnl ? (geometry: PoolGeometry) => createMaxPooling(dnnl, geometry) : undefined;
  for (const op of plan.ops) {
    if (op.kind !== 'maxPool' || !makePooling) continue;
    try {
      const { inH, inW, channels, outH, outW, ph, pw, sh, sw } = op;
      makePooling({ batch: 1, inH, inW, channels, outH, outW, ph, pw, sh, sw, relu: op.activation === 'relu' }).dispose();
    } catch {
      makePooling = undefined;
    }
  }
  return {
    step: new CompiledStep(plan, libs.blas.sgemm, makeConvolution, makePooling),
    saxpy: libs.blas.saxpy,
    weights: new Float32Array(plan.dimension),
    epsilon: tf.backend().epsilon(),
    x: new Float32Array(0),
    y: new Int32Array(0),
  };
}

/** trainLocally's contract, through the compiled step; `into`, when given, receives the delta. */
export function trainCompiled(entry: Exclude<Compiled, { unsupported: string }>, task: TrainTask, backendName: string, into?: Float32Array): TrainResult {
  const started = Date.now();
  const deadlineAt = task.deadlineMs > 0 ? started + task.deadlineMs : Infinity;
  const { config, data } = task;
  const { step } = entry;
  const { plan } = step;
  const numExamples = task.indices.length;
  const base = { type: 'train' as const, clientId: task.clientId, numExamples, backend: backendName, path: COMPILED_PATH };
  if (into && into.length !== plan.dimension) throw new RangeError(`the delta's buffer has ${into.length} values, the model has ${plan.dimension}`);
  if (numExamples === 0)
    return { ...base, status: 'ok', delta: into ? into.fill(0) : new Float32Array(plan.dimension), trainLoss: 0, trainAccuracy: 0, ms: 0, steps: 0 };
  if (task.globalWeights.length !== plan.dimension) throw new RangeError(`weights have ${task.globalWeights.length} values, the model has ${plan.dimension}`);
  const size = exampleSize(data);
  if (size !== plan.inputSize) throw new RangeError(`examples have ${size} values, the model takes ${plan.inputSize}`);
  const correction = config.correction;
  if (correction && correction.length !== plan.dimension) throw new RangeError(`correction has ${correction.length} values, the model has ${plan.dimension}`);

  const batchSize = clientBatchSize(task);
  if (entry.x.length < batchSize * size) {
    entry.x = new Float32Array(batchSize * size);
    entry.y = new Int32Array(batchSize);
  }
  step.reserve(batchSize);
  const weights = entry.weights;
  weights.set(task.globalWeights);
  const dropoutRng = createRng(task.seed).fork('dropout');
  const random = () => dropoutRng.next();
  const terms = { proximalMu: config.proximalMu, anchor: config.proximalMu > 0 ? task.globalWeights : undefined, correction };
  // Plain SGD folds the update into the weight-gradient GEMM; anything else needs the gradient first.
  const fusedSgd = config.optimizer === 'sgd' && !(config.proximalMu > 0) && !correction ? Math.fround(config.clientLr) : undefined;
  // With fused SGD, convolutions still leave their gradient for an SGD step over their own ranges.
  const optimizer =
    fusedSgd === undefined ? createOptimizer(entry, task) : step.unfusedRanges.length ? createSgd(config.clientLr, step.unfusedRanges, entry.saxpy) : undefined;

  let lossSum = 0,
    correct = 0,
    seen = 0,
    steps = 0;
  const batches = clientBatches(task, entry.x, entry.y, size, deadlineAt);
  let next = batches.next();
  while (!next.done) {
    const count = next.value;
    const outcome = step.run(weights, entry.x, entry.y, count, random, fusedSgd);
    let loss = outcome.loss / count;
    if (optimizer) {
      if (fusedSgd === undefined) loss += step.addGradientTerms(weights, terms);
      optimizer.apply(weights, step.gradient);
    }
    steps++;
    lossSum += loss * count;
    correct += outcome.hits;
    seen += count;
    next = batches.next();
  }
  const status = next.value;
  const metrics = { trainLoss: seen ? lossSum / seen : NaN, trainAccuracy: seen ? correct / seen : 0, ms: Date.now() - started, steps };
  if (status !== 'ok') return { ...base, status, ...metrics };
  const delta = into ?? new Float32Array(plan.dimension);
  // weights − global in BLAS: each value is the correctly rounded float32 difference, as in a JS loop, at memcpy speed.
  delta.set(weights);
  entry.saxpy(plan.dimension, -1, task.globalWeights, delta);
  return { ...base, status: 'ok', delta, ...metrics };
}

function createOptimizer(entry: Exclude<Compiled, { unsupported: string }>, task: TrainTask): CompiledOptimizer {
  const { trainable, dimension } = entry.step.plan;
  if (task.config.optimizer !== 'adam') return createSgd(task.config.clientLr, trainable, entry.saxpy);
  entry.moments ??= { first: new Float32Array(dimension), second: new Float32Array(dimension) };
  return createAdam(task.config.clientLr, entry.epsilon, entry.moments, trainable);
}

/** Evaluation batch: buffers grow to it once per worker (a CNN's at 500 would take ~200 MB). */
const EVALUATION_BATCH = 100;

/** evaluateSlice's contract, through the compiled forward pass. */
export function evaluateCompiled(entry: Exclude<Compiled, { unsupported: string }>, task: EvaluateTask, backendName: string): EvaluateResult {
  const { step } = entry;
  const size = exampleSize(task.data);
  if (size !== step.plan.inputSize) throw new RangeError(`examples have ${size} values, the model takes ${step.plan.inputSize}`);
  if (task.weights.length !== step.plan.dimension) throw new RangeError(`weights have ${task.weights.length} values, the model has ${step.plan.dimension}`);
  if (entry.x.length < EVALUATION_BATCH * size) {
    entry.x = new Float32Array(EVALUATION_BATCH * size);
    entry.y = new Int32Array(EVALUATION_BATCH);
  }
  entry.weights.set(task.weights);
  let lossSum = 0,
    correct = 0;
  for (let start = task.start; start < task.end; start += EVALUATION_BATCH) {
    const count = Math.min(EVALUATION_BATCH, task.end - start);
    entry.x.set(task.data.x.subarray(start * size, (start + count) * size));
    entry.y.set(task.data.y.subarray(start, start + count));
    const outcome = step.evaluate(entry.weights, entry.x, entry.y, count);
    lossSum += outcome.loss;
    correct += outcome.hits;
  }
  return { type: 'evaluate', lossSum, correct, count: task.end - task.start, backend: backendName };
}
