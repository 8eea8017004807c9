/**
 * `run()` is only a loop over `next()`: it adds stopping rules, run records
 * in `.fedbook/runs/` and live events for displays.
 */
import type { Dataset } from '../data/dataset';
import type { ClientEvaluationSettings } from '../federated/strategies/strategy';
import { RunAbortedError } from '../transport/in-process/cohort-training';
import type { ClientPopulation, FederatedProcess, ServerState } from './process';
import { getAmbientSignal, publishRunEvent } from '../simulation/run-events';
import type { RoundMetrics, RunEndRecord } from '../contract';
import { newRunId, startRunRecord } from '../simulation/run-records';

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
}

/** Thrown when a run is aborted or fails; the finished rounds are kept on disk and in `run`. */
export class RunInterruptedError extends Error {
  constructor(message: string, readonly run: RunResult, readonly cause?: unknown) {
    super(message);
    this.name = 'RunInterruptedError';
  }
}

export async function runRounds(process: FederatedProcess, options: RunOptions, version: string): Promise<RunResult> {
  const { strategy } = process.options;
  const signal = options.signal ?? process.options.signal ?? getAmbientSignal();
  let state = options.state ?? await process.initialize();
  const runId = newRunId();
  const label = options.label ?? strategy.summary();
  const recorder = startRunRecord({
    runId, label, strategy: strategy.name, hyperparameters: { ...strategy.hyperparameters, seed: process.options.seed },
    seed: process.options.seed, backend: state.backend, ...(state.backendDetail === undefined ? {} : { backendDetail: state.backendDetail }),
    workers: process.options.workers, version,
    startedAt: new Date().toISOString(), plannedRounds: options.rounds,
  });
  const rounds: RoundMetrics[] = [];
  const clientEvaluation: ClientEvaluationSettings | undefined = options.clientEvaluation
    ? { fraction: options.clientEvaluation.fraction, heldOut: { share: options.clientEvaluation.heldOut, seed: process.options.seed } }
    : undefined;
  const result = (status: RunResult['status'], stoppedBecause?: string): RunResult =>
    ({ id: runId, path: recorder.path, rounds, state, status, stoppedBecause, backend: state.backend });
  publishRunEvent('runStarted', { runId, rounds: options.rounds, label, config: { strategy: strategy.name, ...strategy.hyperparameters } });

  const finish = (status: RunResult['status'], message?: string): void => {
    recorder.end(status, message);
    publishRunEvent('runEnded', { runId, status, message });
  };
  try {
    let stoppedBecause: string | undefined;
    for (let r = 0; r < options.rounds; r++) {
      stoppedBecause = budgetExceededBefore(process, options, state.round + 1);
      if (stoppedBecause) break;
      if (signal?.aborted) throw new RunAbortedError(`the run was aborted before round ${state.round + 1}`);
      const step = await process.next(state, options.clients, { evaluate: options.evaluate, signal, clientEvaluation });
      state = step.state;
      rounds.push(step.metrics);
      recorder.round(step.metrics);
      publishRunEvent('roundFinished', { runId, metrics: step.metrics });
      options.onRound?.(step.metrics);
      stoppedBecause = targetReached(options.until, step.metrics);
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
      `${rounds.length} finished round(s) are kept in ${recorder.path} (and in error.run)`,
      result(status), error,
    );
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
