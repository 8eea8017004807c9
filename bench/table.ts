/**
 * The bench's rows and how they print: pure functions, no timing, no I/O.
 * Each bench measures raw times; the derived columns (ratio, efficiency,
 * overhead) are computed here, once, so the table and the JSON agree.
 */

/** Client training throughput through the real pool, next to a PyTorch CPU loop. */
export interface ThroughputRow {
  bench: 'throughput';
  model: string;
  batch: number;
  /** What actually trained: 'wasm', 'cpu', 'native'. */
  backend: string;
  workers: number;
  /** Examples trained in the round / train phase (s). */
  samplesPerSec: number;
  /** The same model and batch in a PyTorch CPU loop with `workers` threads; null when torch is absent. */
  torchSamplesPerSec: number | null;
  /** samplesPerSec / torchSamplesPerSec; null without torch. */
  ratio: number | null;
  /**
   * The best PyTorch rate with 1..workers threads. On a loaded machine torch's
   * OpenMP threads spin at barriers and 2 threads can be far slower than 1;
   * this keeps the reference honest. Null without torch.
   */
  torchBestSamplesPerSec: number | null;
  /** samplesPerSec / torchBestSamplesPerSec. */
  ratioVsBest: number | null;
  /** Clients in the round and examples per client. */
  clients: number;
  examplesPerClient: number;
}

/** One round's wall time with W workers, its parallel efficiency and the time spent on anything but local training. */
export interface RoundRow {
  bench: 'round';
  model: string;
  workers: number;
  clientsPerRound: number;
  /** Whole round (plan, train, aggregate, server step; no evaluation), ms, median of the measured rounds. */
  roundMs: number;
  /** The round's train phase (dispatch to the pool until the last client's update is back), ms. */
  trainMs: number;
  /** T1 / (W · TW) with T the round time; 1 for the one-worker row; null when there is no one-worker row. */
  efficiency: number | null;
  /** roundMs − trainMs: the strategy's plan, aggregation and the server step (the weights' copy to the clients is in train). */
  overheadMs: number;
  /** overheadMs as a percentage of roundMs. */
  overheadPct: number;
  /** Medians per round of the process's CPU time (all threads), the main thread's CPU time, and minor page faults. */
  cpuMs: number;
  mainCpuMs: number;
  minorFaults: number;
  /** cpuMs with one worker / cpuMs with W: the extra CPU W workers spend on the same round (1 = none); survives a busy machine. */
  cpuEfficiency: number | null;
  backend: string;
}

/** Rounds and wall time to a test accuracy. */
export interface RoundsToTargetRow {
  bench: 'rounds-to-target';
  split: 'iid' | 'shards';
  /** Rounds run (to the target, or to the cap). */
  rounds: number;
  /** Wall time of those rounds, evaluation included, s. */
  seconds: number;
  /** Best test accuracy seen. */
  accuracy: number;
  /** Whether the target was reached within the cap. */
  reached: boolean;
  target: number;
  /** McMahan et al. 2017's rounds to 97% for this split (87 IID, 664 shards). */
  paperRounds: number;
  /** seconds / rounds × paperRounds: wall time the paper's round count would take here. */
  projectedSeconds: number;
  backend: string;
}

/** One side of a time-to-target comparison: a whole FedAvg run to a test accuracy. */
export interface TargetRun {
  rounds: number;
  /** Wall time of those rounds (train, aggregate, evaluate), s. */
  seconds: number;
  /** Best test accuracy seen. */
  accuracy: number;
  reached: boolean;
}

/** Fedbook's FedAvg and a PyTorch FedAvg loop, run to the same target with the same hyperparameters, in one bench run. */
export interface TimeToTargetRow {
  bench: 'time-to-target';
  target: number;
  /** The round count a run that stopped short is projected to (the paper's rounds for the split). */
  paperRounds: number;
  /** What trained our clients, and torch's thread count. */
  backend: string;
  workers: number;
  torchThreads: number;
  oursRounds: number;
  oursSeconds: number;
  oursAccuracy: number;
  oursReached: boolean;
  oursSecondsPerRound: number;
  /** oursSeconds when the target was reached, else oursSecondsPerRound × paperRounds. */
  oursTimeToTarget: number;
  torchRounds: number;
  torchSeconds: number;
  torchAccuracy: number;
  torchReached: boolean;
  torchSecondsPerRound: number;
  torchTimeToTarget: number;
  /** Whether either time is projected rather than measured to the target. */
  projected: boolean;
  /** torchTimeToTarget / oursTimeToTarget: above 1, ours reaches the target sooner. */
  speedup: number;
}

