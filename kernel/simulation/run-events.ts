/**
 * A process-wide channel between federated runs and whoever shows them (the
 * kernel's live progress display, a CLI). Runs publish; observers subscribe.
 * It also carries the ambient abort signal: the kernel sets one per cell, so
 * that an interrupt stops a run the cell started without the user passing it.
 */
import type { ClientStateEntry, RoundMetrics, RunEndStatus, RunSweepTag } from '../contract';

export interface RunStartedEvent {
  readonly runId: string;
  /** Planned number of rounds (undefined when the run has no fixed length). */
  readonly rounds?: number;
  /** Strategy name and key hyperparameters, for legends. */
  readonly config: Record<string, unknown>;
  readonly label: string;
  /** Set when the run is one cell of a sweep. */
  readonly sweep?: RunSweepTag;
  /** A resumed run's rounds before its checkpoint, read back from its record, so that displays show the whole run. */
  readonly replayed?: ReadonlyArray<Record<string, unknown> & { round: number }>;
}

export interface RunRoundEvent {
  readonly runId: string;
  readonly metrics: Record<string, unknown> & { round: number };
}

/** Where a federation's clients stand during a round (before the round's own metrics say it). */
export interface RunClientStatesEvent {
  readonly runId: string;
  readonly round: number;
  readonly states: ClientStateEntry[];
}

export interface RunEndedEvent {
  readonly runId: string;
  readonly status: RunEndStatus;
  readonly message?: string;
}

/** A sweep is about to run its cells; `recorded` are the runs an earlier call finished (on a resume). */
export interface SweepStartedEvent {
  readonly sweepId: string;
  readonly keys: readonly string[];
  readonly combinations: ReadonlyArray<{ readonly index: number; readonly params: Readonly<Record<string, unknown>> }>;
  readonly seeds: readonly number[];
  readonly rounds?: number;
  readonly recorded: ReadonlyArray<{
    readonly runId: string;
    readonly label: string;
    readonly strategy: string;
    readonly hyperparameters: Record<string, unknown>;
    readonly tag: RunSweepTag;
    readonly status: RunEndStatus;
    readonly rounds: readonly RoundMetrics[];
  }>;
}

export interface SweepEndedEvent {
  readonly sweepId: string;
}

export interface RunObserver {
  runStarted?(event: RunStartedEvent): void;
  roundFinished?(event: RunRoundEvent): void;
  clientStates?(event: RunClientStatesEvent): void;
  runEnded?(event: RunEndedEvent): void;
  sweepStarted?(event: SweepStartedEvent): void;
  sweepEnded?(event: SweepEndedEvent): void;
}

const observers = new Set<RunObserver>();
let ambientSignal: AbortSignal | undefined;

/** Subscribes to run events; returns an unsubscribe function. */
export function observeRuns(observer: RunObserver): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

/** Publishes an event to every observer; an observer that throws is ignored. */
export function publishRunEvent<K extends keyof RunObserver>(kind: K, event: Parameters<NonNullable<RunObserver[K]>>[0]): void {
  for (const observer of observers) {
    try {
      (observer[kind] as ((e: typeof event) => void) | undefined)?.(event);
    } catch {
      // A display failure must never break a training run.
    }
  }
}

/** Sets the signal that runs use when the caller passes none (the kernel sets one per cell). */
export function setAmbientSignal(signal: AbortSignal | undefined): void {
  ambientSignal = signal;
}

export function getAmbientSignal(): AbortSignal | undefined {
  return ambientSignal;
}
