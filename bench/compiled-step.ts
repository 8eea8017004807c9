/**
 * Where the compiled native step's time goes: milliseconds per op (forward and
 * backward) and CPU milliseconds per whole step, for the FedAvg paper's 2NN and
 * CNN on one thread, with fused SGD as a client trains. Random inputs: the
 * work per step does not depend on the values.
 *
 *   node out/bench/compiled-step.js [--models 2nn,cnn] [--batches 10,50] [--seconds S]
 *
 * Each figure is the best of 5 blocks of about S/5 seconds (less disturbed by
 * other processes on the cores than a mean).
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { compiledTrainerFor } from '../workers/compiled/compiled-training';
import { getModel } from '../workers/model-cache';
import { PAPER_MODELS } from './throughput';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

async function main(): Promise<void> {
  const models = option('models', '2nn,cnn').split(',') as Array<'2nn' | 'cnn'>;
  const batches = option('batches', '10,50').split(',').map(Number);
  const seconds = Number(option('seconds', '3'));
  await tf.setBackend('cpu');
  console.log(`compiled step profile, OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'}, load average ${loadavg()[0].toFixed(1)}`);
  for (const name of models) {
    const cached = await getModel(tf, PAPER_MODELS[name]());
    const entry = compiledTrainerFor(tf, cached);
    if ('unsupported' in entry) {
      console.log(`${name}: compiled step not used: ${entry.unsupported}`);
      continue;
    }
    const { step } = entry;
    const weights = Float32Array.from({ length: cached.dimension }, () => (Math.random() - 0.5) * 0.1);
    for (const batch of batches) {
      const x = Float32Array.from({ length: batch * step.plan.inputSize }, Math.random);
      const labels = Int32Array.from({ length: batch }, () => Math.floor(Math.random() * 10));
      const run = () => step.run(weights, x, labels, batch, Math.random, 1e-6);
      for (let i = 0; i < 5; i++) run();
      let bestCpu = Infinity;
      const best = new Map<string, number>();
      for (let block = 0; block < 5; block++) {
        const profile = new Map<string, number>();
        const cpu = process.cpuUsage();
        const until = performance.now() + (seconds * 1000) / 10;
        let steps = 0;
        // Half the block without timers (whole-step CPU time), half with them (per op).
        for (; performance.now() < until || steps < 2; steps++) run();
        const used = process.cpuUsage(cpu);
        bestCpu = Math.min(bestCpu, (used.user + used.system) / 1000 / steps);
        step.profile = profile;
        for (let i = 0; i < steps; i++) run();
        step.profile = undefined;
        for (const [key, ms] of profile) best.set(key, Math.min(best.get(key) ?? Infinity, ms / steps));
      }
      console.log(`${name} B=${batch}: ${bestCpu.toFixed(2)} CPU ms per step, ${((batch * 1000) / bestCpu).toFixed(0)} samples per CPU second`);
      for (const [key, ms] of best) console.log(`  ${key.padEnd(22)} ${ms.toFixed(3)} ms`);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
