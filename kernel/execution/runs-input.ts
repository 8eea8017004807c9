/**
 * What `display.runs` accepts, read into curves: fed.sweep's result (one group
 * per combination), runs from `algo.run` or run ids (grouped by their sweep
 * combination when they have one, else one group per run). The records on
 * disk are read, so a run from an earlier session plots as well as a live one.
 */
import type { RunConfigRecord } from '../contract';
import { loadRun } from '../simulation/run-records';
import type { RunCurve } from './runs-figure';

export function runCurves(runs: unknown, where = 'display.runs'): RunCurve[] {
  const ids = runIds(runs, where);
  if (ids.length === 0) throw new TypeError(`${where}: no runs to show`);
  const loaded = ids.map((id) => loadRun(id));
  const sweeps = new Set(loaded.map((run) => run.config.sweep?.id).filter((id) => id !== undefined));
  return loaded.map((run) => ({ group: groupOf(run.config, sweeps.size > 1), rounds: run.rounds }));
}

function runIds(runs: unknown, where: string): string[] {
  const sweep = runs as { runs?: unknown } | null;
  if (sweep && typeof sweep === 'object' && !Array.isArray(sweep) && Array.isArray(sweep.runs)) return runIds(sweep.runs, where);
  if (!Array.isArray(runs)) {
    throw new TypeError(`${where}: expected fed.sweep's result, an array of runs from algo.run, or run ids (got ${runs === null ? 'null' : typeof runs})`);
  }
  return runs.map((run, i) => {
    if (typeof run === 'string') return run;
    const id = (run as { id?: unknown; runId?: unknown } | null)?.runId ?? (run as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') throw new TypeError(`${where}: item ${i} is neither a run (with an id) nor a run id`);
    return id;
  });
}

function groupOf(config: RunConfigRecord, manySweeps: boolean): string {
  if (!config.sweep) return config.label;
  const params = Object.entries(config.sweep.params).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const text = params.length ? params.join(' ') : config.strategy;
  return manySweeps ? `${config.sweep.id}: ${text}` : text;
}
