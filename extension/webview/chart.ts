/**
 * The round chart's webview script: keeps its own copy of the runs, appends
 * one point per round with Plotly.extendTraces (coalesced per task), and
 * redraws on metric change or theme change.
 */
import { METRICS, RunStore, legendLabel, metricValue, points, type MetricKey } from '../chart/chart-data';
import type { ChartState, DeliveryTiming, FromChart, LatencyStages, ToChart } from '../chart/messages';

interface VsCodeApi {
  postMessage(message: FromChart): void;
  getState(): ChartState | undefined;
  setState(state: ChartState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const Plotly: any;

const vscode = acquireVsCodeApi();
const chart = document.getElementById('chart') as HTMLDivElement & { data?: Array<{ x: number[]; y: number[]; name: string }> };
const metricSelect = document.getElementById('metric') as HTMLSelectElement;
const summary = document.getElementById('summary') as HTMLSpanElement;
const store = new RunStore();
let metric: MetricKey = vscode.getState()?.metric ?? 'testAccuracy';
/** Pending points per run, drawn together by the next flush. */
let pending = new Map<string, PendingPoints>();

interface PendingPoints {
  x: number[];
  y: number[];
  round: number;
  /** Delivery timing of the oldest message in the batch (its wait is the longest), and when it reached the webview. */
  timing?: DeliveryTiming & { arrivedAt: number };
}
let flushScheduled = false;
/**
 * Draws are spaced so that they take at most a third of the time: the webview
 * shares its thread with the editor, and a plotly redraw under load took
 * ~100 ms, so drawing each of ten updates a second starved the whole window.
 */
let nextDrawAt = 0;
const DRAW_SHARE = 3;
/** Exposed for tests and diagnostics: the legs of each drawn batch's time from kernel publish to drawn point (their sum is the latency). */
const stages: Array<LatencyStages & { runId: string; round: number }> = [];
/** Samples kept (the newest), so a very long run does not grow them without end. */
const MAX_SAMPLES = 10_000;
(window as unknown as { fedbookChart: unknown }).fedbookChart = { stages, store };

for (const { key, label } of METRICS) {
  const option = document.createElement('option');
  option.value = key;
  option.textContent = label;
  metricSelect.appendChild(option);
}
metricSelect.value = metric;
metricSelect.addEventListener('change', () => {
  metric = metricSelect.value as MetricKey;
  vscode.postMessage({ type: 'metric', metric });
  saveState();
  redraw();
});
document.getElementById('export-png')!.addEventListener('click', () => void exportPng());
document.getElementById('export-csv')!.addEventListener('click', () => vscode.postMessage({ type: 'exportCsv', csv: store.toCsv() }));
document.getElementById('open-run')!.addEventListener('click', () => vscode.postMessage({ type: 'openRun' }));

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

function layout(): Record<string, unknown> {
  const fg = cssVar('--vscode-editor-foreground', '#333');
  const grid = cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)');
  const label = METRICS.find((m) => m.key === metric)?.label ?? metric;
  return {
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { color: fg, family: cssVar('--vscode-font-family', 'sans-serif') },
    margin: { l: 60, r: 20, t: 20, b: 50 },
    // 'allow' skips plotly's per-label overflow check, which measured every tick label on every draw (a third of its draw time).
    xaxis: { title: { text: 'Round' }, gridcolor: grid, zeroline: false, ticklabeloverflow: 'allow' },
    yaxis: { title: { text: label }, gridcolor: grid, zeroline: false, ticklabeloverflow: 'allow' },
    legend: { orientation: 'h', y: -0.2 },
    uirevision: metric,
  };
}

/** Up to this many rounds a run is drawn with a marker per round; beyond, as a line (each marker is an SVG node). */
const MARKER_LIMIT = 100;

function traces(): Array<Record<string, unknown>> {
  return store.runs().map((run) => ({ type: 'scatter', mode: run.rounds.length > MARKER_LIMIT ? 'lines' : 'lines+markers', marker: { size: 5 }, name: legendLabel(run), ...points(run.rounds, metric) }));
}

function redraw(): void {
  pending = new Map();
  void Plotly.react(chart, traces(), layout(), { responsive: true, displaylogo: false });
  updateSummary();
}

function updateSummary(): void {
  const runs = store.runs();
  const last = runs[runs.length - 1];
  if (!last) {
    summary.textContent = 'Waiting for a run…';
    return;
  }
  const n = last.rounds.length > 0 ? last.rounds[last.rounds.length - 1].round : 0;
  summary.textContent = `${runs.length} run${runs.length === 1 ? '' : 's'} · ${legendLabel(last)}: round ${n}${last.plannedRounds ? `/${last.plannedRounds}` : ''} (${last.status})`;
}

function saveState(): void {
  vscode.setState({ metric, runIds: store.runs().map((r) => r.runId) });
}

/**
 * Draws in the next task: messages that arrived together are drawn together,
 * and a point does not wait for an animation frame (up to 50 ms in a busy
 * window, and never in a hidden one), only for the spacing between draws.
 */
function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  setTimeout(() => {
    flushScheduled = false;
    flush();
  }, Math.max(0, nextDrawAt - Date.now()));
}