export type BenchRow = ThroughputRow | RoundRow | RoundsToTargetRow | TimeToTargetRow;

/** A throughput row with its ratio to torch. */
export function throughputRow(fields: Omit<ThroughputRow, 'bench' | 'ratio' | 'ratioVsBest'>): ThroughputRow {
  const { torchSamplesPerSec, torchBestSamplesPerSec, samplesPerSec } = fields;
  const over = (reference: number | null): number | null => (reference && reference > 0 ? samplesPerSec / reference : null);
  return { bench: 'throughput', ...fields, ratio: over(torchSamplesPerSec), ratioVsBest: over(torchBestSamplesPerSec) };
}

/**
 * A round row. `oneWorkerRoundMs` is T1, the same round's time with one worker
 * (undefined when it was not measured).
 */
export function roundRow(
  fields: Omit<RoundRow, 'bench' | 'efficiency' | 'overheadMs' | 'overheadPct' | 'cpuEfficiency'>,
  oneWorkerRoundMs?: number,
  oneWorkerCpuMs?: number,
): RoundRow {
  const overheadMs = Math.max(0, fields.roundMs - fields.trainMs);
  const efficiency = oneWorkerRoundMs === undefined ? null : oneWorkerRoundMs / (fields.workers * fields.roundMs);
  const cpuEfficiency = oneWorkerCpuMs === undefined || !(fields.cpuMs > 0) ? null : oneWorkerCpuMs / fields.cpuMs;
  return { bench: 'round', ...fields, efficiency, cpuEfficiency, overheadMs, overheadPct: fields.roundMs > 0 ? (100 * overheadMs) / fields.roundMs : 0 };
}

/** A rounds-to-target row with its projection to the paper's round count. */
export function roundsToTargetRow(fields: Omit<RoundsToTargetRow, 'bench' | 'projectedSeconds'>): RoundsToTargetRow {
  const projectedSeconds = fields.rounds > 0 ? (fields.seconds / fields.rounds) * fields.paperRounds : NaN;
  return { bench: 'rounds-to-target', ...fields, projectedSeconds };
}

/**
 * A time-to-target row. Each side's time to the target is its measured wall
 * time when it reached the target, else its seconds per round times the
 * paper's round count: the same rule for both sides, so a quick run of a few
 * rounds each still compares like with like.
 */
