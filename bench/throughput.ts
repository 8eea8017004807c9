/**
 * Client training throughput through the real pool: one round of K clients,
 * each with the same number of examples, E = 1; throughput = examples trained
 * / the round's train phase. Next to it, in the same run, the same model and
 * batch trained by a PyTorch CPU loop (bench/torch_reference.py) with as many
 * threads as the pool has workers.
 *
 * 'compiled' is the compiled native step (backend 'auto' with BLAS found);
 * its rows count only when every client really trained on that path.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fed } from '../kernel/api/index';
import type { Dataset } from '../kernel/data/dataset';
import type { FederatedData } from '../kernel/federated/partition/federated-data';
import type { ModelSpec } from '../workers/model-spec';
import { median, throughputRow, type ThroughputRow } from './table';
import { counterDelta, readCounters, type ProcessCounters } from './process-counters';

/** The FedAvg paper's models, by the names the tables use. */
export const PAPER_MODELS: Record<'2nn' | 'cnn', () => ModelSpec> = {
  '2nn': () => fed.models.mlp({ hidden: [200, 200] }),
  cnn: () => fed.models.cnn(),
};

export interface TimedRounds {
  backend: string;
  /** The training paths the measured rounds' clients took ('compiled-native', 'tfjs-wasm', ...), with any note. */
  paths: Record<string, { clients: number; note?: string }>;
  /** Per measured round: whole round and train phase, ms. */
  roundMs: number[];
  trainMs: number[];
  /** Per measured round: CPU time, the main thread's share, page faults. */
  counters: ProcessCounters[];
}

/**
 * Runs one warm-up round on `warmupClients` (every worker loads its backend
 * and builds the model; smaller clients of the same dataset make it quick),
 * then `rounds` measured rounds on `clients`, without evaluation.
 */
export async function timeRounds(
  options: { model: ModelSpec; clientsPerRound: number; batchSize: number; workers: number; backend: 'wasm' | 'cpu' | 'native' | 'auto' | 'gpu' | 'webgpu' },
  clients: FederatedData,
  rounds: number,
  warmupClients: FederatedData = clients,
): Promise<TimedRounds> {
  const algo = fed.fedAvg({
    model: options.model,
    clientsPerRound: options.clientsPerRound,
    localEpochs: 1,
    batchSize: options.batchSize,
    clientLr: 0.05,
    seed: 1,
    workers: options.workers,
    backend: options.backend,
  });
  let state = await algo.initialize();
  const roundMs: number[] = [];
  const trainMs: number[] = [];
  const counters: ProcessCounters[] = [];
  let paths: TimedRounds['paths'] = {};
  for (let r = 0; r <= rounds; r++) {
    const before = readCounters();
    const result = await algo.next(state, r === 0 ? warmupClients : clients);
    const after = readCounters();
    state = result.state;
    if (result.failures.length) throw new Error(`bench round failed: ${result.failures.map((f) => f.message).join('; ')}`);
    if (r > 0) {
      roundMs.push(result.metrics.ms);
      trainMs.push(result.metrics.phases?.train ?? NaN);
      counters.push(counterDelta(before, after));
      paths = (result.metrics.trainPaths as TimedRounds['paths'] | undefined) ?? paths;
    }
  }
  return { backend: state.backend, paths, roundMs, trainMs, counters };
}

/** What torch_reference.py reports about itself. */
export interface TorchInfo {
  torch: string;
  blasMapped: string[];
  blasAlternative: string;
  openblasThreads: string | null;
  config: string;
}

/** A long-lived PyTorch reference process, asked one configuration at a time. */
export interface TorchReference {
  info: TorchInfo;
  measure(request: { model: string; batch: number; threads: number; examples: number; minSeconds: number }): Promise<number>;
  close(): void;
}

const PYTHON = '/usr/bin/python3';

/** glibc malloc settings for the torch reference: no mmap per large allocation, no trimming. */
export const TORCH_GLIBC_TUNABLES = 'glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295';

/** What each throughput column trains on: a backend preference, and the path its clients must have taken. */
export type BenchPath = 'compiled' | 'fallback' | 'wasm' | 'cpu' | 'native';

/** The label a row shows for what trained: the compiled path's name, else the tfjs backend that ran. */
export function pathLabel(path: BenchPath, timed: Pick<TimedRounds, 'backend' | 'paths'>): string {
  const taken = Object.keys(timed.paths);
  if (path === 'fallback') return 'tfjs-wasm+native';
  if (path === 'compiled')
    return taken.length === 1
      ? taken[0]
      : `${taken.join('+')} (compiled step not used: ${
          Object.values(timed.paths)
            .map((p) => p.note)
            .find(Boolean) ?? '?'
        })`;
  return timed.backend;
}
export const PATH_RUNS: Record<BenchPath, { backend: 'auto' | 'wasm' | 'cpu' | 'native'; path: string; env?: Record<string, string> }> = {
  compiled: { backend: 'auto', path: 'compiled-native' },
  // tfjs op by op on WASM with matmuls through BLAS and convolution gradients through oneDNN: what 'auto' runs
  // for a model the compiled step does not.
  fallback: { backend: 'auto', path: 'tfjs-wasm', env: { FEDBOOK_COMPILED: 'off' } },
  wasm: { backend: 'wasm', path: 'tfjs-wasm' },
  cpu: { backend: 'cpu', path: 'tfjs-cpu' },
  native: { backend: 'native', path: 'tfjs-native' },
};

