/**
 * The whole-run comparison: fedbook's FedAvg 2NN (IID, 100 clients of 600
 * MNIST examples, C = 0.1, E = 1, B = 10) to 97% test accuracy, then in the
 * same bench run a PyTorch FedAvg loop written as a torch user would
 * (bench/torch_fedavg.py: clients in sequence, deepcopy of the global model,
 * torch.optim.SGD, weighted average of the state_dicts) with the same
 * hyperparameters, the same MNIST files and as many threads as we have workers.
 * Both sides stop at the first round with test accuracy ≥ the target, or at
 * the same round cap; a side that stops short is projected with the same rule
 * (bench/table.ts, timeToTargetRow).
 */
import { createInterface } from 'node:readline';
import { defaultMnistDirectory } from '../kernel/data/mnist';
import type { Dataset } from '../kernel/data/dataset';
import { PAPER_ROUNDS, benchRoundsToTarget } from './rounds-to-target';
import { timeToTargetRow, type TargetRun, type TimeToTargetRow } from './table';
import { describeTorchEnvironment, spawnTorchScript, torchFailure, type BenchPath } from './throughput';

/** One stdout line of torch_fedavg.py: a round's progress, or the run's summary. */
export type TorchFedAvgLine =
  | { kind: 'round'; round: number; accuracy: number; seconds: number }
  | ({ kind: 'done'; torch: string; threads: number } & TargetRun);

/** Parses one line torch_fedavg.py prints; throws with the line on anything else. */
export function parseTorchFedAvgLine(line: string): TorchFedAvgLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`torch_fedavg.py printed a line that is not JSON: ${line}`);
  }
  const v = (value ?? {}) as Record<string, unknown>;
  const num = (key: string): number => {
    const n = v[key];
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`torch_fedavg.py: '${key}' is not a number in ${line}`);
    return n;
  };
  if (v.done === true) {
    if (typeof v.reached !== 'boolean') throw new Error(`torch_fedavg.py: 'reached' is not a boolean in ${line}`);
    return {
      kind: 'done',
      rounds: num('rounds'),
      seconds: num('seconds'),
      accuracy: num('accuracy'),
      reached: v.reached,
      torch: String(v.torch),
      threads: num('threads'),
    };
  }
  return { kind: 'round', round: num('round'), accuracy: num('accuracy'), seconds: num('seconds') };
}

export interface TorchFedAvgOptions {
  lr: number;
  threads: number;
  maxRounds: number;
  target: number;
  log: (line: string) => void;
}

/** Runs bench/torch_fedavg.py to the end; resolves with its summary, or with why torch could not run. */
export async function runTorchFedAvg(options: TorchFedAvgOptions): Promise<(TargetRun & { torch: string; threads: number }) | { unavailable: string }> {
  const args = ['--mnist', defaultMnistDirectory(), '--lr', String(options.lr), '--threads', String(options.threads)];
  args.push('--max-rounds', String(options.maxRounds), '--target', String(options.target));
  const child = spawnTorchScript('torch_fedavg.py', args);
  if ('unavailable' in child) return child;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<string>((resolve) => child.on('close', (code, signal) => resolve(signal ? `killed by ${signal}` : `exited with code ${code}`)));
  let summary: Extract<TorchFedAvgLine, { kind: 'done' }> | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    if (!line.trim()) continue;
    const parsed = parseTorchFedAvgLine(line);
    if (parsed.kind === 'done') summary = parsed;
    else if (parsed.round % 10 === 0 || parsed.round <= 5 || parsed.accuracy >= options.target)
      options.log(`  torch round ${parsed.round}: test accuracy ${parsed.accuracy.toFixed(4)}, ${parsed.seconds.toFixed(1)} s`);
  }
  const how = await exited;
  if (!summary) return { unavailable: `torch_fedavg.py ${how}: ${torchFailure(stderr)}` };
  const { kind: _, ...run } = summary;
  return run;
}

export interface TimeToTargetOptions {
  maxRounds: number;
  target: number;
  clientLr: number;
  workers: number;
  path: BenchPath;
  train: Dataset;
  test: Dataset;
  log: (line: string) => void;
  onRow?: (row: TimeToTargetRow) => void;
}

/** Ours, then torch's, to the target in one run: one row per torch thread count (W first), and notes on how torch ran. */
export async function benchTimeToTarget(options: TimeToTargetOptions): Promise<{ rows: TimeToTargetRow[]; notes: string[] }> {
  const [oursRow] = await benchRoundsToTarget({
    splits: ['iid'],
    maxRounds: { iid: options.maxRounds, shards: options.maxRounds },
    target: options.target,
    clientLr: options.clientLr,
    workers: options.workers,
    path: options.path,
    train: options.train,
    test: options.test,
    log: options.log,
  });
  // The pool is shut down by now (benchRoundsToTarget ends with fed.shutdown()): torch has the cores to itself.
  // torch with as many threads as we have workers is the reference; with fewer as well, because on a loaded machine
  // torch's OpenMP threads spin at barriers and 2 threads can be far slower than 1 (one row per thread count).
  const notes = [describeTorchEnvironment(), `time-to-target: client lr ${options.clientLr} on both sides, round cap ${options.maxRounds}`];
  const rows: TimeToTargetRow[] = [];
  const threadCounts = [options.workers, ...Array.from({ length: options.workers - 1 }, (_, i) => i + 1)];
  for (const threads of threadCounts) {
    options.log(`  torch with ${threads} thread${threads > 1 ? 's' : ''}…`);
    const torch = await runTorchFedAvg({ lr: options.clientLr, threads, maxRounds: options.maxRounds, target: options.target, log: options.log });
    if ('unavailable' in torch) return { rows, notes: [...notes, `time-to-target: torch skipped: ${torch.unavailable}`] };
    if (threads === options.workers) notes.push(`time-to-target: torch ${torch.torch} (torch.set_num_threads per row)`);
    const row = timeToTargetRow({
      target: options.target,
      paperRounds: PAPER_ROUNDS.iid,
      backend: oursRow.backend,
      workers: options.workers,
      torchThreads: torch.threads,
      ours: { rounds: oursRow.rounds, seconds: oursRow.seconds, accuracy: oursRow.accuracy, reached: oursRow.reached },
      torch,
    });
    rows.push(row);
    options.onRow?.(row);
  }
  return { rows, notes };
}
