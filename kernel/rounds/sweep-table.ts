/**
 * A sweep's table, pure maths: each run's final and best test metrics and the
 * round it reached a target, then per combination the mean ± standard
 * deviation over its seeds (the sample deviation, n − 1, as pandas reports it;
 * 0 for one seed), the best combination, and an aligned text rendering.
 */
import type { RoundMetrics } from '../contract';

/** The target a sweep counts rounds to (a run's `until`). */
export interface SweepTarget {
  readonly accuracy?: number;
  readonly loss?: number;
}

/** One run of the sweep, reduced to what the table shows. */
export interface RunSummary {
  readonly rounds: number;
  readonly finalAccuracy?: number;
  readonly bestAccuracy?: number;
  readonly finalLoss?: number;
  /** The lowest test loss of any round. */
  readonly bestLoss?: number;
  /** The first round that met the target; undefined when none did (or no target). */
  readonly roundsToTarget?: number;
}

export interface Stat {
  readonly mean: number;
  /** Sample standard deviation (n − 1); 0 when n = 1. */
  readonly std: number;
  readonly n: number;
}

export interface SweepRow {
  readonly combination: number;
  /** The grid values, e.g. { clientLr: 0.1, mu: 0.01 }. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Runs that finished (completed or stopped at the target) out of those planned. */
  readonly finished: number;
  readonly planned: number;
  readonly finalAccuracy?: Stat;
  readonly bestAccuracy?: Stat;
  readonly finalLoss?: Stat;
  readonly bestLoss?: Stat;
  /** Over the runs that reached the target; `reached` of `finished` did. */
  readonly roundsToTarget?: Stat & { readonly reached: number };
}

export function summarizeRun(rounds: readonly RoundMetrics[], target?: SweepTarget): RunSummary {
  const accuracies = rounds.map((m) => m.testAccuracy).filter(isNumber);
  const losses = rounds.map((m) => m.testLoss).filter(isNumber);
  const reached =
    target &&
    rounds.find(
      (m) =>
        (target.accuracy !== undefined && isNumber(m.testAccuracy) && m.testAccuracy >= target.accuracy) ||
        (target.loss !== undefined && isNumber(m.testLoss) && m.testLoss <= target.loss),
    );
  return {
    rounds: rounds.length,
    ...(accuracies.length ? { finalAccuracy: accuracies.at(-1), bestAccuracy: Math.max(...accuracies) } : {}),
    ...(losses.length ? { finalLoss: losses.at(-1), bestLoss: Math.min(...losses) } : {}),
    ...(reached ? { roundsToTarget: reached.round } : {}),
  };
}

export function meanStd(values: readonly number[]): Stat | undefined {
  const n = values.length;
  if (n === 0) return undefined;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/** One row per combination from its finished runs' summaries. */
export function sweepRow(
  combination: number,
  params: Readonly<Record<string, unknown>>,
  planned: number,
  runs: readonly RunSummary[],
  target?: SweepTarget,
): SweepRow {
  const stat = (pick: (run: RunSummary) => number | undefined) => meanStd(runs.map(pick).filter(isNumber));
  const reached = runs.map((run) => run.roundsToTarget).filter(isNumber);
  const toTarget = target && (target.accuracy !== undefined || target.loss !== undefined) ? meanStd(reached) : undefined;
  return {
    combination,
    params,
    finished: runs.length,
    planned,
    ...optional(
      'finalAccuracy',
      stat((r) => r.finalAccuracy),
    ),
    ...optional(
      'bestAccuracy',
      stat((r) => r.bestAccuracy),
    ),
    ...optional(
      'finalLoss',
      stat((r) => r.finalLoss),
    ),
    ...optional(
      'bestLoss',
      stat((r) => r.bestLoss),
    ),
    ...(target && (target.accuracy !== undefined || target.loss !== undefined)
      ? { roundsToTarget: { ...(toTarget ?? { mean: NaN, std: NaN, n: 0 }), reached: reached.length } }
      : {}),
  };
}

/** The highest mean final test accuracy (the lowest mean final loss when there is no accuracy); the first in grid order on a tie. */
export function bestRow(rows: readonly SweepRow[]): SweepRow | undefined {
  let best: SweepRow | undefined;
  for (const row of rows) {
    if (!best || better(row, best)) best = row;
  }
  return best && (best.finalAccuracy || best.finalLoss) ? best : undefined;
}

function better(a: SweepRow, b: SweepRow): boolean {
  if (a.finalAccuracy || b.finalAccuracy) return (a.finalAccuracy?.mean ?? -Infinity) > (b.finalAccuracy?.mean ?? -Infinity);
  return (a.finalLoss?.mean ?? Infinity) < (b.finalLoss?.mean ?? Infinity);
}

/** An aligned text table: one column per grid key, then runs and the metrics as mean ± std; the best row marked '*'. */
export function formatSweepTable(rows: readonly SweepRow[], keys: readonly string[], target?: SweepTarget): string {
  const best = bestRow(rows);
  const targetName = target?.accuracy !== undefined ? `acc ≥ ${target.accuracy}` : target?.loss !== undefined ? `loss ≤ ${target.loss}` : '';
  const header = ['', ...keys, 'runs', 'final acc', 'best acc', 'final loss', 'best loss', ...(targetName ? [`rounds to ${targetName}`] : [])];
  const body = rows.map((row) => [
    row === best ? '*' : '',
    ...keys.map((key) => formatValue(row.params[key])),
    `${row.finished}/${row.planned}`,
    formatStat(row.finalAccuracy, 4),
    formatStat(row.bestAccuracy, 4),
    formatStat(row.finalLoss, 4),
    formatStat(row.bestLoss, 4),
    ...(targetName
      ? [row.roundsToTarget?.n ? `${formatStat(row.roundsToTarget, 1)} (${row.roundsToTarget.reached}/${row.finished})` : `— (0/${row.finished})`]
      : []),
  ]);
  return alignedText(header, body);
}

/** A header and rows as columns padded to their widest cell, two spaces apart. */
export function alignedText(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((cells) => cells[i].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatStat(stat: Stat | undefined, digits: number): string {
  return stat && stat.n > 0 ? `${stat.mean.toFixed(digits)} ± ${stat.std.toFixed(digits)}` : '—';
}

/** A grid value as a table cell: strings as they are, anything else as JSON. */
export function formatValue(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

function optional<K extends string>(key: K, stat: Stat | undefined): { [P in K]?: Stat } {
  return (stat ? { [key]: stat } : {}) as { [P in K]?: Stat };
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && !Number.isNaN(value);
}
