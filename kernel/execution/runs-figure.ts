/**
 * `display.runs`: runs compared in one Plotly figure, pure. Runs of one group
 * (a sweep's combination, over its seeds) become one line, the mean per round,
 * inside a band of ± one sample standard deviation; a group of one run is a
 * plain line. The band at a round covers the runs that reached it (a run that
 * stopped at its target ends there).
 */
import { metricValue, PLOTTED_METRICS, type MetricKey, type RoundMetrics } from '../contract';

/** One run's rounds and the group it belongs to. */
export interface RunCurve {
  readonly group: string;
  readonly rounds: readonly RoundMetrics[];
}

/** One group's line: per round the mean over its runs and the band around it. */
export interface RunBand {
  readonly group: string;
  readonly runs: number;
  readonly x: number[];
  readonly mean: number[];
  readonly lower: number[];
  readonly upper: number[];
}

/** Groups in the order they first appear; per round, the mean ± sample std of the runs that have the metric there. */
export function runBands(curves: readonly RunCurve[], metric: MetricKey): RunBand[] {
  const groups = new Map<string, RunCurve[]>();
  for (const curve of curves) {
    let group = groups.get(curve.group);
    if (!group) groups.set(curve.group, (group = []));
    group.push(curve);
  }
  return [...groups].map(([group, members]) => {
    const byRound = new Map<number, number[]>();
    for (const member of members) {
      for (const round of member.rounds) {
        const value = metricValue(round, metric);
        if (value === undefined) continue;
        let values = byRound.get(round.round);
        if (!values) byRound.set(round.round, (values = []));
        values.push(value);
      }
    }
    const band: RunBand = { group, runs: members.length, x: [], mean: [], lower: [], upper: [] };
    for (const [round, values] of [...byRound].sort(([a], [b]) => a - b)) {
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const std = values.length > 1 ? Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
      band.x.push(round);
      band.mean.push(mean);
      band.lower.push(mean - std);
      band.upper.push(mean + std);
    }
    return band;
  });
}

/** Plotly's default colour cycle, so that a band and its line share a colour. */
const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** The figure: for each group a filled band (when it has several runs) under its mean line. */
export function runsFigure(bands: readonly RunBand[], metric: MetricKey): { data: Record<string, unknown>[]; layout: Record<string, unknown> } {
  const label = PLOTTED_METRICS.find((m) => m.key === metric)?.label ?? metric;
  const data: Record<string, unknown>[] = [];
  bands.forEach((band, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const name = band.runs > 1 ? `${band.group} (${band.runs} runs)` : band.group;
    if (band.runs > 1) {
      data.push({
        type: 'scatter',
        mode: 'lines',
        x: band.x,
        y: band.upper,
        line: { width: 0, color: colour },
        hoverinfo: 'skip',
        showlegend: false,
        legendgroup: name,
      });
      data.push({
        type: 'scatter',
        mode: 'lines',
        x: band.x,
        y: band.lower,
        line: { width: 0, color: colour },
        fill: 'tonexty',
        fillcolor: `${colour}33`,
        hoverinfo: 'skip',
        showlegend: false,
        legendgroup: name,
      });
    }
    data.push({ type: 'scatter', mode: 'lines', x: band.x, y: band.mean, name, line: { color: colour, width: 2 }, legendgroup: name });
  });
  return {
    data,
    layout: {
      title: { text: `${label} per round${bands.some((b) => b.runs > 1) ? ' (mean ± std over seeds)' : ''}` },
      xaxis: { title: { text: 'round' } },
      yaxis: { title: { text: label } },
    },
  };
}