function flush(): void {
  const runs = store.runs();
  const indices: number[] = [];
  const xs: number[][] = [];
  const ys: number[][] = [];
  const stamps: Array<{ timing?: PendingPoints['timing']; runId: string; round: number }> = [];
  for (const [runId, batch] of pending) {
    const index = runs.findIndex((r) => r.runId === runId);
    if (index < 0 || batch.x.length === 0) continue;
    indices.push(index);
    xs.push(batch.x);
    ys.push(batch.y);
    stamps.push({ timing: batch.timing, runId, round: batch.round });
  }
  pending = new Map();
  const started = Date.now();
  // A run that passes MARKER_LIMIT now is redrawn whole, as a line.
  const crossesMarkerLimit = indices.some((index, i) => runs[index].rounds.length > MARKER_LIMIT && runs[index].rounds.length - xs[i].length <= MARKER_LIMIT);
  if (indices.length > 0 && !crossesMarkerLimit && (chart.data?.length ?? 0) === runs.length) Plotly.extendTraces(chart, { x: xs, y: ys }, indices);
  else redraw();
  const now = Date.now();
  nextDrawAt = now + (DRAW_SHARE - 1) * (now - started);
  for (const stamp of stamps) {
    const t = stamp.timing;
    if (!t) continue;
    const ms = now - t.publishedAt;
    const legs: LatencyStages = { kernelToHost: t.receivedAt - t.publishedAt, hostToPost: t.postedAt - t.receivedAt, postToWebview: t.arrivedAt - t.postedAt, webviewToDrawn: now - t.arrivedAt };
    stages.push({ ...legs, runId: stamp.runId, round: stamp.round });
    if (stages.length > MAX_SAMPLES) stages.splice(0, stages.length - MAX_SAMPLES);
    vscode.postMessage({ type: 'latency', ms, runId: stamp.runId, round: stamp.round, stages: legs });
  }
  updateSummary();
}

function receive(message: ToChart): void {
  switch (message.type) {
    case 'runs':
      for (const run of store.runs()) store.remove(run.runId);
      for (const run of message.runs) store.upsert(run);
      if (message.metric) { metric = message.metric; metricSelect.value = metric; }
      saveState();
      redraw();
      break;
    case 'rounds': {
      const isNew = !store.has(message.runId);
      if (isNew) {
        if (!message.run) return;
        store.upsert({ ...message.run, rounds: message.rounds });
        saveState();
        redraw();
        break;
      }
      store.append(message.runId, message.rounds);
      if (message.run) store.get(message.runId)!.status = message.run.status;
      const batch = pending.get(message.runId) ?? { x: [], y: [], round: 0 };
      for (const round of message.rounds) {
        const value = metricValue(round, metric);
        batch.round = round.round;
        if (value === undefined) continue;
        batch.x.push(round.round);
        batch.y.push(value);
      }
      if (message.timing && !batch.timing) batch.timing = { ...message.timing, arrivedAt: Date.now() };
      pending.set(message.runId, batch);
      scheduleFlush();
      break;
    }
    case 'status': {
      const run = store.get(message.runId);
      if (run) run.status = message.status;
      updateSummary();
      break;
    }
    case 'export':
      if (message.format === 'png') void exportPng();
      else vscode.postMessage({ type: 'exportCsv', csv: store.toCsv() });
      break;
  }
}

async function exportPng(): Promise<void> {
  const dataUrl: string = await Plotly.toImage(chart, { format: 'png', width: chart.clientWidth || 900, height: chart.clientHeight || 500 });
  vscode.postMessage({ type: 'exportPng', dataUrl });
}

window.addEventListener('message', (event: MessageEvent<ToChart>) => receive(event.data));
new MutationObserver(() => redraw()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
redraw();
vscode.postMessage({ type: 'ready' });
