/**
 * The runs view's model, pure: run record files → tree nodes. A sweep's runs
 * sit under one node per sweep, other runs at the top, newest first; each run
 * says its strategy and key hyperparameters, rounds, final accuracy, ε and
 * state. No `vscode` here: the TreeDataProvider (runs-tree-provider.ts) only
 * turns these nodes into TreeItems, and node:test checks them.
 */
import { sweepIdOf, type RunStatus } from '../../kernel/contract';
import { legendLabel, parseRunRecord } from '../chart/chart-data';

/**
 * Where a run stands in the view. 'stopped': it ended early at its target
 * (`until`) or privacy budget; 'interrupted': aborted by the user, or its
 * process died (no end line, and the file stopped growing).
 */
export type RunState = 'running' | 'completed' | 'stopped' | 'interrupted' | 'failed';

/** A run record file as the provider read it. */
export interface RunFile {
  /** Its URI (or path), as the provider will want it back. */
  file: string;
  text: string;
  /** Last modification, ms since the epoch. */
  mtimeMs: number;
  /**
   * The run's lock (`<runId>.ckpt/run.lock`), where the view could read it: 'held' by a live process, or
   * 'stale' (its process on this host is gone: a kill -9). Undefined: no lock, or none readable from here.
   */
  lock?: 'held' | 'stale';
}

/** What the view knows besides the files. */
export interface RunsViewContext {
  now: number;
  /** Status of the runs this window receives live from a kernel, by run id: the freshest word on them. */
  live?: ReadonlyMap<string, RunStatus>;
}

export interface RunNode {
  kind: 'run';
  /** Also the tree item's id: stable across refreshes, so a selection survives them. */
  runId: string;
  file: string;
  label: string;
  description: string;
  tooltip: string;
  state: RunState;
  /** A codicon id. */
  icon: string;
  /** `fedbookRun.<state>`, plus `.resumable` for runs that `algo.run({ resume })` can continue. */
  contextValue: string;
  sweep?: string;
  seed?: number;
  plannedRounds?: number;
  startedAt: string;
  /** When a 'running' guess (no end line, no live word) turns 'interrupted' unless the file grows: the view looks again then. */
  recheckAt?: number;
}

export interface SweepNode {
  kind: 'sweep';
  sweepId: string;
  label: string;
  description: string;
  tooltip: string;
  icon: string;
  contextValue: 'fedbookSweep';
  children: RunNode[];
}

export type RunsTreeNode = SweepNode | RunNode;

/** A record that stopped growing for this long past its slowest round's time ×3 (at least a minute) is no longer written. */
export const MIN_STALE_MS = 60_000;

/** How often the view looks again at a run whose lock says it runs. */
export const LOCK_RECHECK_MS = 5_000;

const ICONS: Record<RunState, string> = { running: 'sync~spin', completed: 'pass', stopped: 'pass', interrupted: 'debug-pause', failed: 'error' };

function endState(status: RunStatus): RunState {
  switch (status) {
    case 'running':
      return 'running';
    case 'completed':
      return 'completed';
    case 'stopped':
      return 'stopped';
    case 'aborted':
      return 'interrupted';
    case 'failed':
      return 'failed';
  }
}

/** The `type` of the record's last complete line (a half-written last line is skipped). */
function lastLineType(text: string): string | undefined {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return (JSON.parse(lines[i]) as { type?: string }).type;
    } catch {
      // A line being written, or cut by a kill: look at the one before.
    }
  }
  return undefined;
}

/** Whether the record's last complete line is its end line: the run ended, whatever its lock or age say. */
export function hasEndLine(text: string): boolean {
  return lastLineType(text) === 'end';
}

function format(value: number | undefined, digits: number): string | undefined {
  return value === undefined || !Number.isFinite(value) ? undefined : value.toFixed(digits);
}

