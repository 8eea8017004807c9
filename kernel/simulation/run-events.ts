/**
 * A process-wide channel between federated runs and whoever shows them (the
 * kernel's live progress display, a CLI). Runs publish; observers subscribe.
 * It also carries the ambient abort signal: the kernel sets one per cell, so
 * that an interrupt stops a run the cell started without the user passing it.
 */
import type { ClientStateEntry, RunEndStatus } from '../contract';

export interface RunStartedEvent {
  readonly runId: string;
  /** Planned number of rounds (undefined when the run has no fixed length). */
  readonly rounds?: number;
  /** Strategy name and key hyperparameters, for legends. */
  readonly config: Record<string, unknown>;
  readonly label: string;
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

export interface RunObserver {
  runStarted?(event: RunStartedEvent): void;
  roundFinished?(event: RunRoundEvent): void;
  clientStates?(event: RunClientStatesEvent): void;
  runEnded?(event: RunEndedEvent): void;
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
