/**
 * The round axis of the live chart. Pure: no DOM, no plotly.
 */
import type { ChartRun } from './chart-data';

/**
 * While a run is live, the round axis runs ahead of the last round (by a
 * quarter of the rounds so far, at least 5, at most to the planned last
 * round), so the next rounds fall inside the drawn axes and the overlay can
 * show them; it is widened only when a round passes its end.
 *
 * Returns undefined (plotly's autorange) when no running run has planned
 * rounds left, and `current` itself while it still fits: callers compare by
 * identity to know whether the figure needs a new layout.
 */
export function roundRange(runs: readonly ChartRun[], current: [number, number] | undefined): [number, number] | undefined {
  let lo = Infinity;
  let last = -Infinity;
  let plannedEnd = -Infinity;
  for (const run of runs) {
    if (run.rounds.length === 0) continue;
    const first = run.rounds[0].round;
    lo = Math.min(lo, first);
    last = Math.max(last, run.rounds[run.rounds.length - 1].round);
    if (run.status === 'running' && run.plannedRounds !== undefined) plannedEnd = Math.max(plannedEnd, first + run.plannedRounds - 1);
  }
  if (plannedEnd <= last) return undefined;
  const pad = (hi: number) => Math.max(0.5, (hi - lo) * 0.02);
  const ahead = Math.min(plannedEnd, last + Math.max(5, Math.ceil((last - lo + 1) / 4)));
  if (current && current[0] <= lo && current[1] >= last && current[1] <= plannedEnd + pad(plannedEnd)) return current;
  return [lo - pad(ahead), ahead + pad(ahead)];
}
