/**
 * One client's training step on the fallback path (tfjs op by op on WASM with
 * the native kernels, what `backend: 'auto'` runs for a model the compiled
 * step does not), on this thread: milliseconds per step by wall clock and by
 * this process's CPU time (which other work on the cores disturbs less than
 * the pool benches), and with --kernels the time in each tfjs kernel, the
 * rest being the engine (tape, tidy, bookkeeping) and JavaScript (the timers
 * themselves add to that rest: compare steps without --kernels).
 *
 *   node out/bench/fallback-step.js [--models 2nn,cnn] [--batches 10,50] [--kernels]
 *
 * Each row trains one client of 600 examples (300 for the CNN) three times
 * through the worker's own trainLocally, after three warm-up clients.
 */
import * as tf from '@tensorflow/tfjs';
import { fed } from '../kernel/api/index';
import { getBackend, getModel } from '../workers/model-cache';
import { trainLocally } from '../workers/local-training';
import type { TrainTask } from '../workers/task-types';
import { PAPER_MODELS } from './throughput';

type KernelTimes = Map<string, { ms: number; calls: number }>;

/** Wraps every kernel registered for WASM with a timer (the kernels the engine runs by name). */
function timeKernels(): KernelTimes {
  const times: KernelTimes = new Map();
  for (const config of tf.getKernelsForBackend('wasm')) {
    const run = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const started = performance.now();
        const out = run(args);
        const entry = times.get(config.kernelName) ?? { ms: 0, calls: 0 };
        entry.ms += performance.now() - started;
        entry.calls++;
        times.set(config.kernelName, entry);
        return out;
      },
    });
  }
  return times;
}

async function main(argv: string[]): Promise<void> {
  const option = (flag: string, fallback: string): string => {
    const i = argv.indexOf(flag);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
  };
  const models = option('--models', '2nn,cnn').split(',') as Array<'2nn' | 'cnn'>;
  const batches = option('--batches', '10,50').split(',').map(Number);
  process.env.FEDBOOK_COMPILED = 'off';
  const { tf: tfjs, name, detail } = await getBackend('auto');
  console.log(`backend ${name}: ${detail}`);
  const { train } = await fed.datasets.mnist({ trainLimit: 6000, subsetSeed: 1 });
  const data = { x: train.x, y: train.y, exampleShape: [...train.exampleShape], numClasses: 10 };
  let times: KernelTimes | undefined;
  for (const model of models) {
    const spec = PAPER_MODELS[model]();
    const cached = await getModel(tfjs, spec);
    const weights = new Float32Array(cached.dimension);
    for (const { variable, offset } of cached.variables) weights.set(variable.read().dataSync() as Float32Array, offset);
    const examples = model === 'cnn' ? 300 : 600;
    for (const batch of batches) {
      const task = (seed: number): TrainTask => ({
        type: 'train',
        backend: 'auto',
        spec,
        data,
        clientId: 0,
        indices: Int32Array.from({ length: examples }, (_, i) => i),
        globalWeights: weights,
        config: { localEpochs: 1, batchSize: batch, clientLr: 0.05, optimizer: 'sgd', proximalMu: 0 },
        seed,
        abortFlag: new Int32Array(1),
        deadlineMs: 0,
        startTimes: new Float64Array(1),
        startSlot: 0,
      });
      // Three warm-up clients: the JIT needs more than one before steps take their steady time.
      for (let warmup = 0; warmup < 3; warmup++) await trainLocally(tfjs, cached, task(100 + warmup), name);
      // Wrapped after the first warm-up, so that the kernels fedbook registers on first use are wrapped too.
      if (argv.includes('--kernels')) {
        times ??= timeKernels();
        times.clear();
      }
      let steps = 0;
      const started = performance.now();
      const cpu = process.cpuUsage();
      for (let rep = 0; rep < 3; rep++) steps += (await trainLocally(tfjs, cached, task(rep + 2), name)).steps;
      const wallMs = (performance.now() - started) / steps;
      const used = process.cpuUsage(cpu);
      const cpuMs = (used.user + used.system) / 1000 / steps;
      console.log(
        `${model} B=${batch}: ${wallMs.toFixed(3)} ms/step wall (${((batch * 1000) / wallMs).toFixed(0)} samples/s), ${cpuMs.toFixed(3)} ms/step CPU`,
      );
      if (times) {
        let kernelMs = 0;
        for (const [kernel, { ms, calls }] of [...times].sort((a, b) => b[1].ms - a[1].ms)) {
          kernelMs += ms / steps;
          console.log(`  ${kernel.padEnd(28)} ${(ms / steps).toFixed(4)} ms/step  ${(calls / steps).toFixed(1)} calls/step`);
        }
        console.log(`  kernels ${kernelMs.toFixed(3)} ms/step; engine and JavaScript ${(wallMs - kernelMs).toFixed(3)} ms/step`);
      }
    }
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
