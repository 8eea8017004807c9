/**
 * `npm run bench`: client training throughput (next to PyTorch), round
 * parallel efficiency and overhead, rounds to 97% on MNIST, and the time to
 * 97% next to a PyTorch FedAvg loop.
 *
 *   node out/bench/index.js [--quick | --full] [--only throughput|round|rounds-to-target|time-to-target]
 *                           [--json FILE] [--workers W] [--max-rounds R] [--lr LR] [--split iid|shards]
 *                           [--path compiled|fallback|wasm|native|cpu]   (what trains in the round and rounds-to-target benches)
 *
 * --quick (the default) keeps the whole run to a few minutes: small rounds,
 * WASM only, and 5 rounds of each rounds-to-target split with a projection.
 * --full adds the pure-JS cpu backend, uses the paper's round sizes and runs
 * rounds-to-target to 97% (caps: 300 rounds IID, 1,000 shards; --max-rounds
 * overrides both). time-to-target runs the IID split to 97% next to a PyTorch
 * FedAvg loop (bench/torch_fedavg.py) with the same settings: 5 rounds each
 * and a projection in quick mode, to the target (cap 300) in full mode.
 * Never run by CI; timings are not asserted anywhere.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fed } from '../kernel/api/index';
import type { Dataset } from '../kernel/data/dataset';
import { benchRounds } from './round-efficiency';
import { benchRoundsToTarget } from './rounds-to-target';
import { benchTimeToTarget } from './time-to-target';
import { formatTables, toJson, type BenchRow } from './table';
import { benchThroughput, type BenchPath } from './throughput';
import { benchWebGpuThroughput } from './webgpu';

const BENCHES = ['throughput', 'round', 'rounds-to-target', 'time-to-target'] as const;
type BenchName = (typeof BENCHES)[number];

export interface BenchArgs {
  full: boolean;
  only?: BenchName;
  json?: string;
  workers: number;
  maxRounds?: number;
  lr: number;
  /** What trains the clients in the round and rounds-to-target benches (default: the compiled step). */
  path: BenchPath;
  /** rounds-to-target: one split only (default both). */
  split?: 'iid' | 'shards';
}

const USAGE =
  'usage: node out/bench/index.js [--quick | --full] [--only throughput|round|rounds-to-target|time-to-target] [--json FILE] [--workers W] [--max-rounds R] [--lr LR] [--split iid|shards] [--path compiled|fallback|wasm|native|cpu]';
const BENCH_PATHS: readonly BenchPath[] = ['compiled', 'fallback', 'wasm', 'native', 'cpu'];

