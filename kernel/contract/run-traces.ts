/**
 * Comparison charts, pure: runs → plotly traces. Runs that share a sweep id
 * and differ only by seed are drawn as one line, the mean over their seeds,
 * with a band from the lowest to the highest seed (min–max, not ± std: with
 * the two or three seeds a sweep usually has, a standard deviation is a poor
 * estimate, and min–max shows every seed's envelope). Every other run is its
 * own line. Shared by the round chart's webview (extension/webview/chart.ts)
 * and `display.runs` in cells (kernel/execution/display-runs.ts), so both
 * draw the same figure. No Node or DOM APIs.
 */
import { metricValue, type MetricKey, type RoundMetrics } from './round-metrics';

/** A run as the comparison needs it: a run bundle, a chart run or a loaded record all fit. */
export interface ComparedRun {
  runId: string;
  label?: string;
  strategy?: string;
  hyperparameters?: Record<string, unknown>;
  seed?: number;
  /** The sweep the run belongs to: its id, or a sweep tag `{ id, … }` as a run record may carry it. */
  sweep?: unknown;
  rounds: readonly RoundMetrics[];
}

/** Runs drawn as one line: a single run, or the seeds of one sweep combination. */
export interface RunGroup {
  /** Stable identity of the line: the run id, or the sweep id with the combination's settings. */
  key: string;
  /** Legend text without the seed count. */
  name: string;
  runs: ComparedRun[];
}

/** One plotly trace (a plain object, as `Plotly.react` and `display.plotly` take it). */
export type PlotlyTrace = Record<string, unknown>;

export interface RunTraceOptions {
  /** Up to this many rounds a line has a marker per round; beyond, a plain line (default 100). */
  markerLimit?: number;
  /** Line colours in order (default: plotly's own colorway, so a chart without bands looks as plotly would draw it). */
  colors?: readonly string[];
}

