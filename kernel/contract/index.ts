/**
 * What the kernel and the VS Code extension exchange: the run record and live
 * bundle, round metrics and how they are shown, run status, connection info,
 * backend choice, and how runs are compared on a chart. Types, constants and
 * pure functions over them (no Node or DOM APIs), so that the kernel, the
 * extension host, the webview and the workers can all import it; import it
 * through this file.
 */
export { BACKEND_PREFERENCES, type BackendPreference } from './backend';
export { CLIENT_STATES, countClientStates, latestClientStates, type ClientState, type ClientStateEntry } from './client-states';
export type { ConnectionInfo } from './connection-info';
export {
  metricValue,
  PLOTTED_METRICS,
  ROUND_METRICS,
  TABLE_METRICS,
  type MetricKey,
  type RoundMetrics,
  type RoundPhases,
  type ScaleOutMetrics,
  type SecAggMetrics,
  type TableMetricKey,
} from './round-metrics';
export {
  RUN_MIME,
  SWEEP_MIME,
  type SweepBundle,
  type LiveClientStates,
  type RunBundle,
  type RunConfigRecord,
  type RunEndRecord,
  type RunEndStatus,
  type RunRecordLine,
  type RunResumeRecord,
  type RunRoundRecord,
  type RunStatus,
  type RunSweepTag,
} from './run-payload';
export {
  bandPoints,
  groupRuns,
  hasBands,
  RUN_COLORS,
  runTraces,
  sweepIdOf,
  type ComparedRun,
  type PlotlyTrace,
  type RunGroup,
  type RunTraceOptions,
} from './run-traces';
