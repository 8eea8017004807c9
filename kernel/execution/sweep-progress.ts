/**
 * A sweep's one live progress output, pure: the sweep so far → a table of
 * combinations × seeds, each cell saying where its run stands (pending,
 * round k/N, done, stopped, failed, interrupted) with its current test
 * accuracy, and a mean over the seeds; as text, as HTML, and as the
 * `application/vnd.fedbook.sweep+json` bundle whose runs the VS Code chart
 * draws as one line per combination with a band over seeds.
 */
import { SWEEP_MIME, type SweepBundle } from '../contract';
import type { MimeBundle } from './executor';
import { formatValue, alignedText } from '../rounds/sweep-table';
import { escapeHtml, formatNumber, formatSeconds } from './render';

export type SweepRun = SweepBundle['runs'][number];

function accuracyOf(run: SweepRun | undefined): number | undefined {
  const last = run?.rounds[run.rounds.length - 1];
  return last?.testAccuracy ?? last?.trainAccuracy;
}

/** One cell of the grid: 'pending', 'round 3/6 · acc 0.912', 'done · acc 0.934', 'failed after round 2', … */
export function sweepCellText(run: SweepRun | undefined, plannedRounds?: number): string {
  if (!run) return 'pending';
  const accuracy = accuracyOf(run);
  const metric = accuracy === undefined ? '' : ` · acc ${formatNumber(accuracy, 3)}`;
  const round = run.rounds[run.rounds.length - 1]?.round ?? 0;
  const planned = run.plannedRounds ?? plannedRounds;
  switch (run.status) {
    case 'running':
      return `round ${round}${planned ? `/${planned}` : ''}${metric}`;
    case 'completed':
      return `done${metric}`;
    case 'stopped':
      return `stopped at round ${round}${metric}`;
    case 'failed':
      return `failed after round ${round}`;
    case 'aborted':
      return `interrupted after round ${round}${metric}`;
  }
}

/** The run of each grid cell, by combination then seed. */
function runAt(bundle: SweepBundle, combination: number, seed: number): SweepRun | undefined {
  // The newest run of a cell wins: a resumed sweep may list a cell's interrupted run before its resume.
  for (let i = bundle.runs.length - 1; i >= 0; i--) {
    const run = bundle.runs[i];
    if (run.combination === combination && run.seed === seed) return run;
  }
  return undefined;
}

/** Mean of the current test accuracy over the combination's runs that have one. */
function meanAccuracy(bundle: SweepBundle, combination: number): string {
  const values = bundle.seeds.flatMap((seed) => {
    const value = accuracyOf(runAt(bundle, combination, seed));
    return value === undefined ? [] : [value];
  });
  if (values.length === 0) return '–';
  const mean = formatNumber(values.reduce((sum, v) => sum + v, 0) / values.length, 3);
  return values.length === bundle.seeds.length ? mean : `${mean} (${values.length} of ${bundle.seeds.length})`;
}

/** "sweep s-1: 3 of 6 runs done · 1 running · 2 pending · 12.3 s elapsed" */
export function sweepHeadline(bundle: SweepBundle, elapsedMs: number): string {
  const cells = bundle.combinations.flatMap((c) => bundle.seeds.map((seed) => runAt(bundle, c.index, seed)));
  const count = (test: (run: SweepRun | undefined) => boolean) => cells.filter(test).length;
  const done = count((run) => run?.status === 'completed' || run?.status === 'stopped');
  const parts = [`sweep ${bundle.sweepId}: ${done} of ${cells.length} runs done`];
  const running = count((run) => run?.status === 'running');
  const failed = count((run) => run?.status === 'failed');
  const interrupted = count((run) => run?.status === 'aborted');
  const pending = count((run) => run === undefined);
  if (running) parts.push(`${running} running`);
  if (failed) parts.push(`${failed} failed`);
  if (interrupted) parts.push(`${interrupted} interrupted`);
  if (pending) parts.push(`${pending} pending`);
  parts.push(`${formatSeconds(elapsedMs, true)} ${bundle.status === 'running' ? 'elapsed' : 'in all'}`);
  return parts.join(' · ');
}

/** The table's header and rows as text cells: grid keys, one column per seed, the mean. */
export function sweepTableCells(bundle: SweepBundle): { header: string[]; rows: string[][] } {
  const header = [...(bundle.keys.length ? bundle.keys : ['combination']), ...bundle.seeds.map((seed) => `seed ${seed}`), 'mean acc'];
  const rows = bundle.combinations.map((combination) => [
    ...(bundle.keys.length ? bundle.keys.map((key) => formatValue(combination.params[key])) : ['base']),
    ...bundle.seeds.map((seed) => sweepCellText(runAt(bundle, combination.index, seed), bundle.plannedRounds)),
    meanAccuracy(bundle, combination.index),
  ]);
  return { header, rows };
}

/** The headline and an aligned text table. */
export function sweepProgressText(bundle: SweepBundle, elapsedMs: number): string {
  const { header, rows } = sweepTableCells(bundle);
  return [sweepHeadline(bundle, elapsedMs), alignedText(header, rows)].join('\n');
}

/** The headline and an HTML table. */
export function sweepProgressHtml(bundle: SweepBundle, elapsedMs: number): string {
  const { header, rows } = sweepTableCells(bundle);
  const head = `<tr>${header.map((title) => `<th>${escapeHtml(title)}</th>`).join('')}</tr>`;
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('');
  return `<div class="fedbook-sweep"><b>${escapeHtml(sweepHeadline(bundle, elapsedMs))}</b><table><thead>${head}</thead><tbody>${body}</tbody></table></div>`;
}

/** The output: text, HTML and the sweep bundle (a copy, so later rounds do not change a sent message). */
export function sweepMimeBundle(bundle: SweepBundle, elapsedMs: number): MimeBundle {
  return {
    'text/plain': sweepProgressText(bundle, elapsedMs),
    'text/html': sweepProgressHtml(bundle, elapsedMs),
    [SWEEP_MIME]: { ...bundle, runs: bundle.runs.map((run) => ({ ...run, rounds: [...run.rounds] })) },
  };
}
