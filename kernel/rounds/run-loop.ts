/**
 * `run()` is only a loop over `next()`: it adds stopping rules, run records
 * in `.fedbook/runs/`, a checkpoint after each round, and live events for
 * displays. A resumed run starts where run-start.ts says and loops the same.
 */
import type { Dataset } from '../data/dataset';
import type { ClientEvaluationSettings } from '../federated/strategies/strategy';
import { RunAbortedError } from '../transport/in-process/cohort-training';
import type { ClientPopulation, FederatedProcess, ServerState } from './process';
import { getAmbientSignal, publishRunEvent } from '../simulation/run-events';
import type { RoundMetrics, RunEndRecord, RunSweepTag } from '../contract';
import { checkpointDirectory, writeCheckpoint } from './checkpoints';
import { startRun } from './run-start';

export interface StopCriteria {
  /** Stop once test accuracy reaches this. */
  accuracy?: number;
  /** Stop once test loss falls to this. */
  loss?: number;
  /** Stop before a round would push ε past this privacy budget (DP runs only). */
  epsilon?: number;
}

export interface RunOptions {
  rounds: number;
  clients: ClientPopulation;
  /** Test data for centralised evaluation after every round. */
  evaluate?: Dataset;
  until?: StopCriteria;
  signal?: AbortSignal;
  onRound?: (metrics: RoundMetrics) => void;
  /** Continue from this state instead of initialize(). */
  state?: ServerState;
  /** Legend label; defaults to the strategy and its key hyperparameters. */
  label?: string;
  /** Client-side evaluation: a fraction of clients evaluate each round on a held-out share of their own data. */
  clientEvaluation?: { fraction: number; heldOut: number };
  /**
   * Continue a recorded run (by id, or `'latest'`) from its newest intact checkpoint, after an interrupt, an
   * error or a killed process; the weights come out bit-identical to a run never stopped (same backend).
   * `rounds` stays the run's total: a 50-round run stopped after 20 runs 30 more.
   */
  resume?: string;
  /**
   * After each round (or every `every` rounds, and after the last) the whole server state is saved next to the
   * run record; the newest `keep` (default 3) are kept. `false`: none.
   */
  checkpoints?: { keep?: number; every?: number } | false;
}

/** What the caller of runRounds adds to the record that a user does not pass. */
export interface RunContext {
  readonly version: string;
  readonly sweep?: RunSweepTag;
}

export interface RunResult {
  /** The run record's id: `.fedbook/runs/<id>.jsonl`. */
  id: string;
  path: string;
  /** One metrics object per finished round. */
  rounds: RoundMetrics[];
  state: ServerState;
  status: RunEndRecord['status'];
  /** Why the run stopped early, if it did. */
  stoppedBecause?: string;
  backend: string;
  /** The round this call resumed from, when it resumed a run. */
  resumedFrom?: number;
  /** What a resume had to work around (a corrupt checkpoint skipped). */
  notes?: string[];
}

/** Thrown when a run is aborted or fails; the finished rounds are kept on disk and in `run`. */
export class RunInterruptedError extends Error {
  constructor(
    message: string,
    readonly run: RunResult,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'RunInterruptedError';
  }
}

