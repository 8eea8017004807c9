/**
 * A sweep runs every combination of a grid with every seed, one recorded run
 * each, tagged with the sweep id in its record; the records are the sweep's
 * only state, so an interrupted sweep resumes from them: finished runs are
 * read back, the interrupted one resumes from its checkpoint, the rest run.
 * How a cell becomes a run (which algorithm, which options) is the caller's:
 * the runner is injected.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { listRuns, loadRun, runsDirectory, type LoadedRun } from '../simulation/run-records';
import { publishRunEvent } from '../simulation/run-events';
import type { RunSweepTag } from '../contract';
import { identityDifferences, type RunIdentity } from './resume';
import { RunInterruptedError, type RunResult } from './run-loop';
import { bestRow, formatStat, formatSweepTable, summarizeRun, sweepRow, type RunSummary, type SweepRow, type SweepTarget } from './sweep-table';

export interface SweepCombination {
  readonly index: number;
  readonly params: Readonly<Record<string, unknown>>;
}

export interface SweepCell {
  readonly combination: SweepCombination;
  readonly seed: number;
}

export interface SweepPlan {
  readonly id: string;
  readonly keys: readonly string[];
  readonly combinations: readonly SweepCombination[];
  readonly seeds: readonly number[];
  readonly target?: SweepTarget;
  /** Rounds each run is planned to have, for the live progress view. */
  readonly rounds?: number;
}

/** What the sweep needs from the layer that builds algorithms. */
export interface SweepRunner {
  /** Runs one cell (resuming `resume`, a run id, when given) with the tag in its record. */
  run(cell: SweepCell, tag: RunSweepTag, resume?: string): Promise<RunResult>;
  /** What the cell's run is, to check recorded runs against on a resume. */
  identity(cell: SweepCell): RunIdentity;
}

export interface SweepRunEntry {
  readonly combination: number;
  readonly params: Readonly<Record<string, unknown>>;
  readonly seed: number;
  readonly runId: string;
  readonly status: string;
  /** 'ran' in this call, 'resumed' from a checkpoint, 'recorded' read back from an earlier call. */
  readonly how: 'ran' | 'resumed' | 'recorded';
}

export interface SweepTable {
  readonly keys: readonly string[];
  readonly rows: readonly SweepRow[];
  /** The aligned text table. */
  toString(): string;
}

export interface SweepResult {
  readonly id: string;
  readonly table: SweepTable;
  /** The combination with the highest mean final test accuracy. */
  readonly best?: SweepRow;
  readonly runs: readonly SweepRunEntry[];
  toString(): string;
}

/** Thrown when a run of the sweep is interrupted; the sweep resumes with `resume: error.sweepId`. */
export class SweepInterruptedError extends Error {
  constructor(
    message: string,
    readonly sweepId: string,
    readonly runs: readonly SweepRunEntry[],
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'SweepInterruptedError';
  }
}

/** Every combination of the grid's values, the first key varying slowest. */
export function gridCombinations(grid: Readonly<Record<string, readonly unknown[]>>): SweepCombination[] {
  let combinations: Record<string, unknown>[] = [{}];
  for (const [key, values] of Object.entries(grid)) {
    combinations = combinations.flatMap((params) => values.map((value) => ({ ...params, [key]: value })));
  }
  return combinations.map((params, index) => ({ index, params }));
}

