/**
 * What one round reports, and the one table of how its metrics are shown: as
 * columns of the kernel's run table (kernel/execution/render.ts) and as lines
 * of the round chart (extension/chart). Types, constants and one pure reader.
 */
import type { ClientStateEntry } from './client-states';

/** Cost of one secure sum, as recorded in round metrics. */
export interface SecAggMetrics {
  /** Clients that dropped after advertising keys and before their masked input: not in the sum. */
  readonly dropped: number;
  /** Clients that left after their masked input (in the sum, counted as done clients of the round); absent when none. */
  readonly droppedAfterInput?: number;
  /** True when the server recovered the survivors' sum (a round that cannot be recovered throws instead). */
  readonly recovered: boolean;
  readonly ms: number;
  /** Of `ms`, the server's share; the rest is the clients' (which a deployment runs in parallel). */
  readonly serverMs: number;
  readonly bytes: number;
  readonly threshold: number;
  /** Fixed-point scale s: values are sent as round(x·s) mod 2^32. */
  readonly scale: number;
}

/**
 * Wall time of each phase of a round, ms: `sample` is the strategy's plan (cohort and configs), `train` the
 * transport's whole round trip (copying the global weights to the clients included), `clientTrain` the sum of the
 * clients' own training times. Records written before the transport seam also have a `broadcast` phase.
 */
export interface RoundPhases {
  sample: number;
  train: number;
  aggregate: number;
  evaluate: number;
  clientTrain?: number;
}

/** Metrics of one finished round. Optional fields appear when the feature is on. */
export interface RoundMetrics {
  round: number;
  testAccuracy?: number;
  testLoss?: number;
  trainLoss: number;
  trainAccuracy?: number;
  /** Clients sampled this round. */
  cohort?: number;
  /** Clients whose updates were aggregated. */
  clients: number;
  /** Clients that failed (error, crash, timeout, invalid update). */
  failures: number;
  bytesDown: number;
  bytesUp: number;
  /** Wall time of the whole round, ms. */
  ms: number;
  /** Wall time of each phase, ms. */
  phases?: RoundPhases;
  epsilon?: number;
  /** Client-side evaluation on held-out data: example-weighted mean, 10th percentile and worst client. */
  clientAccuracyMean?: number;
  clientAccuracyP10?: number;
  clientAccuracyWorst?: number;
  /** Simulated attackers sampled this round, and a backdoor's success rate on triggered test examples. */
  attackers?: number;
  attackSuccessRate?: number;
  delta?: number;
  secagg?: SecAggMetrics;
  /** A federation across machines: every client's state at the end of the round (and connections refused during it). */
  clientStates?: ClientStateEntry[];
  /** A simulation spread over `fedbook worker` processes (fed.federation.scaleOut): where its clients trained. */
  scaleOut?: ScaleOutMetrics;
  [extra: string]: unknown;
}

/** Clients trained in this process and on each worker (by name), and those retrained here after their worker failed. */
export interface ScaleOutMetrics {
  here: number;
  workers: Record<string, number>;
  retriedHere?: number;
}

/**
 * Every metric a round is shown by, in display order: `column` is its title in
 * the kernel's run table (absent: not a column), `label` its name in the
 * chart's metric selector, `plot` whether the chart offers it. `bytes` is
 * derived: up plus down traffic of the round.
 */
export const ROUND_METRICS = [
  { key: 'round', label: 'Round', column: 'round', plot: false },
  { key: 'testAccuracy', label: 'Test accuracy', column: 'test acc', plot: true },
  { key: 'testLoss', label: 'Test loss', column: 'test loss', plot: true },
  { key: 'trainLoss', label: 'Train loss', column: 'train loss', plot: true },
  { key: 'clientAccuracyMean', label: 'Client accuracy (mean)', plot: true },
  { key: 'clientAccuracyP10', label: 'Client accuracy (10th percentile)', plot: true },
  { key: 'clientAccuracyWorst', label: 'Client accuracy (worst)', plot: true },
  { key: 'attackSuccessRate', label: 'Backdoor success rate', plot: true },
  { key: 'clients', label: 'Clients aggregated', column: 'clients', plot: false },
  { key: 'failures', label: 'Failed clients', column: 'failures', plot: false },
  { key: 'epsilon', label: 'Privacy ε', column: 'ε', plot: true },
  { key: 'bytes', label: 'Bytes per round', plot: true },
  { key: 'ms', label: 'Round time (ms)', column: 'ms', plot: true },
] as const;

type RoundMetricEntry = (typeof ROUND_METRICS)[number];

/** A metric the round chart can plot. */
export type MetricKey = Extract<RoundMetricEntry, { plot: true }>['key'];

/** A column of the kernel's run table: a field of RoundMetrics. */
export type TableMetricKey = Extract<RoundMetricEntry, { column: string }>['key'];

/** The chart's metrics, in selector order. */
export const PLOTTED_METRICS: ReadonlyArray<{ readonly key: MetricKey; readonly label: string }> = ROUND_METRICS.filter(
  (metric): metric is Extract<RoundMetricEntry, { plot: true }> => metric.plot,
);

/** The run table's columns, in order. */
export const TABLE_METRICS: ReadonlyArray<{ readonly key: TableMetricKey; readonly column: string }> = ROUND_METRICS.filter(
  (metric): metric is Extract<RoundMetricEntry, { column: string }> => 'column' in metric,
);

/** Value of one plotted metric in a round, or undefined when the round lacks it (or it is not finite). */
export function metricValue(round: RoundMetrics, metric: MetricKey): number | undefined {
  const value = metric === 'bytes' ? (round.bytesUp ?? 0) + (round.bytesDown ?? 0) : round[metric];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