export function timeToTargetRow(fields: {
  target: number;
  paperRounds: number;
  backend: string;
  workers: number;
  torchThreads: number;
  ours: TargetRun;
  torch: TargetRun;
}): TimeToTargetRow {
  const side = (run: TargetRun) => {
    const secondsPerRound = run.rounds > 0 ? run.seconds / run.rounds : NaN;
    return { secondsPerRound, timeToTarget: run.reached ? run.seconds : secondsPerRound * fields.paperRounds };
  };
  const ours = side(fields.ours);
  const torch = side(fields.torch);
  return {
    bench: 'time-to-target',
    target: fields.target,
    paperRounds: fields.paperRounds,
    backend: fields.backend,
    workers: fields.workers,
    torchThreads: fields.torchThreads,
    oursRounds: fields.ours.rounds,
    oursSeconds: fields.ours.seconds,
    oursAccuracy: fields.ours.accuracy,
    oursReached: fields.ours.reached,
    oursSecondsPerRound: ours.secondsPerRound,
    oursTimeToTarget: ours.timeToTarget,
    torchRounds: fields.torch.rounds,
    torchSeconds: fields.torch.seconds,
    torchAccuracy: fields.torch.accuracy,
    torchReached: fields.torch.reached,
    torchSecondsPerRound: torch.secondsPerRound,
    torchTimeToTarget: torch.timeToTarget,
    projected: !(fields.ours.reached && fields.torch.reached),
    speedup: torch.timeToTarget / ours.timeToTarget,
  };
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

type Cell = string | number | boolean | null;

function show(value: Cell, digits: number): string {
  if (value === null) return '—';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    return Number.isInteger(value) && digits <= 0
      ? value.toLocaleString('en-US')
      : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  return String(value);
}

interface Column<R> {
  header: string;
  value: (row: R) => Cell;
  digits?: number;
}

/** Renders rows as an aligned text table: text left, numbers right. */
export function formatTable<R>(title: string, rows: readonly R[], columns: readonly Column<R>[]): string {
  const cells = rows.map((row) => columns.map((c) => show(c.value(row), c.digits ?? 0)));
  const numeric = columns.map(
    (c) =>
      rows.length > 0 &&
      rows.every((row) => {
        const v = c.value(row);
        return v === null || typeof v === 'number';
      }),
  );
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((line) => line[i].length)));
  const pad = (text: string, i: number): string => (numeric[i] ? text.padStart(widths[i]) : text.padEnd(widths[i]));
  const lines = [
    columns.map((c, i) => pad(c.header, i)).join('  '),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map((line) => line.map(pad).join('  ')),
  ];
  return `${title}\n${lines.map((l) => l.trimEnd()).join('\n')}`;
}

const THROUGHPUT_COLUMNS: Column<ThroughputRow>[] = [
  { header: 'model', value: (r) => r.model },
  { header: 'batch', value: (r) => r.batch },
  { header: 'backend', value: (r) => r.backend },
  { header: 'workers', value: (r) => r.workers },
  { header: 'samples/s', value: (r) => r.samplesPerSec },
  { header: 'torch samples/s', value: (r) => r.torchSamplesPerSec },
  { header: 'ratio', value: (r) => r.ratio, digits: 2 },
  { header: 'torch best ≤W thr', value: (r) => r.torchBestSamplesPerSec },
  { header: 'ratio vs best', value: (r) => r.ratioVsBest, digits: 2 },
  { header: 'round', value: (r) => `${r.clients}×${r.examplesPerClient}` },
];

const ROUND_COLUMNS: Column<RoundRow>[] = [
  { header: 'model', value: (r) => r.model },
  { header: 'workers', value: (r) => r.workers },
  { header: 'K', value: (r) => r.clientsPerRound },
  { header: 'round ms', value: (r) => r.roundMs, digits: 1 },
  { header: 'train ms', value: (r) => r.trainMs, digits: 1 },
  { header: 'efficiency %', value: (r) => (r.efficiency === null ? null : 100 * r.efficiency), digits: 0 },
  { header: 'overhead ms', value: (r) => r.overheadMs, digits: 1 },
  { header: 'overhead %', value: (r) => r.overheadPct, digits: 2 },
  { header: 'CPU ms', value: (r) => r.cpuMs, digits: 1 },
  { header: 'CPU eff. %', value: (r) => (r.cpuEfficiency === null ? null : 100 * r.cpuEfficiency), digits: 0 },
  { header: 'main CPU ms', value: (r) => r.mainCpuMs, digits: 1 },
  { header: 'faults', value: (r) => r.minorFaults, digits: 0 },
];

const TARGET_COLUMNS: Column<RoundsToTargetRow>[] = [
  { header: 'split', value: (r) => r.split },
  { header: 'rounds', value: (r) => r.rounds },
  { header: 'seconds', value: (r) => r.seconds, digits: 1 },
  { header: 'accuracy', value: (r) => r.accuracy, digits: 4 },
  { header: 'reached', value: (r) => (r.reached ? `yes (${r.target})` : `no (${r.target})`) },
  { header: 'paper rounds', value: (r) => r.paperRounds },
  { header: 'projected s', value: (r) => r.projectedSeconds, digits: 0 },
];

