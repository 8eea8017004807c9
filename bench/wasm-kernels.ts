/**
 * Training throughput on the WASM backend: tfjs-backend-wasm as shipped versus
 * with fedbook's training kernels, for the FedAvg paper's models (McMahan et
 * al. 2017): the 2NN (784-200-200-10) and the CNN (1,663,370 parameters).
 *
 *   node out/bench/wasm-kernels.js [--seconds S] [--models 2nn,cnn] [--batches 10,50] [--layers] [--json FILE]
 *
 * --layers builds the same models with tf.layers (as fedbook's workers do:
 * fused dense and conv kernels) instead of plain ops.
 * Each row is one hand-written SGD step (tf.variableGrads + applyGradients in
 * tf.tidy) on real MNIST digits, repeated for S seconds (at least 2 steps)
 * after one warm-up step.
 * Throughput is given per wall-clock second and per second of this process's
 * CPU time; speedups use CPU time, which other processes on the cores disturb less.
 * As shipped, the CNN cannot train at all (no Conv2DBackpropFilter), so the CNN
 * baseline is 'shipped+filter': shipped kernels plus only our filter gradient.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '../kernel/data/mnist';
import { createRng } from '../kernel/federated/random';
import { loadBackend, registerWasmTrainingKernels, restoreShippedWasmKernels, WASM_TRAINING_KERNELS, type WasmTrainingKernel } from '../workers/backend';

/** Which WASM kernels a row runs with. */
type KernelSet = 'shipped' | 'shipped+filter' | 'fedbook';
const KERNEL_SETS: Record<KernelSet, readonly WasmTrainingKernel[]> = {
  shipped: [],
  'shipped+filter': ['Conv2DBackpropFilter'],
  fedbook: WASM_TRAINING_KERNELS,
};

/** One measured configuration. */
export interface BenchRow {
  bench: 'wasm-kernels';
  model: '2nn' | 'cnn';
  /** How the model is written: plain ops, or tf.layers (fused kernels), as fedbook's workers build it. */
  api: 'ops' | 'layers';
  batch: number;
  backend: `wasm-${KernelSet}`;
  params: number;
  steps: number;
  /** Samples per wall-clock second. */
  samplesPerSec: number | null;
  /**
   * Samples per second of this process's CPU time: steadier than wall time
   * when other processes share the cores (the bench runs one thread).
   */
  samplesPerCpuSec: number | null;
  msPerStep: number | null;
  /** Speedup in samplesPerCpuSec over the model's baseline row at the same batch. */
  speedup?: number;
  error?: string;
}

interface Model {
  variables: tf.Variable[];
  /** Logits for a batch of [n, 28, 28, 1] images. */
  logits(x: tf.Tensor4D): tf.Tensor2D;
}

function glorot(shape: number[], fanIn: number, fanOut: number, seed: number): tf.Variable {
  const rng = createRng(seed);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = (2 * rng.next() - 1) * limit;
  return tf.variable(tf.tensor(values, shape));
}

function dense(fanIn: number, fanOut: number, seed: number): [tf.Variable, tf.Variable] {
  return [glorot([fanIn, fanOut], fanIn, fanOut, seed), tf.variable(tf.zeros([fanOut]))];
}

/** The 2NN: two hidden layers of 200 ReLU units (199,210 parameters). */
function build2nn(): Model {
  const [w1, b1] = dense(784, 200, 1);
  const [w2, b2] = dense(200, 200, 2);
  const [w3, b3] = dense(200, 10, 3);
  return {
    variables: [w1, b1, w2, b2, w3, b3],
    logits: (x) => {
      const h1 = tf.relu(tf.add(tf.matMul(tf.reshape(x, [-1, 784]), w1), b1));
      const h2 = tf.relu(tf.add(tf.matMul(h1, w2), b2));
      return tf.add(tf.matMul(h2, w3), b3) as tf.Tensor2D;
    },
  };
}

