/**
 * The shapes that leave a run: its record file and its live MIME bundle.
 * Shared by the kernel (which writes them), the CLI and the VS Code extension
 * (which read them), so it holds types and constants only.
 */
import type { RoundMetrics } from './round-metrics';

/** MIME type of the live run bundle consumed by the VS Code chart and renderer. */
export const RUN_MIME = 'application/vnd.fedbook.run+json';

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
  workers: number;
  version: string;
  startedAt: string;
  plannedRounds?: number;
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

export type RunRecordLine = RunConfigRecord | RunRoundRecord | RunEndRecord;

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
}