const TIME_TO_TARGET_COLUMNS: Column<TimeToTargetRow>[] = [
  { header: 'ours', value: (r) => `${r.backend}, ${r.workers} workers` },
  { header: 'rounds', value: (r) => r.oursRounds },
  { header: 'accuracy', value: (r) => r.oursAccuracy, digits: 4 },
  { header: 's', value: (r) => r.oursSeconds, digits: 1 },
  { header: 's/round', value: (r) => r.oursSecondsPerRound, digits: 3 },
  { header: 'torch', value: (r) => `${r.torchThreads} thread${r.torchThreads === 1 ? '' : 's'}` },
  { header: 'torch rounds', value: (r) => r.torchRounds },
  { header: 'torch accuracy', value: (r) => r.torchAccuracy, digits: 4 },
  { header: 'torch s', value: (r) => r.torchSeconds, digits: 1 },
  { header: 'torch s/round', value: (r) => r.torchSecondsPerRound, digits: 3 },
  { header: 'ours to target s', value: (r) => r.oursTimeToTarget, digits: 1 },
  { header: 'torch to target s', value: (r) => r.torchTimeToTarget, digits: 1 },
  { header: 'torch / ours', value: (r) => r.speedup, digits: 2 },
  { header: 'basis', value: (r) => (r.projected ? `projected to ${r.paperRounds} rounds where short` : 'measured') },
];

/** Numbers rounded for JSON: rates to integers, times to 0.1 ms, ratios to 3 decimals. */
export function roundForJson(row: BenchRow): BenchRow {
  const out: Record<string, unknown> = { ...row };
  const round = (key: string, digits: number): void => {
    const v = out[key];
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = Number(v.toFixed(digits));
  };
  for (const key of ['samplesPerSec', 'torchSamplesPerSec', 'torchBestSamplesPerSec', 'projectedSeconds']) round(key, 0);
  for (const key of [
    'roundMs',
    'trainMs',
    'overheadMs',
    'seconds',
    'cpuMs',
    'mainCpuMs',
    'oursSeconds',
    'torchSeconds',
    'oursTimeToTarget',
    'torchTimeToTarget',
  ])
    round(key, 1);
  for (const key of ['ratio', 'ratioVsBest', 'efficiency', 'overheadPct', 'cpuEfficiency', 'oursSecondsPerRound', 'torchSecondsPerRound', 'speedup'])
    round(key, 3);
  round('minorFaults', 0);
  for (const key of ['accuracy', 'oursAccuracy', 'torchAccuracy']) round(key, 4);
  return out as unknown as BenchRow;
}

/** Every bench's table, in the order throughput, round, rounds-to-target, time-to-target; benches with no rows are left out. */
export function formatTables(rows: readonly BenchRow[]): string {
  const rounded = rows.map(roundForJson);
  const of = <K extends BenchRow['bench']>(bench: K) => rounded.filter((r): r is Extract<BenchRow, { bench: K }> => r.bench === bench);
  const tables: string[] = [];
  const throughput = of('throughput');
  if (throughput.length)
    tables.push(formatTable('Client training throughput (samples/s; ratio = ours / torch with as many threads as workers)', throughput, THROUGHPUT_COLUMNS));
  const round = of('round');
  if (round.length) tables.push(formatTable('Round parallel efficiency (T1 / (W·TW)) and overhead (round − train phase)', round, ROUND_COLUMNS));
  const target = of('rounds-to-target');
  if (target.length) tables.push(formatTable('Rounds to target test accuracy (2NN, E=1, B=10, 10 of 100 clients per round)', target, TARGET_COLUMNS));
  const timeToTarget = of('time-to-target');
  if (timeToTarget.length)
    tables.push(
      formatTable(
        `Time to ${timeToTarget[0].target} test accuracy, FedAvg 2NN IID (E=1, B=10, 10 of 100 clients per round): fedbook next to a PyTorch FedAvg loop`,
        timeToTarget,
        TIME_TO_TARGET_COLUMNS,
      ),
    );
  return tables.join('\n\n');
}

/** The rows as the JSON array `--json FILE` writes. */
export function toJson(rows: readonly BenchRow[]): string {
  return `${JSON.stringify(rows.map(roundForJson), null, 2)}\n`;
}