/** The CNN: 5×5×32 conv, 2×2 pool, 5×5×64 conv, 2×2 pool, dense 512, dense 10. */
function buildCnn(): Model {
  const k1 = glorot([5, 5, 1, 32], 25, 800, 4);
  const c1 = tf.variable(tf.zeros([32]));
  const k2 = glorot([5, 5, 32, 64], 800, 1600, 5);
  const c2 = tf.variable(tf.zeros([64]));
  const [w3, b3] = dense(7 * 7 * 64, 512, 6);
  const [w4, b4] = dense(512, 10, 7);
  return {
    variables: [k1, c1, k2, c2, w3, b3, w4, b4],
    logits: (x) => {
      const a1 = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, k1 as tf.Tensor4D, 1, 'same'), c1)) as tf.Tensor4D, 2, 2, 'valid');
      const a2 = tf.maxPool(tf.relu(tf.add(tf.conv2d(a1, k2 as tf.Tensor4D, 1, 'same'), c2)) as tf.Tensor4D, 2, 2, 'valid');
      const h3 = tf.relu(tf.add(tf.matMul(tf.reshape(a2, [-1, 7 * 7 * 64]), w3), b3));
      return tf.add(tf.matMul(h3, w4), b4) as tf.Tensor2D;
    },
  };
}

const BUILDERS = { '2nn': build2nn, cnn: buildCnn } as const;

/** The same architectures written with tf.layers, as fedbook's workers build them. */
function buildWithLayers(name: '2nn' | 'cnn'): Model {
  const init = (seed: number) => ({ kernelInitializer: tf.initializers.glorotUniform({ seed }) });
  const layers =
    name === '2nn'
      ? [
          tf.layers.flatten({ inputShape: [28, 28, 1] }),
          tf.layers.dense({ units: 200, activation: 'relu', ...init(1) }),
          tf.layers.dense({ units: 200, activation: 'relu', ...init(2) }),
          tf.layers.dense({ units: 10, ...init(3) }),
        ]
      : [
          tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 5, padding: 'same', activation: 'relu', ...init(4) }),
          tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
          tf.layers.conv2d({ filters: 64, kernelSize: 5, padding: 'same', activation: 'relu', ...init(5) }),
          tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 512, activation: 'relu', ...init(6) }),
          tf.layers.dense({ units: 10, ...init(7) }),
        ];
  const model = tf.sequential({ layers });
  return {
    variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
    logits: (x) => model.apply(x, { training: true }) as tf.Tensor2D,
  };
}

/** One SGD step on one batch; returns nothing so that nothing escapes the tidy. */
function step(model: Model, optimizer: tf.Optimizer, x: tf.Tensor4D, y: tf.Tensor2D): void {
  tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.logits(x)).mean() as tf.Scalar, model.variables);
    optimizer.applyGradients(grads);
  });
}

interface Options {
  seconds: number;
  models: Array<'2nn' | 'cnn'>;
  batches: number[];
  layers: boolean;
  json?: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { seconds: 1.5, models: ['2nn', 'cnn'], batches: [10, 50], layers: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--layers') {
      options.layers = true;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    i++;
    if (flag === '--seconds') {
      options.seconds = Number(value);
      if (!(options.seconds > 0)) throw new Error(`--seconds must be a positive number, got '${value}'`);
    } else if (flag === '--models') {
      options.models = value.split(',') as Options['models'];
      for (const m of options.models) if (!(m in BUILDERS)) throw new Error(`--models takes 2nn and/or cnn, got '${m}'`);
    } else if (flag === '--batches') {
      options.batches = value.split(',').map(Number);
      if (!options.batches.every((b) => Number.isInteger(b) && b > 0)) throw new Error(`--batches must be positive integers, got '${value}'`);
    } else if (flag === '--json') {
      options.json = value;
    } else {
      throw new Error(`Unknown option '${flag}'; expected --seconds, --models, --batches, --layers or --json`);
    }
  }
  return options;
}

