/**
 * What a checkpoint costs per round for the FedAvg paper's 2NN (784-200-200-10,
 * 199,210 parameters): file size, and the time to encode + write + fsync +
 * rename it (what the run loop waits for after each round), then to read and
 * verify it back. States of growing size: FedAvg (weights only), FedAdam
 * (weights, m, v), SCAFFOLD with 10 and 100 clients' control variates.
 *
 *   node out/bench/checkpoints.js [--dir DIR] [--repeats N] [--json FILE]
 *
 * DIR defaults to .fedbook/bench-checkpoints under the working directory: the
 * disk the run records live on (a tmpfs /tmp would flatter the fsync).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ServerState } from '../kernel/federated/server-state';
import { decodeCheckpoint } from '../kernel/rounds/checkpoint-format';
import { checkpointDirectory, writeCheckpoint } from '../kernel/rounds/checkpoints';

const DIMENSION = 784 * 200 + 200 + 200 * 200 + 200 + 200 * 10 + 10;

export interface CheckpointBenchRow {
  bench: 'checkpoint';
  state: string;
  bytes: number;
  /** Median encode + write + fsync + rename, ms. */
  writeMs: number;
  /** Median read + checksum + decode, ms. */
  readMs: number;
}

function filled(seed: number): Float32Array {
  const array = new Float32Array(DIMENSION);
  for (let i = 0; i < DIMENSION; i++) array[i] = Math.sin(seed * 7919 + i) * 0.05;
  return array;
}

function states(): [string, ServerState][] {
  const weights = filled(1);
  const base = { round: 12, weights, optimizerState: {}, backend: 'wasm' };
  const scaffold = (clients: number): ServerState => ({
    ...base,
    strategyState: { c: filled(2) },
    clientState: Object.fromEntries(Array.from({ length: clients }, (_, i) => [String(i), { c: filled(10 + i) }])),
  });
  return [
    ['fedAvg (weights)', base],
    ['fedAdam (weights, m, v)', { ...base, optimizerState: { m: filled(2), v: filled(3) } }],
    ['DP adaptive (weights, clip)', { ...base, aggregatorState: { clip: 0.73, inner: { inner: undefined } } }],
    ['SCAFFOLD, 10 clients', scaffold(10)],
    ['SCAFFOLD, 100 clients', scaffold(100)],
  ];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

function main(): void {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const root = resolve(flag('--dir') ?? join('.fedbook', 'bench-checkpoints'));
  const repeats = Number(flag('--repeats') ?? 9);
  const rows: CheckpointBenchRow[] = [];
  for (const [name, state] of states()) {
    const folder = checkpointDirectory(join(root, `${name.replace(/\W+/g, '-')}.jsonl`));
    mkdirSync(folder, { recursive: true });
    const writes: number[] = [],
      reads: number[] = [];
    let bytes = 0,
      path = '';
    for (let r = 0; r < repeats; r++) {
      const written = writeCheckpoint(folder, 'bench', { ...state, round: r + 1 }, 3);
      writes.push(written.ms);
      bytes = written.bytes;
      path = written.path;
      const started = performance.now();
      decodeCheckpoint(readFileSync(path));
      reads.push(performance.now() - started);
    }
    rows.push({ bench: 'checkpoint', state: name, bytes, writeMs: median(writes), readMs: median(reads) });
  }
  rmSync(root, { recursive: true, force: true });
  console.log(`Checkpoint per round, 2NN (${DIMENSION.toLocaleString('en')} parameters), median of ${repeats}, in ${root}`);
  console.log(['state'.padEnd(28), 'size'.padStart(10), 'write ms'.padStart(9), 'read ms'.padStart(8)].join('  '));
  for (const row of rows) {
    console.log(
      [row.state.padEnd(28), `${(row.bytes / 1e6).toFixed(2)} MB`.padStart(10), row.writeMs.toFixed(1).padStart(9), row.readMs.toFixed(1).padStart(8)].join(
        '  ',
      ),
    );
  }
  const json = flag('--json');
  if (json) writeFileSync(json, JSON.stringify(rows, null, 2));
}

main();
