/**
 * The runs view's model, pure: run records → tree nodes. Runs of a sweep sit
 * under one node per sweep, other runs at the top, newest first; each run says
 * its strategy and key hyperparameters, rounds, final accuracy, ε and state.
 */
import type { RunConfigRecord, RunSweepTag } from '../../kernel/contract';
import { legendLabel, parseRunRecord, type ChartRun } from '../chart/chart-data';

/** What a run is in the view: running (a live run of this window), completed, stopped at its target, interrupted, failed. */
export type RunState = 'running' | 'completed' | 'stopped' | 'interrupted' | 'failed';

export interface RunSummaryItem {
  readonly kind: 'run';
  readonly runId: string;
  /** The record file, as the caller named it (a path or URI string). */
  readonly file: string;
  readonly label: string;
  readonly description: string;
  readonly tooltip: string;
  readonly state: RunState;
  readonly startedAt: string;
  readonly sweep?: RunSweepTag;
  readonly run: ChartRun;
}

export interface SweepGroupItem {
  readonly kind: 'sweep';
  readonly sweepId: string;
  readonly label: string;
  readonly description: string;
  readonly children: readonly RunSummaryItem[];
}

export type RunsTreeItem = RunSummaryItem | SweepGroupItem;

/**
 * One record's node. A record without an end line is 'running' when its id is among `liveRunIds` (a run this
 * window is receiving), else 'interrupted' (its process was killed): only the live kernel knows which.
 */
export function summarizeRecord(text: string, file: string, liveRunIds: ReadonlySet<string> = new Set()): RunSummaryItem {
  const run = parseRunRecord(text, file);
  const config = JSON.parse(text.split('\n', 1)[0]) as RunConfigRecord;
  const state = runState(run.status, liveRunIds.has(run.runId));
  const last = run.rounds.at(-1);
  const planned = run.plannedRounds !== undefined ? (config.fromRound ?? 0) + run.plannedRounds : undefined;
  const parts = [
    `${last?.round ?? 0}${planned !== undefined ? `/${planned}` : ''} rounds`,
    ...(typeof last?.testAccuracy === 'number' ? [`acc ${last.testAccuracy.toFixed(3)}`] : []),
    ...(typeof last?.epsilon === 'number' ? [`ε ${last.epsilon.toFixed(2)}`] : []),
    state,
  ];
  const params = Object.entries(run.hyperparameters ?? {}).map(([key, value]) => `${key}: ${JSON.stringify(value)}`);
  return {
    kind: 'run',
    runId: run.runId,
    file,
    run,
    state,
    startedAt: config.startedAt ?? '',
    label: legendLabel(run),
    description: parts.join(' · '),
    tooltip: [`${run.strategy} · run ${run.runId}`, `started ${config.startedAt ?? '?'}`, ...params].join('\n'),
    ...(config.sweep ? { sweep: config.sweep } : {}),
  };
}

function runState(status: ChartRun['status'], live: boolean): RunState {
  switch (status) {
    case 'completed':
      return 'completed';
    case 'stopped':
      return 'stopped';
    case 'failed':
      return 'failed';
    case 'aborted':
      return 'interrupted';
    default:
      return live ? 'running' : 'interrupted';
  }
}

/** Sweeps first-class: one node per sweep (its runs in grid order), other runs beside them; newest first. */
export function buildRunsTree(items: readonly RunSummaryItem[]): RunsTreeItem[] {
  const sweeps = new Map<string, RunSummaryItem[]>();
  const top: RunsTreeItem[] = [];
  for (const item of items) {
    if (!item.sweep) {
      top.push(item);
      continue;
    }
    let group = sweeps.get(item.sweep.id);
    if (!group) sweeps.set(item.sweep.id, (group = []));
    group.push(item);
  }
  for (const [sweepId, runs] of sweeps) {
    const children = [...runs].sort((a, b) => a.sweep!.combination - b.sweep!.combination || a.sweep!.seed - b.sweep!.seed);
    const combinations = new Set(children.map((run) => run.sweep!.combination)).size;
    const seeds = new Set(children.map((run) => run.sweep!.seed)).size;
    const done = children.filter((run) => run.state === 'completed' || run.state === 'stopped').length;
    const states = new Set(children.map((run) => run.state));
    const state = states.has('running') ? 'running' : states.has('interrupted') ? 'interrupted' : states.has('failed') ? 'some failed' : 'completed';
    top.push({
      kind: 'sweep',
      sweepId,
      children,
      label: `${children[0].run.strategy} sweep`,
      description: `${combinations} combination(s) × ${seeds} seed(s) · ${done}/${children.length} runs done · ${state}`,
    });
  }
  return top.sort((a, b) => startOf(b).localeCompare(startOf(a)));
}

function startOf(item: RunsTreeItem): string {
  return item.kind === 'run' ? item.startedAt : item.children.reduce((latest, run) => (run.startedAt > latest ? run.startedAt : latest), '');
}
