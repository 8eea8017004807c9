/**
 * Cell evaluation for the Jupyter kernel: the protocol side calls
 * `createExecutor({ cwd })` and drives the returned Executor.
 */
export { createExecutor, type ExecutorOptions } from './cell-executor';
export type {
  CompletionResult,
  ExecutionOutcome,
  ExecutionSink,
  Executor,
  InspectionResult,
  MimeBundle,
} from './executor';
export { PLOTLY_MIME, type DisplayFunction, type DisplayHandle, type DisplayOptions, type PlotlyFigure } from './display';
export type { DisplayRunsOptions, RunReference } from './display-runs';
export { progressLine } from './run-progress';