/** Parses the command line; throws with the usage line on anything unknown. */
export function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { full: false, workers: availableParallelism(), lr: 0.1, path: 'compiled' };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
    return v;
  };
  const positive = (text: string, flag: string, integer: boolean): number => {
    const n = Number(text);
    if (!(n > 0) || (integer && !Number.isInteger(n))) throw new Error(`${flag} must be a positive ${integer ? 'integer' : 'number'} (got ${text})\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--quick':
        args.full = false;
        break;
      case '--full':
        args.full = true;
        break;
      case '--only': {
        const name = value(i++, flag);
        if (!(BENCHES as readonly string[]).includes(name)) throw new Error(`--only must be one of ${BENCHES.join(', ')} (got ${name})\n${USAGE}`);
        args.only = name as BenchName;
        break;
      }
      case '--json':
        args.json = value(i++, flag);
        break;
      case '--workers':
        args.workers = positive(value(i++, flag), flag, true);
        break;
      case '--max-rounds':
        args.maxRounds = positive(value(i++, flag), flag, true);
        break;
      case '--lr':
        args.lr = positive(value(i++, flag), flag, false);
        break;
      case '--split': {
        const split = value(i++, flag);
        if (split !== 'iid' && split !== 'shards') throw new Error(`--split must be iid or shards (got ${split})\n${USAGE}`);
        args.split = split;
        break;
      }
      case '--path': {
        const path = value(i++, flag);
        if (!(BENCH_PATHS as readonly string[]).includes(path)) throw new Error(`--path must be one of ${BENCH_PATHS.join(', ')} (got ${path})\n${USAGE}`);
        args.path = path as BenchPath;
        break;
      }
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  return args;
}

/** The 1-minute and 5-minute load averages: above the core count, timings are shared with other work. */
function loadAverage(): string {
  const [one, five] = loadavg();
  return `${one.toFixed(1)} / ${five.toFixed(1)}`;
}

/**
 * OpenBLAS picks its kernels from the CPU id and falls back to old SSE3 ones
 * ("Prescott") on CPUs it does not know, as in this VM. Torch and our workers
 * load the same library, so both get the same OPENBLAS_CORETYPE: the
 * environment's, else Haswell (AVX2 + FMA) where /proc/cpuinfo has those flags.
 * Set here, on the main thread, before any worker or torch starts.
 */
function chooseOpenblasCoretype(): string {
  if (process.env.OPENBLAS_CORETYPE) return `OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE} (from the environment) for torch and fedbook`;
  let flags = '';
  try {
    flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
  } catch {
    /* not Linux */
  }
  if (/\bavx2\b/.test(flags) && /\bfma\b/.test(flags)) {
    process.env.OPENBLAS_CORETYPE = 'Haswell';
    return 'OPENBLAS_CORETYPE=Haswell (set by the bench: the CPU has AVX2 and FMA) for torch and fedbook';
  }
  return 'OPENBLAS_CORETYPE unset (OpenBLAS detects the CPU) for torch and fedbook';
}

function nativeInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  let args: BenchArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const wants = (name: BenchName): boolean => args.only === undefined || args.only === name;
  const log = (line: string): void => console.log(line);
  const W = args.workers;
  const workers = W > 1 ? [1, W] : [1];
  const backend = nativeInstalled() ? ('native' as const) : ('wasm' as const);
  const started = Date.now();
  const coretype = chooseOpenblasCoretype();
  log(
    `fedbook bench (${args.full ? 'full' : 'quick'}) ${new Date().toISOString()}: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.versions.node}, W = ${W}, load average ${loadAverage()}`,
  );

  const mnist = new Map<number, Promise<Dataset>>();
  const load = (examples: number): Promise<Dataset> => {
    let pending = mnist.get(examples);
    if (!pending) {
      pending = fed.datasets.mnist(examples >= 60000 ? {} : { trainLimit: examples, subsetSeed: 1 }).then((s) => s.train);
      mnist.set(examples, pending);
    }
    return pending;
  };

  const rows: BenchRow[] = [];
  const notes: string[] = [coretype];
  const onRow = (row: BenchRow): void => {
    rows.push(row);
  };
  const report = (): void => {
    log('');
    log(formatTables(rows));
    if (notes.length) log(`\n${notes.map((n) => `note: ${n}`).join('\n')}`);
    log(
      `\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s; load average now ${loadAverage()} (other processes on these cores make every number noisier)`,
    );
    if (args.json) {
      writeFileSync(args.json, toJson(rows));
      log(`wrote ${rows.length} rows to ${args.json}`);
    }
  };
  // Ctrl-C (or a kill) still prints and writes the rows measured so far.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      notes.push(`interrupted by ${signal}: partial results`);
      report();
      process.exit(130);
    });
  }
  try {
    if (wants('throughput')) {
      log('throughput…');
      const result = await benchThroughput(await load(6000), {
        full: args.full,
        workers,
        log,
        onRow,
        models: ['2nn', 'cnn'],
        batches: [10, 50],
        backends: (args.full ? ['compiled', 'fallback', backend, 'wasm', 'cpu'] : ['compiled', 'fallback', backend]).filter(
          (b, i, all) => all.indexOf(b) === i,
        ) as BenchPath[],
      });
      notes.push(...result.notes);
      // WebGPU: only where Dawn finds an adapter (bench/webgpu.ts).
      notes.push(...(await benchWebGpuThroughput(await load(6000), { full: args.full, log, onRow, models: ['2nn', 'cnn'], batches: [10, 50] })).notes);
    }
    if (args.path === 'fallback') {
      // The round benches' workers start after this: they train through tfjs with BLAS matmuls.
      await fed.shutdown();
      process.env.FEDBOOK_COMPILED = 'off';
    }
    if (wants('round')) {
      log('round efficiency…');
      await benchRounds({ full: args.full, workers, path: args.path, load, log, onRow });
    }
    if (wants('rounds-to-target')) {
      log('rounds to target…');
      const { test } = await fed.datasets.mnist();
      const caps = args.full ? { iid: 300, shards: 1000 } : { iid: 5, shards: 5 };
      await benchRoundsToTarget({
        splits: args.split ? [args.split] : ['iid', 'shards'],
        maxRounds: args.maxRounds ? { iid: args.maxRounds, shards: args.maxRounds } : caps,
        target: 0.97,
        clientLr: args.lr,
        workers: W,
        path: args.path,
        train: await load(60000),
        test,
        log,
        onRow,
      });
      notes.push(`rounds-to-target: client lr ${args.lr}; projected s = seconds per round here × the paper's rounds`);
    }
    if (wants('time-to-target')) {
      log('time to target, fedbook then torch…');
      const { test } = await fed.datasets.mnist();
      const result = await benchTimeToTarget({
        maxRounds: args.maxRounds ?? (args.full ? 300 : 5),
        target: 0.97,
        clientLr: args.lr,
        workers: W,
        path: args.path,
        train: await load(60000),
        test,
        log,
        onRow,
      });
      notes.push(...result.notes);
    }
  } finally {
    await fed.shutdown();
  }

  report();
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