export async function runRounds(process: FederatedProcess, options: RunOptions, context: RunContext): Promise<RunResult> {
  const { strategy } = process.options;
  const signal = options.signal ?? process.options.signal ?? getAmbientSignal();
  const start = await startRun(process, options, context);
  const { runId, recorder, rounds, lastRound, label } = start;
  let state = start.state;
  const keep = options.checkpoints === false ? 0 : (options.checkpoints?.keep ?? 3);
  const every = options.checkpoints === false ? 1 : (options.checkpoints?.every ?? 1);
  const checkpoints = checkpointDirectory(recorder.path);
  const clientEvaluation: ClientEvaluationSettings | undefined = options.clientEvaluation
    ? { fraction: options.clientEvaluation.fraction, heldOut: { share: options.clientEvaluation.heldOut, seed: process.options.seed } }
    : undefined;
  const result = (status: RunResult['status'], stoppedBecause?: string): RunResult => ({
    id: runId,
    path: recorder.path,
    rounds,
    state,
    status,
    stoppedBecause,
    backend: state.backend,
    ...(start.resumedFrom !== undefined ? { resumedFrom: start.resumedFrom } : {}),
    ...(start.notes.length ? { notes: start.notes } : {}),
  });
  if (start.ended) {
    start.lock.release();
    return result(start.ended.status, start.ended.message);
  }
  // A resumed run replays its recorded rounds to displays, so that its line continues where it stopped; a run
  // continued from a passed state (no earlier rounds in its record) counts the rounds this call runs.
  publishRunEvent('runStarted', {
    runId,
    rounds: rounds.length + lastRound - state.round,
    label,
    config: { strategy: strategy.name, ...strategy.hyperparameters },
    ...(context.sweep ? { sweep: context.sweep } : {}),
    ...(rounds.length ? { replayed: [...rounds] } : {}),
  });

  const finish = (status: RunResult['status'], message?: string): void => {
    recorder.end(status, message);
    publishRunEvent('runEnded', { runId, status, message });
  };
  try {
    let stoppedBecause: string | undefined;
    while (state.round < lastRound) {
      stoppedBecause = budgetExceededBefore(process, options, state.round + 1);
      if (stoppedBecause) break;
      if (signal?.aborted) throw new RunAbortedError(`the run was aborted before round ${state.round + 1}`);
      const round = state.round + 1;
      const step = await process.next(state, options.clients, {
        evaluate: options.evaluate,
        signal,
        clientEvaluation,
        onClientStates: (states) => publishRunEvent('clientStates', { runId, round, states }),
      });
      state = step.state;
      if (start.recordedBackend && state.backend !== start.recordedBackend) {
        const note = `the run trained on ${start.recordedBackend} and resumed on ${state.backend}: its weights will not be bit-identical to an uninterrupted run`;
        console.warn(`fedbook: resume ${runId}: ${note}`);
        start.notes.push(note);
        start.recordedBackend = undefined;
      }
      rounds.push(step.metrics);
      recorder.round(step.metrics);
      stoppedBecause = targetReached(options.until, step.metrics);
      if (keep > 0 && (state.round % every === 0 || state.round === lastRound || stoppedBecause)) writeCheckpoint(checkpoints, runId, state, keep);
      publishRunEvent('roundFinished', { runId, metrics: step.metrics });
      options.onRound?.(step.metrics);
      if (stoppedBecause) break;
    }
    finish(stoppedBecause ? 'stopped' : 'completed', stoppedBecause);
    return result(stoppedBecause ? 'stopped' : 'completed', stoppedBecause);
  } catch (error) {
    const aborted = error instanceof RunAbortedError || signal?.aborted;
    const status = aborted ? 'aborted' : 'failed';
    const what = error instanceof Error ? error.message : String(error);
    finish(status, what);
    throw new RunInterruptedError(
      `run ${runId} ${aborted ? 'was interrupted' : 'failed'} in round ${state.round + 1}: ${what}\n` +
        `${rounds.length} finished round(s) are kept in ${recorder.path} (and in error.run)` +
        (keep > 0 && state.round > 0 ? `; continue it with run({ ...the same options, resume: '${runId}' })` : ''),
      result(status),
      error,
    );
  } finally {
    start.lock.release();
  }
}

function targetReached(until: StopCriteria | undefined, metrics: RoundMetrics): string | undefined {
  if (!until) return undefined;
  if (until.accuracy !== undefined && metrics.testAccuracy !== undefined && metrics.testAccuracy >= until.accuracy) {
    return `test accuracy ${metrics.testAccuracy.toFixed(4)} reached the target ${until.accuracy} in round ${metrics.round}`;
  }
  if (until.loss !== undefined && metrics.testLoss !== undefined && metrics.testLoss <= until.loss) {
    return `test loss ${metrics.testLoss.toFixed(4)} reached the target ${until.loss} in round ${metrics.round}`;
  }
  return undefined;
}

function budgetExceededBefore(process: FederatedProcess, options: RunOptions, round: number): string | undefined {
  const budget = options.until?.epsilon;
  const forecast = process.options.strategy.forecast;
  if (budget === undefined || !forecast) return undefined;
  const { epsilon } = forecast(round, options.clients.numClients);
  return epsilon > budget ? `round ${round} would spend ε = ${epsilon.toFixed(3)}, past the budget ε = ${budget}` : undefined;
}