/**
 * The environment of every torch child. One BLAS thread: torch's own intra-op pool supplies the parallelism (two
 * pools on two cores collapse). OPENBLAS_CORETYPE passes through unchanged (the same kernels as ours); glibc keeps
 * freed memory mapped so that torch's per-step allocations do not page-fault (~6 µs per 4 KiB page in a VM; without
 * it torch's CNN b50 halves at random).
 */
export function torchEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', GLIBC_TUNABLES: TORCH_GLIBC_TUNABLES };
}

/** The settings torch runs under, in one line for the bench's notes. */
export function describeTorchEnvironment(): string {
  const env = torchEnvironment();
  return `torch runs with OPENBLAS_CORETYPE=${env.OPENBLAS_CORETYPE ?? '(unset)'} GLIBC_TUNABLES=${env.GLIBC_TUNABLES} OPENBLAS_NUM_THREADS=${env.OPENBLAS_NUM_THREADS}`;
}

/** Starts python on one of bench/'s torch scripts with the torch environment, or says why it cannot. */
export function spawnTorchScript(name: string, args: readonly string[] = []): ChildProcessWithoutNullStreams | { unavailable: string } {
  const script = join(__dirname, '..', '..', 'bench', name);
  if (!existsSync(PYTHON)) return { unavailable: `${PYTHON} not found` };
  if (!existsSync(script)) return { unavailable: `${script} not found` };
  return spawn(PYTHON, [script, ...args], { env: torchEnvironment() });
}

/** Why a torch child printed nothing, from its stderr. */
export function torchFailure(stderr: string): string {
  return /No module named 'torch'/.test(stderr)
    ? 'python3-torch is not installed (apt-get install python3-torch)'
    : (stderr.trim().split('\n').pop() ?? 'exited');
}

