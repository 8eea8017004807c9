/**
 * `display.runs(runs)`: runs compared on one inline plotly figure, the same
 * picture as the round chart (runTraces in kernel/contract): one line per
 * run, and for the seeds of one sweep combination their mean with a min–max
 * band. Runs are named as a cell has them: `algo.run(...)` results, run ids,
 * or `fed.runs.list()` entries.
 */
import { PLOTTED_METRICS, runTraces, type ComparedRun, type MetricKey, type RoundMetrics } from '../contract';
import { loadRun, type LoadedRun } from '../simulation/run-records';
import type { PlotlyFigure } from './display';

/** A run as a cell names it: a run result (`algo.run(...)`), a run id (or a record's path), or a `fed.runs.list()` entry. */
export type RunReference = string | { id: string; rounds?: readonly RoundMetrics[] } | { runId: string; path?: string };

/** Options of `display.runs`. */
export interface DisplayRunsOptions {
  /** The metric plotted (default 'testAccuracy'): one of the round chart's metrics. */
  metric?: MetricKey;
  /** A title above the figure. */
  title?: string;
}

const WHAT = "expected a run result (algo.run(...)), a run id, a fed.runs.list() entry or fed.sweep's result";

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? `an object with keys ${Object.keys(value as object).join(', ') || '(none)'}` : typeof value;
}

function fromRecord(record: LoadedRun): ComparedRun {
  const { config } = record;
  return {
    runId: config.runId,
    label: config.label,
    strategy: config.strategy,
    hyperparameters: config.hyperparameters,
    seed: config.seed,
    sweep: (config as { sweep?: unknown }).sweep,
    rounds: record.rounds,
  };
}

/**
 * The runs that `references` name, read from their records (for the seed,
 * sweep and settings). A run result whose record is gone still draws from
 * its own rounds. Errors name the item and say what was expected.
 */
export function resolveRuns(references: unknown, load: (runIdOrPath: string) => LoadedRun = (id) => loadRun(id)): ComparedRun[] {
  // fed.sweep's result: its runs, read back from their records (a band per combination).
  const sweep = references as { runs?: unknown; table?: unknown } | null;
  if (sweep && typeof sweep === 'object' && !Array.isArray(sweep) && Array.isArray(sweep.runs) && sweep.table !== undefined)
    return resolveRuns(sweep.runs, load);
  const items = Array.isArray(references) ? references : [references];
  if (items.length === 0) throw new TypeError(`display.runs: no runs given: ${WHAT}, or an array of them`);
  return items.map((item: unknown, i) => {
    const where = items.length === 1 && !Array.isArray(references) ? 'display.runs' : `display.runs: item ${i}`;
    if (typeof item === 'string' && item !== '') return fromRecord(load(item));
    if (typeof item === 'object' && item !== null) {
      const entry = item as { runId?: unknown; path?: unknown; id?: unknown; rounds?: unknown };
      if (typeof entry.runId === 'string') return fromRecord(load(typeof entry.path === 'string' ? entry.path : entry.runId));
      if (typeof entry.id === 'string' && Array.isArray(entry.rounds)) {
        try {
          return fromRecord(load(entry.id));
        } catch {
          return { runId: entry.id, rounds: entry.rounds as RoundMetrics[] };
        }
      }
    }
    throw new TypeError(`${where}: ${WHAT}, got ${describe(item)}`);
  });
}

/** The figure of `runs` for `metric`: rounds across, the metric up, legend below. */
export function runsFigure(runs: readonly ComparedRun[], options: DisplayRunsOptions = {}): PlotlyFigure {
  const metric = options.metric ?? 'testAccuracy';
  const entry = PLOTTED_METRICS.find((m) => m.key === metric);
  if (!entry)
    throw new RangeError(`display.runs: options.metric must be one of ${PLOTTED_METRICS.map((m) => `'${m.key}'`).join(', ')}, got ${JSON.stringify(metric)}`);
  return {
    data: runTraces(runs, metric),
    layout: {
      ...(options.title ? { title: { text: options.title } } : {}),
      xaxis: { title: { text: 'Round' }, zeroline: false },
      yaxis: { title: { text: entry.label }, zeroline: false },
      legend: { orientation: 'h', y: -0.2 },
      margin: { l: 60, r: 20, t: options.title ? 50 : 20, b: 50 },
    },
  };
}
