/**
 * The shapes that leave a run: its record file and its live MIME bundle.
 * Shared by the kernel (which writes them), the CLI and the VS Code extension
 * (which read them), so it holds types and constants only.
 */
import type { ClientStateEntry } from './client-states';
import type { RoundMetrics } from './round-metrics';

/** MIME type of the live run bundle consumed by the VS Code chart and renderer. */
export const RUN_MIME = 'application/vnd.fedbook.run+json';

/** MIME type of a sweep's one live progress output: every run of the sweep so far, for the chart to band. */
export const SWEEP_MIME = 'application/vnd.fedbook.sweep+json';

/** How a run ended, when it ended in an orderly way. */
export type RunEndStatus = 'completed' | 'stopped' | 'aborted' | 'failed';

/** Where a run stands: still going, or how it ended. */
export type RunStatus = 'running' | RunEndStatus;

/** First line of `.fedbook/runs/<runId>.jsonl`. */
export interface RunConfigRecord {
  type: 'config';
  runId: string;
  /** Human label for legends, e.g. "fedAvg E=1 B=10 lr=0.1". */
  label: string;
  strategy: string;
  hyperparameters: Record<string, unknown>;
  seed: number;
  backend: string;
  /** The backend's own report: versions, the GPU adapter (and whether it is a software one), what was skipped and why. */
  backendDetail?: string;
  workers: number;
  version: string;
  startedAt: string;
  plannedRounds?: number;
  /** The round of the state the run started from, when not 0 (its last round is fromRound + plannedRounds). */
  fromRound?: number;
  /** The model spec (fed.models), so that a resume can check it trains the same model. */
  model?: unknown;
  /** Set when the run is one cell of a sweep (fed.sweep). */
  sweep?: RunSweepTag;
}

/** Which sweep a run belongs to and which of its combinations it is. */
export interface RunSweepTag {
  id: string;
  /** Index of the combination in the sweep's grid order. */
  combination: number;
  /** The grid values of this combination, e.g. { clientLr: 0.1, mu: 0.01 }. */
  params: Record<string, unknown>;
  seed: number;
}

/**
 * Written when a run resumes (after an interrupt, an error or a killed process): the run continues from the
 * checkpoint of `fromRound`, so round lines above it written before this line are superseded, as is any
 * earlier end line.
 */
export interface RunResumeRecord {
  type: 'resume';
  fromRound: number;
  /** The checkpoint file resumed from; absent when no intact checkpoint existed (the run restarts at round 0). */
  checkpoint?: string;
  /** What the user should know: a corrupt checkpoint skipped, another backend. */
  notes?: string[];
  resumedAt: string;
}

/** One line per round after the config line. */
export interface RunRoundRecord extends RoundMetrics {
  type: 'round';
}

/** Last line when the run ended in an orderly way (absent if the process was killed). */
export interface RunEndRecord {
  type: 'end';
  status: RunEndStatus;
  message?: string;
  endedAt: string;
}

export type RunRecordLine = RunConfigRecord | RunRoundRecord | RunEndRecord | RunResumeRecord;

/** Data of the `application/vnd.fedbook.run+json` bundle: the run so far. */
export interface RunBundle {
  runId: string;
  label: string;
  strategy: string;
  hyperparameters: Record<string, unknown>;
  plannedRounds?: number;
  /** The run's seed and sweep id, when known: the chart draws the seeds of one sweep combination as one line with a band. */
  seed?: number;
  sweep?: string;
  status: RunStatus;
  rounds: RoundMetrics[];
  /**
   * A resumed run's first `replayedRounds` rounds were read back from its record (run before it stopped), not
   * run by this call: the chart's line stays continuous, and the ETA counts only the rounds run since.
   */
  replayedRounds?: number;
  /** A federation across machines, during a round: where its clients stand now (the round's metrics say it once it ends). */
  liveClients?: LiveClientStates;
}

/** Client states of a round still running. */
export interface LiveClientStates {
  round: number;
  clients: ClientStateEntry[];
}

/**
 * A sweep's live progress (`fed.sweep`): one output for the whole sweep, replaced as its runs go. `runs` holds
 * every run started or read back so far (each with its sweep id and seed, so the chart draws one line per
 * combination with a band over seeds); a cell of the grid with no run yet is pending.
 */
export interface SweepBundle {
  sweepId: string;
  /** The grid's keys, in order, and its combinations in grid order. */
  keys: string[];
  combinations: Array<{ index: number; params: Record<string, unknown> }>;
  seeds: number[];
  /** Rounds each run is planned to have. */
  plannedRounds?: number;
  status: 'running' | 'ended';
  runs: Array<RunBundle & { combination: number }>;
}