/** Starts bench/torch_reference.py, or says why it cannot (no python3, no torch). */
export async function startTorchReference(): Promise<TorchReference | { unavailable: string }> {
  const child = spawnTorchScript('torch_reference.py');
  if ('unavailable' in child) return child;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines: Interface = createInterface({ input: child.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string | undefined> => (await iterator.next()).value as string | undefined;
  const first = await nextLine();
  if (first === undefined) {
    return { unavailable: torchFailure(stderr) };
  }
  const info = JSON.parse(first) as TorchInfo;
  return {
    info,
    async measure(request) {
      child.stdin.write(
        `${JSON.stringify({ model: request.model, batch: request.batch, threads: request.threads, examples: request.examples, min_seconds: request.minSeconds })}\n`,
      );
      const line = await nextLine();
      if (line === undefined) throw new Error(`torch reference exited: ${stderr.trim()}`);
      const answer = JSON.parse(line) as { samplesPerSec?: number; error?: string };
      if (answer.error || answer.samplesPerSec === undefined) throw new Error(`torch reference: ${answer.error}`);
      return answer.samplesPerSec;
    },
    close() {
      child.stdin.end();
      lines.close();
    },
  };
}

/** Which BLAS torch loaded, in one line. */
export function describeTorch(info: TorchInfo): string {
  const blas = info.blasMapped.find((path) => /openblas|mkl|blis|atlas/.test(path)) ?? info.blasMapped[0] ?? 'none mapped';
  const kind = /openblas/.test(blas) ? 'OpenBLAS' : /mkl/.test(blas) ? 'MKL' : /blas\/libblas/.test(blas) ? 'reference BLAS (slow!)' : 'unknown BLAS';
  return `torch ${info.torch} with ${kind} (${blas}; libblas.so.3 → ${info.blasAlternative}), OPENBLAS_NUM_THREADS=${info.openblasThreads}`;
}

/** Sets (or, for undefined values, deletes) environment variables; returns the previous values. */
function withEnv(vars: Record<string, string | undefined> | undefined): Record<string, string | undefined> | undefined {
  if (!vars) return undefined;
  const previous: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(vars)) {
    previous[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return previous;
}

export interface ThroughputOptions {
  full: boolean;
  workers: number[];
  backends: BenchPath[];
  models: Array<'2nn' | 'cnn'>;
  batches: number[];
  log: (line: string) => void;
  /** Called with each row as soon as it is measured (so an interrupted run keeps what it has). */
  onRow?: (row: ThroughputRow) => void;
}

/** Round sizes: K clients × n examples. The pure-JS cpu backend is ~50× slower, so its rounds are smaller. */
function roundSize(model: '2nn' | 'cnn', backend: string, full: boolean): { clients: number; examples: number; rounds: number } {
  if (backend === 'cpu') return model === 'cnn' ? { clients: 2, examples: 20, rounds: 1 } : { clients: 2, examples: 150, rounds: 1 };
  if (model === 'cnn') return full ? { clients: 4, examples: 300, rounds: 2 } : { clients: 4, examples: 100, rounds: 1 };
  return full ? { clients: 4, examples: 600, rounds: 3 } : { clients: 4, examples: 300, rounds: 2 };
}

export async function benchThroughput(train: Dataset, options: ThroughputOptions): Promise<{ rows: ThroughputRow[]; notes: string[] }> {
  const notes: string[] = [];
  const torch = await startTorchReference();
  if ('unavailable' in torch) notes.push(`torch column skipped: ${torch.unavailable}`);
  else notes.push(describeTorch(torch.info), describeTorchEnvironment());
  const rows: ThroughputRow[] = [];
  // Each torch configuration is measured once and shared by every path's row, so the ratios compare like with like.
  const torchRates = new Map<string, Promise<number>>();
  const measureTorch = (request: Parameters<TorchReference['measure']>[0]): Promise<number> => {
    const key = JSON.stringify(request);
    if (!torchRates.has(key)) torchRates.set(key, (torch as TorchReference).measure(request));
    return torchRates.get(key)!;
  };
  const partitions = new Map<number, FederatedData>();
  const clientsOf = (examples: number): FederatedData => {
    let data = partitions.get(examples);
    if (!data) partitions.set(examples, (data = fed.partition(train, { clients: Math.floor(train.length / examples), scheme: 'iid', seed: 1 })));
    return data;
  };
  try {
    backends: for (const backend of options.backends) {
      for (const workers of options.workers) {
        for (const model of options.models) {
          for (const batch of options.batches) {
            if (backend === 'cpu' && model === 'cnn') {
              // Measured here: ~0.3 samples/s (a 40-example round takes minutes), so the CNN is left to WASM.
              if (workers === options.workers[0] && batch === options.batches[0])
                notes.push('cpu backend: CNN skipped (pure-JS convolutions, ~0.3 samples/s here)');
              continue;
            }
            const size = roundSize(model, backend, options.full);
            const run = PATH_RUNS[backend];
            let timed: TimedRounds;
            // Workers copy the environment when they start: the pool is restarted around a path that sets it.
            const saved = withEnv(run.env);
            try {
              if (run.env) await fed.shutdown();
              timed = await timeRounds(
                { model: PAPER_MODELS[model](), clientsPerRound: size.clients, batchSize: batch, workers, backend: run.backend },
                clientsOf(size.examples),
                size.rounds,
              );
            } catch (error) {
              notes.push(`${backend} skipped: ${(error as Error).message.split('\n')[0]}`);
              await fed.shutdown();
              continue backends;
            } finally {
              if (run.env) await fed.shutdown();
              withEnv(saved);
            }
            const taken = Object.keys(timed.paths);
            if (taken.length !== 1 || taken[0] !== run.path) {
              const why = Object.values(timed.paths)
                .map((p) => p.note)
                .find(Boolean);
              notes.push(`${backend} ${model}: skipped, its clients trained on ${taken.join(', ') || timed.backend}${why ? ` (${why})` : ''}`);
              continue;
            }
            const examples = size.clients * size.examples;
            const samplesPerSec = examples / (median(timed.trainMs) / 1000);
            let torchSamplesPerSec: number | null = null;
            let torchBestSamplesPerSec: number | null = null;
            if (!('unavailable' in torch)) {
              // With W threads (the reference the issue names), and with fewer, keeping the best.
              const minSeconds = options.full ? 2 : 1;
              torchSamplesPerSec = await measureTorch({ model, batch, threads: workers, examples, minSeconds });
              torchBestSamplesPerSec = torchSamplesPerSec;
              for (let threads = 1; threads < workers; threads++) {
                torchBestSamplesPerSec = Math.max(torchBestSamplesPerSec, await measureTorch({ model, batch, threads, examples, minSeconds }));
              }
            }
            const row = throughputRow({
              model,
              batch,
              backend: pathLabel(backend, timed),
              workers,
              samplesPerSec,
              torchSamplesPerSec,
              torchBestSamplesPerSec,
              clients: size.clients,
              examplesPerClient: size.examples,
            });
            options.log(
              `  throughput ${model} B=${batch} ${backend} W=${workers}: ${samplesPerSec.toFixed(samplesPerSec < 10 ? 2 : 0)} samples/s` +
                (torchSamplesPerSec
                  ? `, torch ${torchSamplesPerSec.toFixed(0)} (×${row.ratio!.toFixed(2)}), best ≤${workers} threads ${torchBestSamplesPerSec!.toFixed(0)}`
                  : ''),
            );
            rows.push(row);
            options.onRow?.(row);
          }
        }
        await fed.shutdown();
      }
    }
  } finally {
    if (!('unavailable' in torch)) torch.close();
    await fed.shutdown();
  }
  return { rows, notes };
}
