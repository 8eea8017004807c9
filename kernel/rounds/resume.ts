/**
 * Where a resumed run starts: the run record says what ran (and with which
 * configuration), the newest intact checkpoint says the state to continue from.
 */
import { listRuns, loadRun, runsDirectory, type LoadedRun } from '../simulation/run-records';
import type { RoundMetrics } from '../contract';
import type { ServerState } from '../federated/server-state';
import { checkpointDirectory, readLatestCheckpoint, removeStaleTemporaries, type LoadedCheckpoint } from './checkpoints';

/** What a run is: checked field by field against the record of the run to resume. */
export interface RunIdentity {
  readonly strategy: string;
  readonly hyperparameters: Readonly<Record<string, unknown>>;
  readonly seed: number;
  readonly model: unknown;
}

export interface ResumePoint {
  readonly run: LoadedRun;
  /** The checkpoint to continue from; absent when none is intact (the run starts again from round 0). */
  readonly checkpoint?: LoadedCheckpoint;
  /** The recorded rounds up to the checkpoint's round. */
  readonly rounds: RoundMetrics[];
  /** Things the user should be told (skipped checkpoints, a restart from round 0). */
  readonly notes: string[];
}

/**
 * The server state of a recorded run's newest intact checkpoint (its final state when it completed): weights,
 * optimizer, aggregator and client state, for `fed.models.save` or `algo.evaluate`.
 */
export function recordedState(runIdOrPath: string, directory = runsDirectory()): ServerState {
  const run = loadRun(runIdOrPath, directory);
  const folder = checkpointDirectory(run.path);
  const { checkpoint, skipped } = readLatestCheckpoint(folder, run.config.runId);
  if (!checkpoint) {
    throw new RangeError(
      `fed.runs.state: run ${run.config.runId} has no intact checkpoint in ${folder}` +
        (skipped.length ? ` (${skipped.join('; ')})` : ' (it ran with checkpoints: false, or they were deleted)'),
    );
  }
  return checkpoint.state;
}

/** Finds the run (`'latest'`: the most recently started one), checks it is this algorithm's, and picks its checkpoint. */
export function findResumePoint(resume: string, identity: RunIdentity, directory = runsDirectory()): ResumePoint {
  const run = loadRun(resolveRunId(resume, directory), directory);
  const differences = identityDifferences(run, identity);
  if (differences.length) {
    throw new RangeError(
      `resume: run ${run.config.runId} was recorded with another configuration: ${differences.join('; ')}. ` +
        'Resume it with the algorithm it was started with, or start a new run.',
    );
  }
  const folder = checkpointDirectory(run.path);
  removeStaleTemporaries(folder);
  const lastRecorded = run.rounds.at(-1)?.round ?? 0;
  const { checkpoint, skipped } = readLatestCheckpoint(folder, run.config.runId, lastRecorded);
  const notes = [...skipped];
  if (checkpoint && skipped.length) notes.push(`resuming from round ${checkpoint.meta.round} (${checkpoint.path})`);
  if (!checkpoint && lastRecorded > 0) notes.push(`no intact checkpoint in ${folder}: the run starts again from round 0`);
  const from = checkpoint?.meta.round ?? 0;
  return { run, checkpoint, rounds: run.rounds.filter((round) => round.round <= from), notes };
}

/** The run id `resume` names: itself when such a run is recorded, or for 'latest' the most recently started run. */
export function resolveRunId(resume: string, directory = runsDirectory()): string {
  if (typeof resume !== 'string' || resume === '') throw new TypeError(`resume must be a run id or 'latest' (got ${JSON.stringify(resume)})`);
  const runs = listRuns(directory);
  if (resume === 'latest') {
    const latest = [...runs].sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
    if (!latest) throw new RangeError(`resume: 'latest': there is no run in ${directory}`);
    return latest.runId;
  }
  if (!runs.some((run) => run.runId === resume)) {
    const newest = [...runs].sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
    throw new RangeError(`resume: no run '${resume}' in ${directory}` + (newest ? ` (the latest is '${newest.runId}')` : ' (there are no runs)'));
  }
  return resume;
}

/** 'seed is 1 in the run and 2 here', one entry per differing field. */
export function identityDifferences(run: LoadedRun, identity: RunIdentity): string[] {
  const { config } = run;
  const differences: string[] = [];
  const differ = (field: string, recorded: unknown, given: unknown): void => {
    const a = normalise(recorded),
      b = normalise(given);
    if (a !== b) differences.push(`${field} is ${a ?? 'absent'} in the run and ${b ?? 'absent'} here`);
  };
  differ('strategy', config.strategy, identity.strategy);
  differ('seed', config.seed, identity.seed);
  if (config.model !== undefined) differ('model', config.model, identity.model);
  const recorded = config.hyperparameters ?? {};
  const given = identity.hyperparameters;
  for (const key of [...new Set([...Object.keys(recorded), ...Object.keys(given)])]) {
    if (key === 'seed') continue;
    differ(key, recorded[key], given[key]);
  }
  return differences;
}

/** JSON as the record stores it (Infinity → null), with object keys sorted so order never matters. */
function normalise(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return JSON.stringify(JSON.parse(JSON.stringify(value)), (_key, item) =>
    item && typeof item === 'object' && !Array.isArray(item) ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b))) : item,
  );
}
