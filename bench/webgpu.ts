/**
 * The WebGPU rows of the throughput table, measured only where Dawn finds an
 * adapter, whose description is printed with them. Without a GPU, Linux offers
 * Mesa's llvmpipe when EGL_PLATFORM=surfaceless is set: a software adapter,
 * labelled so and given small rounds. One worker: the GPU is the parallelism,
 * and every worker would open its own device.
 */
import { fed } from '../kernel/api/index';
import type { Dataset } from '../kernel/data/dataset';
import { findAdapter, loadDawn } from '../workers/backend/webgpu/adapter';
import { median, throughputRow, type ThroughputRow } from './table';
import { PAPER_MODELS, timeRounds } from './throughput';

export interface WebGpuBenchOptions {
  full: boolean;
  models: Array<'2nn' | 'cnn'>;
  batches: number[];
  log: (line: string) => void;
  onRow?: (row: ThroughputRow) => void;
}

/** K clients × n examples: as WASM's rounds on a GPU, small ones on a software adapter. */
function roundSize(model: '2nn' | 'cnn', software: boolean, full: boolean): { clients: number; examples: number; rounds: number } {
  if (software) return model === 'cnn' ? { clients: 2, examples: 20, rounds: 1 } : { clients: 2, examples: 150, rounds: 1 };
  if (model === 'cnn') return full ? { clients: 4, examples: 300, rounds: 2 } : { clients: 4, examples: 100, rounds: 1 };
  return full ? { clients: 4, examples: 600, rounds: 3 } : { clients: 4, examples: 300, rounds: 2 };
}

export async function benchWebGpuThroughput(train: Dataset, options: WebGpuBenchOptions): Promise<{ rows: ThroughputRow[]; notes: string[] }> {
  let adapter: string, software: boolean;
  try {
    const found = await findAdapter(loadDawn());
    software = found.software;
    adapter = `${found.description}${software ? ' (a software adapter, CPU-emulated)' : ''}`;
  } catch (error) {
    return { rows: [], notes: [`webgpu skipped: ${(error as Error).message}`] };
  }
  options.log(`  webgpu adapter: ${adapter}`);
  const notes = [`webgpu adapter: ${adapter}; its rows have no torch column (the reference is a CPU loop)`];
  const rows: ThroughputRow[] = [];
  try {
    for (const model of options.models) {
      for (const batch of options.batches) {
        const size = roundSize(model, software, options.full);
        const clients = fed.partition(train, { clients: Math.floor(train.length / size.examples), scheme: 'iid', seed: 1 });
        const timed = await timeRounds(
          { model: PAPER_MODELS[model](), clientsPerRound: size.clients, batchSize: batch, workers: 1, backend: 'webgpu' },
          clients,
          size.rounds,
        );
        const samplesPerSec = (size.clients * size.examples) / (median(timed.trainMs) / 1000);
        const row = throughputRow({
          model,
          batch,
          backend: timed.backend,
          workers: 1,
          samplesPerSec,
          torchSamplesPerSec: null,
          torchBestSamplesPerSec: null,
          clients: size.clients,
          examplesPerClient: size.examples,
        });
        options.log(`  throughput ${model} B=${batch} webgpu W=1: ${samplesPerSec.toFixed(samplesPerSec < 10 ? 2 : 0)} samples/s`);
        rows.push(row);
        options.onRow?.(row);
      }
    }
  } catch (error) {
    notes.push(`webgpu stopped: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    await fed.shutdown();
  }
  return { rows, notes };
}