/** Plotly's default colorway. */
export const RUN_COLORS: readonly string[] = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** The sweep id of a run record's `sweep` field: a string, or the `id` of a tag object; undefined otherwise. */
export function sweepIdOf(sweep: unknown): string | undefined {
  if (typeof sweep === 'string' && sweep !== '') return sweep;
  const id = (sweep as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** The run's settings apart from its seed, with keys sorted: equal for runs that differ only by seed. */
function settingsKey(run: ComparedRun): string {
  const entries = Object.entries(run.hyperparameters ?? {})
    .filter(([key]) => key !== 'seed')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([run.strategy ?? '', entries]);
}

/** Strategy and hyperparameters apart from the seed, e.g. "fedAvg clientLr=0.1 localEpochs=1". */
function settingsName(run: ComparedRun): string {
  const params = Object.entries(run.hyperparameters ?? {})
    .filter(([key, value]) => key !== 'seed' && (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean'))
    .map(([key, value]) => `${key}=${value}`);
  return [run.strategy || run.runId, ...params].join(' ');
}

/**
 * Groups runs into lines, in order of first appearance: runs with the same
 * sweep id, strategy and hyperparameters other than the seed share a line;
 * a run outside a sweep is always alone (two hand-started runs are not
 * assumed to be seeds of one experiment).
 */
export function groupRuns(runs: readonly ComparedRun[]): RunGroup[] {
  const groups = new Map<string, RunGroup>();
  for (const run of runs) {
    const sweep = sweepIdOf(run.sweep);
    const key = sweep === undefined ? `run:${run.runId}` : `sweep:${sweep}:${settingsKey(run)}`;
    const group = groups.get(key);
    if (group) group.runs.push(run);
    else groups.set(key, { key, name: '', runs: [run] });
  }
  for (const group of groups.values()) {
    const [first] = group.runs;
    group.name = group.runs.length === 1 ? first.label || settingsName(first) : settingsName(first);
  }
  return [...groups.values()];
}

/** True when some line stands for several runs (so the chart has bands, and trace i is no longer run i). */
export function hasBands(runs: readonly ComparedRun[]): boolean {
  return groupRuns(runs).some((group) => group.runs.length > 1);
}

/** Per round of any run in the group: the mean, lowest and highest value over the runs that have it, and how many do. */
export function bandPoints(runs: readonly ComparedRun[], metric: MetricKey): { x: number[]; mean: number[]; min: number[]; max: number[]; n: number[] } {
  const byRound = new Map<number, number[]>();
  for (const run of runs) {
    for (const round of run.rounds) {
      const value = metricValue(round, metric);
      if (value === undefined) continue;
      const values = byRound.get(round.round);
      if (values) values.push(value);
      else byRound.set(round.round, [value]);
    }
  }
  const x = [...byRound.keys()].sort((a, b) => a - b);
  const out = { x, mean: [] as number[], min: [] as number[], max: [] as number[], n: [] as number[] };
  for (const round of x) {
    const values = byRound.get(round)!;
    out.mean.push(values.reduce((sum, v) => sum + v, 0) / values.length);
    out.min.push(Math.min(...values));
    out.max.push(Math.max(...values));
    out.n.push(values.length);
  }
  return out;
}

function transparent(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})$/i.exec(color);
  if (!hex) return color;
  const value = Number.parseInt(hex[1], 16);
  return `rgba(${value >> 16},${(value >> 8) & 255},${value & 255},${alpha})`;
}

/**
 * The traces of a comparison chart of `metric`: per line, in order, either
 * one scatter trace (a single run), or three (a group of seeds): the band's
 * lower edge, its upper edge filled down to the lower one, then the mean
 * line. Each trace's `meta.runIds` names the runs it stands for; band edges
 * have `meta.band` 'min' or 'max'.
 */
export function runTraces(runs: readonly ComparedRun[], metric: MetricKey, options: RunTraceOptions = {}): PlotlyTrace[] {
  const markerLimit = options.markerLimit ?? 100;
  const colors = options.colors ?? RUN_COLORS;
  const traces: PlotlyTrace[] = [];
  groupRuns(runs).forEach((group, i) => {
    const color = colors[i % colors.length];
    const runIds = group.runs.map((run) => run.runId);
    if (group.runs.length === 1) {
      const x: number[] = [];
      const y: number[] = [];
      for (const round of group.runs[0].rounds) {
        const value = metricValue(round, metric);
        if (value === undefined) continue;
        x.push(round.round);
        y.push(value);
      }
      traces.push({
        type: 'scatter',
        mode: group.runs[0].rounds.length > markerLimit ? 'lines' : 'lines+markers',
        marker: { size: 5, color },
        line: { color },
        name: group.name,
        x,
        y,
        meta: { runIds },
      });
      return;
    }
    const band = bandPoints(group.runs, metric);
    const seeds = group.runs.length;
    const edge = { type: 'scatter', mode: 'lines', x: band.x, line: { width: 0, color }, hoverinfo: 'skip', showlegend: false, legendgroup: group.key };
    traces.push({ ...edge, y: band.min, meta: { runIds, band: 'min' } });
    traces.push({ ...edge, y: band.max, fill: 'tonexty', fillcolor: transparent(color, 0.2), meta: { runIds, band: 'max' } });
    traces.push({
      type: 'scatter',
      mode: band.x.length > markerLimit ? 'lines' : 'lines+markers',
      marker: { size: 5, color },
      line: { color },
      name: `${group.name} (mean of ${seeds} seeds, band min–max)`,
      legendgroup: group.key,
      x: band.x,
      y: band.mean,
      customdata: band.x.map((_, j) => [band.min[j], band.max[j], band.n[j]]),
      hovertemplate: '%{y:.4g} (min %{customdata[0]:.4g}, max %{customdata[1]:.4g}, %{customdata[2]} seeds)<extra>%{fullData.name}</extra>',
      meta: { runIds },
    });
  });
  return traces;
}