/** One record's node; throws (with the file and line) when the record cannot be read. */
export function runNode(record: RunFile, context: RunsViewContext): RunNode {
  const run = parseRunRecord(record.text, record.file);
  const config = JSON.parse(record.text.split('\n', 1)[0]) as { seed?: unknown; sweep?: unknown; startedAt?: unknown; backend?: unknown };
  const ended = hasEndLine(record.text);
  const live = context.live?.get(run.runId);
  const slowest = run.rounds.reduce((most, r) => Math.max(most, typeof r.ms === 'number' ? r.ms : 0), 0);
  const staleAt = record.mtimeMs + Math.max(MIN_STALE_MS, 3 * slowest);
  let state: RunState;
  let recheckAt: number | undefined;
  if (live !== undefined && (live !== 'running' || !ended)) state = endState(live);
  else if (ended) state = endState(run.status);
  // The lock says for sure where it can be read; the record's age is the guess for the rest (older kernels, other hosts).
  else if (record.lock === 'held') {
    state = 'running';
    recheckAt = context.now + LOCK_RECHECK_MS; // A kill -9 changes no file the view watches.
  } else if (record.lock === 'stale') state = 'interrupted';
  else if (context.now < staleAt) {
    state = 'running';
    recheckAt = staleAt;
  } else state = 'interrupted';

  const last = run.rounds[run.rounds.length - 1];
  const accuracy = format(last?.testAccuracy ?? last?.trainAccuracy, 3);
  const epsilon = format(last?.epsilon, 2);
  const sweep = sweepIdOf(config.sweep);
  const seed = typeof config.seed === 'number' ? config.seed : undefined;
  const rounds = `${last?.round ?? 0}${run.plannedRounds !== undefined ? `/${run.plannedRounds}` : ''} rounds`;
  const description = [
    ...(sweep !== undefined && seed !== undefined ? [`seed ${seed}`] : []),
    rounds,
    ...(accuracy ? [`acc ${accuracy}`] : []),
    ...(epsilon ? [`ε ${epsilon}`] : []),
    state,
  ].join(' · ');
  const params = Object.entries(run.hyperparameters ?? {}).map(
    ([key, value]) => `${key} = ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
  );
  const startedAt = typeof config.startedAt === 'string' ? config.startedAt : new Date(record.mtimeMs).toISOString();
  const tooltip = [
    `${legendLabel(run)} (${run.runId})`,
    `strategy ${run.strategy}${params.length > 0 ? `: ${params.join(', ')}` : ''}`,
    ...(sweep !== undefined ? [`sweep ${sweep}`] : []),
    `${rounds}${accuracy ? ` · final accuracy ${accuracy}` : ''}${epsilon ? ` · ε ${epsilon}` : ''}`,
    `${state}${state === 'interrupted' && !ended ? ' (no end line, and the record stopped growing)' : ''}`,
    `started ${startedAt}${typeof config.backend === 'string' ? ` on ${config.backend}` : ''}`,
    record.file,
  ].join('\n');
  const resumable = state === 'interrupted' || state === 'failed';
  return {
    kind: 'run',
    runId: run.runId,
    file: record.file,
    label: legendLabel(run),
    description,
    tooltip,
    state,
    icon: ICONS[state],
    contextValue: `fedbookRun.${state}${resumable ? '.resumable' : ''}`,
    startedAt,
    ...(sweep !== undefined ? { sweep } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(run.plannedRounds !== undefined ? { plannedRounds: run.plannedRounds } : {}),
    ...(recheckAt !== undefined ? { recheckAt } : {}),
  };
}

function newestFirst(a: { startedAt: string }, b: { startedAt: string }): number {
  return a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0;
}

/**
 * The tree: sweeps and runs outside sweeps, newest first (a sweep by its
 * newest run); a sweep's runs by their settings, then seed. Records that
 * cannot be read are left out and returned in `unreadable` with the reason.
 */
export function buildRunsTree(
  records: readonly RunFile[],
  context: RunsViewContext,
): { nodes: RunsTreeNode[]; unreadable: Array<{ file: string; reason: string }> } {
  const runs: RunNode[] = [];
  const unreadable: Array<{ file: string; reason: string }> = [];
  for (const record of records) {
    try {
      runs.push(runNode(record, context));
    } catch (error) {
      unreadable.push({ file: record.file, reason: (error as Error).message });
    }
  }
  const sweeps = new Map<string, RunNode[]>();
  const top: Array<{ startedAt: string; node: RunsTreeNode }> = [];
  for (const run of runs) {
    if (run.sweep === undefined) top.push({ startedAt: run.startedAt, node: run });
    else sweeps.set(run.sweep, [...(sweeps.get(run.sweep) ?? []), run]);
  }
  for (const [sweepId, children] of sweeps) {
    children.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : (a.seed ?? 0) - (b.seed ?? 0)));
    const count = (state: RunState) => children.filter((c) => c.state === state).length;
    const settings = new Set(children.map((c) => c.label)).size;
    const states = (['running', 'interrupted', 'failed'] as const).filter((s) => count(s) > 0).map((s) => `${count(s)} ${s}`);
    const node: SweepNode = {
      kind: 'sweep',
      sweepId,
      label: `Sweep ${sweepId}`,
      icon: 'beaker',
      contextValue: 'fedbookSweep',
      children,
      description: [`${children.length} run${children.length === 1 ? '' : 's'}`, `${settings} setting${settings === 1 ? '' : 's'}`, ...states].join(' · '),
      tooltip: `Sweep ${sweepId}: ${children.length} runs of ${settings} setting(s)\nSelect it to chart every run: the seeds of each setting as a mean line with a min–max band.`,
    };
    top.push({ startedAt: children.reduce((newest, c) => (c.startedAt > newest ? c.startedAt : newest), ''), node });
  }
  return { nodes: top.sort(newestFirst).map((entry) => entry.node), unreadable };
}

/** The runs a selection stands for, each once, in selection order: a sweep stands for all its runs. */
export function selectedRuns(selection: readonly RunsTreeNode[]): RunNode[] {
  const seen = new Set<string>();
  const runs: RunNode[] = [];
  for (const node of selection) {
    for (const run of node.kind === 'sweep' ? node.children : [node]) {
      if (seen.has(run.runId)) continue;
      seen.add(run.runId);
      runs.push(run);
    }
  }
  return runs;
}

/**
 * The cell that resumes a run, as the "Resume" action inserts it. It cannot
 * know the cell's variables: it names the usual ones and says so.
 */
export function resumeSnippet(run: Pick<RunNode, 'runId' | 'label' | 'plannedRounds'>): string {
  return [
    `// Resume run ${run.runId} (${run.label}) from its latest checkpoint.`,
    '// Use the same algorithm and run options as the cell that started it (the names below are the usual ones):',
    '// a different model, strategy or seed is refused with the field that differs.',
    `const resumed = await algo.run({ rounds: ${run.plannedRounds ?? 'rounds'}, clients, evaluate: test, resume: '${run.runId}' });`,
  ].join('\n');
}