export function newSweepId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `sweep-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** The id of the sweep to resume: itself, or for 'latest' the sweep of the most recently started swept run. */
export function resolveSweepId(resume: string, directory = runsDirectory()): string {
  const swept = listRuns(directory)
    .map((run) => loadRun(run.path))
    .filter((run) => run.config.sweep);
  if (resume === 'latest') {
    const latest = swept.sort((a, b) => b.config.startedAt.localeCompare(a.config.startedAt))[0];
    if (!latest) throw new RangeError(`fed.sweep: resume 'latest': there is no sweep in ${directory}`);
    return latest.config.sweep!.id;
  }
  if (!swept.some((run) => run.config.sweep!.id === resume)) throw new RangeError(`fed.sweep: resume: no run of a sweep '${resume}' in ${directory}`);
  return resume;
}

export async function runSweep(plan: SweepPlan, runner: SweepRunner, directory = runsDirectory()): Promise<SweepResult> {
  const recorded = recordedCells(plan, runner, directory);
  publishRunEvent('sweepStarted', {
    sweepId: plan.id,
    keys: plan.keys,
    combinations: plan.combinations,
    seeds: plan.seeds,
    ...(plan.rounds !== undefined ? { rounds: plan.rounds } : {}),
    recorded: [...recorded.values()].flatMap((run) =>
      run.end && run.end.status !== 'aborted'
        ? [
            {
              runId: run.config.runId,
              label: run.config.label,
              strategy: run.config.strategy,
              hyperparameters: run.config.hyperparameters,
              tag: run.config.sweep!,
              status: run.end.status,
              rounds: run.rounds,
            },
          ]
        : [],
    ),
  });
  try {
    return await runCells(plan, runner, recorded);
  } finally {
    publishRunEvent('sweepEnded', { sweepId: plan.id });
  }
}

async function runCells(plan: SweepPlan, runner: SweepRunner, recorded: Map<string, LoadedRun>): Promise<SweepResult> {
  const runs: SweepRunEntry[] = [];
  const summaries = new Map<number, RunSummary[]>();
  for (const combination of plan.combinations) {
    summaries.set(combination.index, []);
    for (const seed of plan.seeds) {
      const cell = { combination, seed };
      const tag: RunSweepTag = { id: plan.id, combination: combination.index, params: { ...combination.params }, seed };
      const entry = { combination: combination.index, params: combination.params, seed };
      const earlier = recorded.get(cellKey(combination.index, seed));
      const ended = earlier?.end?.status;
      if (earlier && ended && ended !== 'aborted') {
        runs.push({ ...entry, runId: earlier.config.runId, status: ended, how: 'recorded' });
        if (ended !== 'failed') summaries.get(combination.index)!.push(summarizeRun(earlier.rounds, plan.target));
        continue;
      }
      const how = earlier ? 'resumed' : 'ran';
      try {
        const result = await runner.run(cell, tag, earlier?.config.runId);
        runs.push({ ...entry, runId: result.id, status: result.status, how });
        summaries.get(combination.index)!.push(summarizeRun(result.rounds, plan.target));
      } catch (error) {
        if (!(error instanceof RunInterruptedError)) throw error;
        runs.push({ ...entry, runId: error.run.id, status: error.run.status, how });
        if (error.run.status === 'aborted') {
          throw new SweepInterruptedError(
            `sweep ${plan.id} was interrupted in run ${error.run.id} (${describeParams(combination.params)}, seed ${seed}); ` +
              `${runs.length - 1} of ${plan.combinations.length * plan.seeds.length} runs are done. ` +
              `Continue it with fed.sweep({ ...the same options, resume: '${plan.id}' })`,
            plan.id,
            runs,
            error,
          );
        }
      }
    }
  }
  const rows = plan.combinations.map((c) => sweepRow(c.index, c.params, plan.seeds.length, summaries.get(c.index)!, plan.target));
  const table: SweepTable = {
    keys: plan.keys,
    rows,
    toString: () => formatSweepTable(rows, plan.keys, plan.target),
    [inspect.custom]: () => formatSweepTable(rows, plan.keys, plan.target),
  } as SweepTable;
  const best = bestRow(rows);
  const text = () =>
    [
      `sweep ${plan.id}: ${plan.combinations.length} combination(s) × ${plan.seeds.length} seed(s)`,
      table.toString(),
      best ? `best: ${describeParams(best.params)} (final test accuracy ${formatStat(best.finalAccuracy, 4)})` : 'best: none (no run finished)',
    ].join('\n');
  return { id: plan.id, table, ...(best ? { best } : {}), runs, toString: text, [inspect.custom]: text } as SweepResult;
}

/** The sweep's runs already on disk, by cell; a run of another grid or configuration is an error that names it. */
function recordedCells(plan: SweepPlan, runner: SweepRunner, directory: string): Map<string, LoadedRun> {
  const cells = new Map<string, LoadedRun>();
  const records = listRuns(directory)
    .map((run) => loadRun(run.path))
    .filter((run) => run.config.sweep?.id === plan.id)
    .sort((a, b) => a.config.startedAt.localeCompare(b.config.startedAt));
  for (const run of records) {
    const tag = run.config.sweep!;
    const combination = plan.combinations[tag.combination];
    const recordedParams = JSON.stringify(tag.params);
    if (!combination || JSON.stringify(combination.params) !== recordedParams || !plan.seeds.includes(tag.seed)) {
      throw new RangeError(
        `fed.sweep: sweep ${plan.id} was run with another grid or seeds: its run ${run.config.runId} is combination ${tag.combination} ` +
          `(${describeParams(tag.params)}) with seed ${tag.seed}, which this grid does not have` +
          (combination ? ` (here combination ${tag.combination} is ${describeParams(combination.params)})` : ''),
      );
    }
    const differences = identityDifferences(run, runner.identity({ combination, seed: tag.seed }));
    if (differences.length) {
      throw new RangeError(`fed.sweep: sweep ${plan.id} was run with another configuration: run ${run.config.runId} has ${differences.join('; ')}`);
    }
    cells.set(cellKey(tag.combination, tag.seed), run);
  }
  return cells;
}

function cellKey(combination: number, seed: number): string {
  return `${combination}:${seed}`;
}

function describeParams(params: Readonly<Record<string, unknown>>): string {
  const parts = Object.entries(params).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return parts.length ? parts.join(' ') : 'the base options';
}
