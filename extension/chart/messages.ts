/**
 * The one typed message union between the chart panel (extension host) and
 * its webview script. Types only.
 */
import type { LiveClientStates, MetricKey, RoundMetrics } from '../../kernel/contract';
import type { ChartRun } from './chart-data';

/** Extension → webview. */
export type ToChart =
  /** Replaces the whole picture (first load, restore, loaded runs). */
  | { type: 'runs'; runs: ChartRun[]; metric?: MetricKey }
  /** New rounds of one run; `run` is sent with the first rounds of a run the webview does not know. */
  | { type: 'rounds'; runId: string; rounds: RoundMetrics[]; run?: Omit<ChartRun, 'rounds'>; timing?: DeliveryTiming }
  | { type: 'status'; runId: string; status: ChartRun['status'] }
  /** A federated run's client states changed during a round (no new round yet); absent: the round ended. */
  | { type: 'clients'; runId: string; liveClients?: LiveClientStates }
  | { type: 'export'; format: 'png' | 'csv' };

/** Webview → extension. */
export type FromChart =
  | { type: 'ready' }
  | { type: 'metric'; metric: MetricKey }
  | { type: 'exportPng'; dataUrl: string }
  | { type: 'exportCsv'; csv: string }
  | { type: 'openRun' }
  | { type: 'latency'; ms: number; runId: string; round: number; stages: LatencyStages };

/** When a round's message passed each stop on its way to the chart, ms since the epoch. */
export interface DeliveryTiming {
  /** The kernel published it (message header date). */
  publishedAt: number;
  /** The extension host received it from the kernel. */
  receivedAt: number;
  /** The extension host posted it to the webview. */
  postedAt: number;
}

/** Where the time from kernel publish to drawn point went, ms per leg. */
export interface LatencyStages {
  kernelToHost: number;
  hostToPost: number;
  postToWebview: number;
  webviewToDrawn: number;
}

/** What the webview persists for `WebviewPanelSerializer` restore. */
export interface ChartState {
  metric: MetricKey;
  runIds: string[];
}