async function measure(
  modelName: '2nn' | 'cnn',
  batch: number,
  kernels: KernelSet,
  options: Options,
  images: Float32Array,
  labels: Int32Array,
): Promise<BenchRow> {
  const { seconds } = options;
  restoreShippedWasmKernels();
  registerWasmTrainingKernels(KERNEL_SETS[kernels]);
  const model = options.layers ? buildWithLayers(modelName) : BUILDERS[modelName]();
  const params = model.variables.reduce((sum, v) => sum + v.size, 0);
  const optimizer = tf.train.sgd(0.05);
  const batches = Math.floor(labels.length / batch);
  const xs = Array.from({ length: batches }, (_, i) => tf.tensor4d(images.subarray(i * batch * 784, (i + 1) * batch * 784), [batch, 28, 28, 1]));
  const ys = Array.from({ length: batches }, (_, i) => tf.oneHot(tf.tensor1d(labels.subarray(i * batch, (i + 1) * batch), 'int32'), 10) as tf.Tensor2D);
  const api = options.layers ? 'layers' : 'ops';
  const row: BenchRow = {
    bench: 'wasm-kernels',
    model: modelName,
    api,
    batch,
    backend: `wasm-${kernels}`,
    params,
    steps: 0,
    samplesPerSec: null,
    samplesPerCpuSec: null,
    msPerStep: null,
  };
  try {
    step(model, optimizer, xs[0], ys[0]); // warm-up: kernels set up, XNNPACK operators created
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    let elapsed = 0;
    while (elapsed < seconds * 1000 || row.steps < 2) {
      step(model, optimizer, xs[row.steps % batches], ys[row.steps % batches]);
      row.steps++;
      elapsed = performance.now() - start;
    }
    const cpu = process.cpuUsage(cpuStart);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    row.msPerStep = elapsed / row.steps;
    row.samplesPerSec = (row.steps * batch * 1000) / elapsed;
    row.samplesPerCpuSec = (row.steps * batch * 1000) / cpuMs;
  } catch (error) {
    row.error = (error as Error).message;
  } finally {
    tf.dispose([...xs, ...ys, ...model.variables]);
    optimizer.dispose();
  }
  return row;
}

function formatTable(rows: BenchRow[]): string {
  const header = ['model', 'batch', 'backend', 'params', 'steps', 'samples/s', 'ms/step', 'samples/cpu-s', 'speedup'];
  const lines = rows.map((r) => [
    r.model,
    String(r.batch),
    r.backend,
    r.params.toLocaleString('en-US'),
    String(r.steps),
    r.samplesPerSec === null ? `fails: ${r.error}` : r.samplesPerSec.toFixed(0),
    r.msPerStep === null ? '' : r.msPerStep.toFixed(1),
    r.samplesPerCpuSec === null ? '' : r.samplesPerCpuSec.toFixed(0),
    r.speedup === undefined ? '' : `${r.speedup.toFixed(2)}×`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (i === 5 && l[i].startsWith('fails') ? 0 : l[i].length))));
  return [header, ...lines]
    .map((cells) =>
      cells
        .map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Runs the benchmark, prints the table, and returns the rows. */
export async function main(argv: string[]): Promise<BenchRow[]> {
  const options = parseArgs(argv);
  const loaded = await loadBackend('wasm');
  const { train } = await loadMnist();
  const images = train.x.subarray(0, 500 * 784);
  const labels = train.y.subarray(0, 500);
  console.log(
    `WASM training step (${options.layers ? 'tf.layers models' : 'plain ops'}), ${options.seconds}s (≥ 2 steps) per row after a warm-up step; ${loaded.detail}`,
  );
  const rows: BenchRow[] = [];
  for (const model of options.models) {
    const sets: KernelSet[] = model === 'cnn' ? ['shipped', 'shipped+filter', 'fedbook'] : ['shipped', 'fedbook'];
    for (const batch of options.batches) {
      const measured: BenchRow[] = [];
      for (const kernels of sets) measured.push(await measure(model, batch, kernels, options, images, labels));
      const baseline = measured.find((r) => r.samplesPerSec !== null && r.backend !== 'wasm-fedbook');
      for (const r of measured) {
        if (baseline?.samplesPerCpuSec && r.samplesPerCpuSec !== null) r.speedup = r.samplesPerCpuSec / baseline.samplesPerCpuSec;
      }
      rows.push(...measured);
    }
  }
  restoreShippedWasmKernels();
  registerWasmTrainingKernels();
  console.log(formatTable(rows));
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (other processes on these cores disturb wall time most, CPU time less)`,
  );
  if (options.json !== undefined) {
    writeFileSync(options.json, JSON.stringify(rows, null, 1) + '\n');
    console.log(`wrote ${rows.length} rows to ${options.json}`);
  }
  return rows;
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}
