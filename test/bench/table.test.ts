/**
 * The bench's rows and tables (pure functions): derived columns by hand, the
 * JSON row shapes `--json` writes, and the command line. No timing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../../bench/index';
import { formatTables, median, roundRow, roundsToTargetRow, throughputRow, timeToTargetRow, toJson, type BenchRow } from '../../bench/table';

function costs(cpuMs: number, mainCpuMs: number, minorFaults: number): { cpuMs: number; mainCpuMs: number; minorFaults: number } {
  return { cpuMs, mainCpuMs, minorFaults };
}

// Numbers a reader can check: 400 vs 1,000 samples/s is 0.4; T1 = 1,000 ms and T2 = 625 ms on 2 workers is 80%; 900 vs 1,000 CPU ms is 90%.
const rows: BenchRow[] = [
  throughputRow({
    model: 'cnn',
    batch: 50,
    backend: 'wasm',
    workers: 2,
    samplesPerSec: 400,
    torchSamplesPerSec: 1000,
    torchBestSamplesPerSec: 1600,
    clients: 4,
    examplesPerClient: 100,
  }),
  throughputRow({
    model: '2nn',
    batch: 10,
    backend: 'wasm',
    workers: 1,
    samplesPerSec: 1234.4,
    torchSamplesPerSec: null,
    torchBestSamplesPerSec: null,
    clients: 4,
    examplesPerClient: 300,
  }),
  roundRow({ model: 'cnn', workers: 1, clientsPerRound: 10, roundMs: 1000, trainMs: 990, ...costs(900, 40, 1200), backend: 'wasm' }, 1000, 900),
  roundRow({ model: 'cnn', workers: 2, clientsPerRound: 10, roundMs: 625, trainMs: 600, ...costs(1000, 50, 1500), backend: 'wasm' }, 1000, 900),
  roundRow({ model: 'logistic', workers: 2, clientsPerRound: 1000, roundMs: 500, trainMs: 450, ...costs(800, 100, 3000), backend: 'wasm' }),
  roundsToTargetRow({ split: 'iid', rounds: 5, seconds: 10, accuracy: 0.91234, reached: false, target: 0.97, paperRounds: 87, backend: 'wasm' }),
];

test('throughput rows divide by torch, and say null without it', () => {
  assert.equal(rows[0].bench, 'throughput');
  const [withTorch, without] = rows as [Extract<BenchRow, { bench: 'throughput' }>, Extract<BenchRow, { bench: 'throughput' }>];
  assert.equal(withTorch.ratio, 0.4);
  assert.equal(withTorch.ratioVsBest, 0.25);
  assert.equal(without.ratio, null);
  assert.equal(without.ratioVsBest, null);
});

test('round rows: efficiency = T1 / (W·TW), overhead = round − train phase', () => {
  const [one, two, logistic] = rows.slice(2) as Array<Extract<BenchRow, { bench: 'round' }>>;
  assert.equal(one.efficiency, 1);
  assert.equal(two.efficiency, 0.8);
  assert.equal(two.overheadMs, 25);
  assert.equal(two.overheadPct, 4);
  assert.equal(logistic.efficiency, null, 'no one-worker row, no efficiency');
  assert.equal(two.cpuEfficiency, 0.9, 'CPU time with one worker / with W');
  assert.equal(logistic.cpuEfficiency, null);
  assert.equal(logistic.overheadPct, 10);
});

test('rounds-to-target rows project the paper round count at the measured seconds per round', () => {
  const row = rows[5] as Extract<BenchRow, { bench: 'rounds-to-target' }>;
  assert.equal(row.projectedSeconds, 174); // 10 s / 5 rounds × 87
});

test('--json writes an array of rows with exactly the documented keys, rounded', () => {
  const parsed = JSON.parse(toJson(rows)) as Array<Record<string, unknown>>;
  assert.equal(parsed.length, rows.length);
  assert.deepEqual(Object.keys(parsed[0]).sort(), [
    'backend',
    'batch',
    'bench',
    'clients',
    'examplesPerClient',
    'model',
    'ratio',
    'ratioVsBest',
    'samplesPerSec',
    'torchBestSamplesPerSec',
    'torchSamplesPerSec',
    'workers',
  ]);
  assert.equal(parsed[1].samplesPerSec, 1234);
  assert.deepEqual(Object.keys(parsed[3]).sort(), [
    'backend',
    'bench',
    'clientsPerRound',
    'cpuEfficiency',
    'cpuMs',
    'efficiency',
    'mainCpuMs',
    'minorFaults',
    'model',
    'overheadMs',
    'overheadPct',
    'roundMs',
    'trainMs',
    'workers',
  ]);
  assert.deepEqual(Object.keys(parsed[5]).sort(), [
    'accuracy',
    'backend',
    'bench',
    'paperRounds',
    'projectedSeconds',
    'reached',
    'rounds',
    'seconds',
    'split',
    'target',
  ]);
  assert.equal(parsed[5].accuracy, 0.9123);
});

test('the tables print every bench with aligned columns and a dash for a missing torch number', () => {
  const text = formatTables(rows);
  const lines = text.split('\n');
  assert.match(text, /^Client training throughput/);
  assert.match(text, /\nRound parallel efficiency/);
  assert.match(text, /\nRounds to target/);
  const cnnLine = lines.find((l) => l.startsWith('cnn ') && l.includes('4×100'))!;
  assert.match(cnnLine, /\b400\b.*\b1,000\b.*0\.40\b.*1,600\b.*0\.25\b/);
  const header = lines[1];
  const nnLine = lines.find((l) => l.startsWith('2nn '))!;
  assert.equal(nnLine.length <= header.length + 10, true);
  assert.match(nnLine, /—/);
  const twoWorkers = lines.find((l) => /^cnn\s+2\s+10\s/.test(l))!;
  assert.match(twoWorkers, /625\.0\s+600\.0\s+80\s+25\.0\s+4\.00\s+1,000\.0\s+90\s+50\.0\s+1,500$/);
  assert.match(text, /no \(0\.97\)/);
  assert.equal(formatTables(rows.slice(2, 5)).includes('throughput'), false, 'a bench with no rows prints no table');
});

test('the command line: quick by default, --full, --only, --json, and exact messages for mistakes', () => {
  const quick = parseArgs([]);
  assert.equal(quick.full, false);
  assert.equal(quick.only, undefined);
  assert.deepEqual(parseArgs(['--full', '--only', 'round', '--json', 'out.json', '--workers', '2']), {
    full: true,
    only: 'round',
    json: 'out.json',
    workers: 2,
    lr: 0.1,
    path: 'compiled',
  });
  assert.equal(parseArgs(['--path', 'wasm']).path, 'wasm');
  assert.equal(parseArgs(['--only', 'time-to-target']).only, 'time-to-target');
  assert.throws(() => parseArgs(['--path', 'gpu']), /--path must be one of compiled, fallback, wasm, native, cpu \(got gpu\)/);
  assert.throws(() => parseArgs(['--only', 'speed']), /--only must be one of throughput, round, rounds-to-target, time-to-target \(got speed\)/);
  assert.throws(() => parseArgs(['--workers', '0']), /--workers must be a positive integer \(got 0\)/);
  assert.throws(() => parseArgs(['--json']), /--json needs a value/);
  assert.throws(() => parseArgs(['--fast']), /unknown option --fast/);
  assert.equal(parseArgs(['--split', 'shards']).split, 'shards');
  assert.throws(() => parseArgs(['--split', 'dirichlet']), /--split must be iid or shards \(got dirichlet\)/);
});

test('median of an odd and an even list', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

// Ours 5 rounds in 10 s (2 s/round), torch 5 rounds in 20 s (4 s/round); neither reached 97%: both projected to 87 rounds.
const shortRun = timeToTargetRow({
  target: 0.97,
  paperRounds: 87,
  backend: 'compiled-native',
  workers: 2,
  torchThreads: 2,
  ours: { rounds: 5, seconds: 10, accuracy: 0.91, reached: false },
  torch: { rounds: 5, seconds: 20, accuracy: 0.9, reached: false },
});

test('time-to-target rows: a side short of the target is projected to the paper rounds at its own seconds per round', () => {
  assert.equal(shortRun.oursSecondsPerRound, 2);
  assert.equal(shortRun.torchSecondsPerRound, 4);
  assert.equal(shortRun.oursTimeToTarget, 174); // 2 s × 87
  assert.equal(shortRun.torchTimeToTarget, 348); // 4 s × 87
  assert.equal(shortRun.speedup, 2);
  assert.equal(shortRun.projected, true);
});

test('time-to-target rows: measured seconds when both sides reached the target, whatever their round counts', () => {
  const row = timeToTargetRow({
    target: 0.97,
    paperRounds: 87,
    backend: 'wasm',
    workers: 1,
    torchThreads: 1,
    ours: { rounds: 40, seconds: 30, accuracy: 0.9701, reached: true },
    torch: { rounds: 50, seconds: 15, accuracy: 0.9703, reached: true },
  });
  assert.equal(row.oursTimeToTarget, 30);
  assert.equal(row.torchTimeToTarget, 15);
  assert.equal(row.speedup, 0.5);
  assert.equal(row.projected, false);
  assert.equal(row.oursSecondsPerRound, 0.75);
  assert.equal(row.torchSecondsPerRound, 0.3);
});

test('time-to-target: one table with both sides, its JSON row has the documented keys', () => {
  const text = formatTables([shortRun]);
  assert.match(text, /^Time to 0\.97 test accuracy, FedAvg 2NN IID/);
  const line = text.split('\n')[3];
  assert.match(
    line,
    /^compiled-native, 2 workers\s+5\s+0\.9100\s+10\.0\s+2\.000\s+2 threads\s+5\s+0\.9000\s+20\.0\s+4\.000\s+174\.0\s+348\.0\s+2\.00\s+projected to 87 rounds where short$/,
  );
  const [parsed] = JSON.parse(toJson([shortRun])) as Array<Record<string, unknown>>;
  assert.deepEqual(Object.keys(parsed).sort(), [
    'backend',
    'bench',
    'oursAccuracy',
    'oursReached',
    'oursRounds',
    'oursSeconds',
    'oursSecondsPerRound',
    'oursTimeToTarget',
    'paperRounds',
    'projected',
    'speedup',
    'target',
    'torchAccuracy',
    'torchReached',
    'torchRounds',
    'torchSeconds',
    'torchSecondsPerRound',
    'torchThreads',
    'torchTimeToTarget',
    'workers',
  ]);
});
