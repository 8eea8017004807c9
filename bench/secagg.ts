/**
 * Cost of one round of secure aggregation (Bonawitz et al. 2017, as simulated in
 * kernel/federated/privacy/secagg): wall time and bytes on the wire for cohorts of
 * 10, 50, 100 and 200 clients, with a fraction of them dropping out after the key
 * exchange so that the server's recovery work is included.
 *
 *   node out/bench/secagg.js [--cohorts 10,50,100,200] [--dimension D] [--dropout-rate R] [--json FILE]
 *
 * The default dimension is 20,000 to keep the default run short on two cores; the
 * FedAvg paper's 2NN has 199,210 parameters (--dimension 199210). Time grows with
 * m²·d (every client expands m − 1 pairwise masks) plus m² key agreements and
 * m²·t Shamir evaluations; bytes grow with m·d (masked vectors) plus m² (keys, shares).
 * All work runs on one thread: the clients' share of it would run in parallel in a
 * deployment, so `ms` is the sum of all parties' compute, not a round's latency.
 */
import { writeFileSync } from 'node:fs';
import { createRng } from '../kernel/federated/random';
import { defaultThreshold } from '../kernel/federated/privacy/secagg/run-secure-sum';
import { secureSumOfVectors } from '../kernel/federated/privacy/secagg/secure-sum-layer';

/** One measured cohort size. */
export interface SecAggBenchRow {
  bench: 'secagg';
  cohort: number;
  dimension: number;
  threshold: number;
  dropped: number;
  ms: number;
  /** Of ms, the server's part; (ms − serverMs) / cohort is one client's average compute. */
  serverMs: number;
  bytes: number;
  /** bytes / cohort: what one client's round costs on the wire, both directions. */
  bytesPerClient: number;
  /** Largest |secure sum − plain sum| over coordinates (fixed-point rounding only). */
  maxAbsError: number;
}

interface Options {
  cohorts: number[];
  dimension: number;
  dropoutRate: number;
  json?: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { cohorts: [10, 50, 100, 200], dimension: 20_000, dropoutRate: 0.1 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined && flag !== undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--cohorts') {
      options.cohorts = value.split(',').map(Number);
      if (options.cohorts.some((m) => !Number.isInteger(m) || m < 2)) throw new Error(`--cohorts must be integers >= 2 (got ${value})`);
    } else if (flag === '--dimension') {
      options.dimension = Number(value);
      if (!Number.isInteger(options.dimension) || options.dimension < 1) throw new Error(`--dimension must be a positive integer (got ${value})`);
    } else if (flag === '--dropout-rate') {
      options.dropoutRate = Number(value);
      if (!(options.dropoutRate >= 0 && options.dropoutRate <= 1 / 3))
        throw new Error(`--dropout-rate must be in [0, 1/3] (got ${value}); the default threshold tolerates a third`);
    } else if (flag === '--json') {
      options.json = value;
    } else {
      throw new Error(`Unknown option '${flag}'; expected --cohorts, --dimension, --dropout-rate or --json`);
    }
    i++;
  }
  return options;
}

/** Measures one secure-aggregation round for a cohort of m clients. */
export function measure(cohort: number, dimension: number, dropoutRate: number, seed = 1): SecAggBenchRow {
  const rng = createRng(seed);
  // Updates like clipped DP-FedAvg deltas: small values, each within ±1.
  const vectors = Array.from({ length: cohort }, () => Float32Array.from({ length: dimension }, () => Math.max(-1, Math.min(1, 0.01 * rng.normal()))));
  const threshold = defaultThreshold(cohort);
  const dropouts = Math.floor(dropoutRate * cohort);
  const result = secureSumOfVectors(
    vectors,
    vectors.map(() => 1),
    { threshold, dropouts, bound: 1 },
    rng.fork('secagg'),
  );
  const plain = new Float64Array(dimension);
  for (const i of result.survivors) for (let j = 0; j < dimension; j++) plain[j] += vectors[i][j];
  let maxAbsError = 0;
  for (let j = 0; j < dimension; j++) maxAbsError = Math.max(maxAbsError, Math.abs(plain[j] - result.sum[j]));
  return {
    bench: 'secagg',
    cohort,
    dimension,
    threshold,
    dropped: result.metrics.dropped,
    ms: result.metrics.ms,
    serverMs: result.metrics.serverMs,
    bytes: result.metrics.bytes,
    bytesPerClient: result.metrics.bytes / cohort,
    maxAbsError,
  };
}

function formatTable(rows: readonly SecAggBenchRow[]): string {
  const header = ['cohort', 'dimension', 'threshold', 'dropped', 'ms', 'server ms', 'ms/client', 'MB total', 'MB/client', 'max |error|'];
  const lines = rows.map((r) => [
    String(r.cohort),
    r.dimension.toLocaleString('en-US'),
    String(r.threshold),
    String(r.dropped),
    r.ms.toFixed(0),
    r.serverMs.toFixed(0),
    ((r.ms - r.serverMs) / r.cohort).toFixed(1),
    (r.bytes / 1e6).toFixed(2),
    (r.bytesPerClient / 1e6).toFixed(3),
    r.maxAbsError.toExponential(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  return [header, ...lines].map((cells) => cells.map((c, i) => c.padStart(widths[i])).join('  ')).join('\n');
}

/** Runs the benchmark, prints the table, and returns the rows. */
export async function main(argv: string[]): Promise<SecAggBenchRow[]> {
  const options = parseArgs(argv);
  console.log(
    `secure aggregation, one round per cohort: dimension ${options.dimension.toLocaleString('en-US')}, ` +
      `threshold ⌈2m/3⌉, ${Math.round(options.dropoutRate * 100)}% of the cohort dropping after the key exchange`,
  );
  const rows: SecAggBenchRow[] = [];
  for (const cohort of options.cohorts) rows.push(measure(cohort, options.dimension, options.dropoutRate));
  console.log(formatTable(rows));
  if (options.json !== undefined) {
    writeFileSync(options.json, JSON.stringify(rows, null, 1) + '\n');
    console.log(`wrote ${rows.length} rows to ${options.json}`);
  }
  return rows;
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error) => {
    console.error((error as Error).message);
    process.exitCode = 1;
  });
}
