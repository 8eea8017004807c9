/**
 * Where a run starts: a new record and the initial (or given) state, or, for
 * `resume`, the run's own record, its newest intact checkpoint and the rounds
 * recorded up to it (see resume.ts for how that point is found and checked).
 */
import { join } from 'node:path';
import type { RoundMetrics } from '../contract';
import { newRunId, resumeRunRecord, runsDirectory, startRunRecord, type RunRecorder } from '../simulation/run-records';
import { checkpointDirectory } from './checkpoints';
import type { FederatedProcess, ServerState } from './process';
import { findResumePoint, resolveRunId } from './resume';
import { acquireRunLock, type RunLock } from './run-lock';
import type { RunContext, RunOptions, RunResult } from './run-loop';

export interface RunStart {
  runId: string;
  recorder: RunRecorder;
  /** Held until the run ends: no other process or cell runs or resumes it meanwhile. */
  lock: RunLock;
  state: ServerState;
  /** Rounds recorded so far (a resumed run's, up to its checkpoint). */
  rounds: RoundMetrics[];
  /** The run ends after this round. */
  lastRound: number;
  label: string;
  resumedFrom?: number;
  notes: string[];
  /** The backend a resumed run trained on before. */
  recordedBackend?: string;
  /** Set when a resumed run had already ended: nothing is left to run. */
  ended?: { status: RunResult['status']; message?: string };
}

/** A new record and the initial (or given) state, or the resumed run's record, checkpoint and rounds. */
export async function startRun(process: FederatedProcess, options: RunOptions, context: RunContext): Promise<RunStart> {
  const { strategy, seed, spec } = process.options;
  const hyperparameters = { ...strategy.hyperparameters, seed };
  if (options.resume === undefined) {
    const state = options.state ?? (await process.initialize());
    const runId = newRunId();
    const label = options.label ?? strategy.summary();
    const recorder = startRunRecord({
      runId,
      label,
      strategy: strategy.name,
      hyperparameters,
      seed,
      backend: state.backend,
      ...(state.backendDetail === undefined ? {} : { backendDetail: state.backendDetail }),
      workers: process.options.workers,
      version: context.version,
      startedAt: new Date().toISOString(),
      plannedRounds: options.rounds,
      ...(state.round ? { fromRound: state.round } : {}),
      model: spec,
      ...(context.sweep ? { sweep: context.sweep } : {}),
    });
    const lock = acquireRunLock(checkpointDirectory(recorder.path), runId, 'run');
    return { runId, recorder, lock, state, rounds: [], lastRound: state.round + options.rounds, label, notes: [] };
  }
  // The lock comes before anything is read: a live run's checkpoint or record may be half written.
  const directory = runsDirectory();
  const runId = resolveRunId(options.resume, directory);
  const lock = acquireRunLock(checkpointDirectory(join(directory, `${runId}.jsonl`)), runId, 'resume');
  try {
    return await resumeLocked(process, options, runId, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function resumeLocked(process: FederatedProcess, options: RunOptions, runId: string, lock: RunLock): Promise<RunStart> {
  const { strategy, seed, spec } = process.options;
  const hyperparameters = { ...strategy.hyperparameters, seed };
  const point = findResumePoint(runId, { strategy: strategy.name, hyperparameters, seed, model: spec });
  const { run } = point;
  if (!point.checkpoint && run.config.fromRound) {
    throw new RangeError(
      `resume: run ${run.config.runId} started from a state you passed (round ${run.config.fromRound}) and has no intact checkpoint to continue from; ` +
        'start it again from that state',
    );
  }
  const state = point.checkpoint?.state ?? (await process.initialize());
  const lastRound = (run.config.fromRound ?? 0) + options.rounds;
  const label = options.label ?? run.config.label;
  const base = { runId: run.config.runId, lock, state, rounds: point.rounds, lastRound, label, resumedFrom: state.round };
  const lastRecorded = run.rounds.at(-1)?.round ?? 0;
  if (
    run.end &&
    (run.end.status === 'completed' || run.end.status === 'stopped') &&
    state.round === lastRecorded &&
    (run.end.status === 'stopped' || state.round >= lastRound)
  ) {
    return {
      ...base,
      recorder: resumeRunRecordless(run.path, run.config.runId),
      notes: point.notes,
      ended: { status: run.end.status, message: run.end.message },
    };
  }
  const notes = [...point.notes, ...(lock.tookOver ? [lock.tookOver] : [])];
  for (const note of notes) console.warn(`fedbook: resume ${run.config.runId}: ${note}`);
  const recorder = resumeRunRecord(run, {
    fromRound: state.round,
    ...(point.checkpoint ? { checkpoint: point.checkpoint.path } : {}),
    ...(notes.length ? { notes } : {}),
  });
  return { ...base, recorder, notes, recordedBackend: point.checkpoint?.state.backend ?? run.config.backend };
}

/** A recorder for a run that has already ended: nothing is appended. */
function resumeRunRecordless(path: string, runId: string): RunRecorder {
  return { runId, path, round: () => undefined, end: () => undefined };
}
