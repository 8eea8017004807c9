/**
 * The round chart's webview script: keeps its own copy of the runs, shows
 * each live point at once on a canvas over the plot (LiveOverlay), appends
 * the points to plotly with Plotly.extendTraces in spaced, coalesced draws,
 * and redraws on metric change or theme change. The seeds of one sweep
 * combination are drawn as one mean line with a min–max band (runTraces,
 * shared with display.runs); while there are bands, new points redraw the
 * figure instead (trace i is no longer run i).
 */
import { hasBands, metricValue, PLOTTED_METRICS, runTraces, type MetricKey } from '../../kernel/contract';
import { RunStore, legendLabel } from '../chart/chart-data';
import type { ChartState, DeliveryTiming, FromChart, LatencyStages, ToChart } from '../chart/messages';
import { LiveOverlay, type PlotlyGraph, type Point } from './live-overlay';
import { roundRange } from '../chart/round-axis';
import { readThemeColors } from '../../kernel/execution/plotly-theme';
import { clientStripHtml } from './client-strip';

interface VsCodeApi {
  postMessage(message: FromChart): void;
  getState(): ChartState | undefined;
  setState(state: ChartState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
// biome-ignore lint/suspicious/noExplicitAny: plotly.js is a global script in the webview; its types are not loaded here
declare const Plotly: any;

const vscode = acquireVsCodeApi();
const chart = document.getElementById('chart') as HTMLDivElement & PlotlyGraph & { on?(event: string, handler: () => void): void };
const metricSelect = document.getElementById('metric') as HTMLSelectElement;
const summary = document.getElementById('summary') as HTMLSpanElement;
const clientStrip = document.getElementById('clients') as HTMLDivElement | null;
let clientStripShown = '';
const store = new RunStore();
let metric: MetricKey = vscode.getState()?.metric ?? 'testAccuracy';
/** Pending points per run, appended to plotly together by the next flush. */
let pending = new Map<string, PendingPoints>();

interface PendingPoints {
  x: number[];
  y: number[];
  round: number;
  /** Some of these points are not on the overlay either: nothing shows them until plotly draws (and later points must not skip them). */
  unshown: boolean;
  /** Delivery timing of the oldest message whose points are not shown yet (its wait is the longest), and when it reached the webview. */
  timing?: DeliveryTiming & { arrivedAt: number };
}
let flushTimer: ReturnType<typeof setTimeout> | undefined;
let flushDueAt = Infinity;
/**
 * Plotly draws are spaced so that they take at most a third of the time: the
 * webview shares its thread with the editor, and a plotly redraw under load
 * took ~100 ms, so drawing each of ten updates a second starved the whole window.
 */
let nextDrawAt = 0;
const DRAW_SHARE = 3;
/** While every pending point is already on the overlay, plotly catches up at most this often. */
const CATCH_UP_MS = 1000;
const overlay = new LiveOverlay(chart);
/** Exposed for tests and diagnostics: the legs of each shown batch's time from kernel publish to drawn point (their sum is the latency), what drew it, and when the kernel published it. */
const stages: Array<LatencyStages & { runId: string; round: number; drawnBy: 'overlay' | 'plotly'; publishedAt: number }> = [];
/** Samples kept (the newest), so a very long run does not grow them without end. */
const MAX_SAMPLES = 10_000;
(window as unknown as { fedbookChart: unknown }).fedbookChart = { stages, store };

for (const { key, label } of PLOTTED_METRICS) {
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

function layout(): Record<string, unknown> {
  // The same theme colours as inline plotly figures (kernel/execution/plotly-theme.ts).
  const theme = readThemeColors((name) => getComputedStyle(document.body).getPropertyValue(name));
  const fg = theme.foreground ?? '#333';
  const grid = theme.grid ?? 'rgba(128,128,128,0.3)';
  const label = PLOTTED_METRICS.find((m) => m.key === metric)?.label ?? metric;
  return {
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { color: fg, family: theme.fontFamily ?? 'sans-serif' },
    margin: { l: 60, r: 20, t: 20, b: 50 },
    // 'allow' skips plotly's per-label overflow check, which measured every tick label on every draw (a third of its draw time).
    xaxis: {
      title: { text: 'Round' },
      gridcolor: grid,
      zeroline: false,
      ticklabeloverflow: 'allow',
      ...(roundAxis ? { range: roundAxis, autorange: false } : { autorange: true }),
    },
    yaxis: { title: { text: label }, gridcolor: grid, zeroline: false, ticklabeloverflow: 'allow' },
    legend: { orientation: 'h', y: -0.2 },
    uirevision: metric,
  };
}

/** The round axis range the figure was last laid out with (undefined: autorange). */
let roundAxis: [number, number] | undefined;

/** Up to this many rounds a run is drawn with a marker per round; beyond, as a line (each marker is an SVG node). */
const MARKER_LIMIT = 100;

function traces(): Array<Record<string, unknown>> {
  return runTraces(store.runs(), metric, { markerLimit: MARKER_LIMIT });
}

function redraw(): void {
  pending = new Map();
  if (flushTimer !== undefined) clearTimeout(flushTimer);
  flushTimer = undefined;
  flushDueAt = Infinity;
  roundAxis = roundRange(store.runs(), roundAxis);
  void Plotly.react(chart, traces(), layout(), { responsive: true, displaylogo: false });
  listenForPlotlyDraws();
  updateSummary();
}

let listening = false;
/** Whatever made plotly draw (our draws, a resize, the user zooming), its figure now replaces the overlay. */
function listenForPlotlyDraws(): void {
  if (listening || !chart.on) return;
  listening = true;
  chart.on('plotly_afterplot', () => {
    overlay.clear();
    // Points only the overlay showed are gone until plotly draws them.
    if (pending.size > 0) {
      for (const batch of pending.values()) batch.unshown = batch.x.length > 0;
      scheduleFlush();
    }
  });
}

/** Shows the newest federated run's client states under the chart (hidden for simulations); plotly is resized when the strip's height changes. */
function updateClientStrip(): void {
  if (!clientStrip) return;
  const html = clientStripHtml(store.runs().map((run) => ({ label: legendLabel(run), rounds: run.rounds, live: run.liveClients })));
  if (html === clientStripShown) return;
  clientStripShown = html;
  const before = clientStrip.offsetHeight;
  clientStrip.innerHTML = html;
  clientStrip.hidden = html === '';
  if (clientStrip.offsetHeight !== before && chart.data) void Plotly.Plots.resize(chart);
}

function updateSummary(): void {
  updateClientStrip();
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
 * Schedules plotly's draw of the pending points. Points nothing shows yet
 * are drawn in the next task (messages that arrived together are drawn
 * together; no wait for an animation frame, which is up to 50 ms in a busy
 * window and never in a hidden one), only after the spacing between draws;
 * points the overlay shows wait for the catch-up interval.
 */
function scheduleFlush(): void {
  const unshown = [...pending.values()].some((batch) => batch.unshown);
  const due = Math.max(nextDrawAt, unshown ? 0 : Date.now() + CATCH_UP_MS);
  if (flushTimer !== undefined && flushDueAt <= due) return;
  if (flushTimer !== undefined) clearTimeout(flushTimer);
  flushDueAt = due;
  flushTimer = setTimeout(
    () => {
      flushTimer = undefined;
      flushDueAt = Infinity;
      flush();
    },
    Math.max(0, due - Date.now()),
  );
}

/** Records one shown batch's latency, leg by leg, and reports it to the extension. */
function recordLatency(timing: PendingPoints['timing'], runId: string, round: number, drawnBy: 'overlay' | 'plotly'): void {
  if (!timing) return;
  const now = Date.now();
  const legs: LatencyStages = {
    kernelToHost: timing.receivedAt - timing.publishedAt,
    hostToPost: timing.postedAt - timing.receivedAt,
    postToWebview: timing.arrivedAt - timing.postedAt,
    webviewToDrawn: now - timing.arrivedAt,
  };
  stages.push({ ...legs, runId, round, drawnBy, publishedAt: timing.publishedAt });
  if (stages.length > MAX_SAMPLES) stages.splice(0, stages.length - MAX_SAMPLES);
  vscode.postMessage({ type: 'latency', ms: now - timing.publishedAt, runId, round, stages: legs });
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
    if (batch.unshown) stamps.push({ timing: batch.timing, runId, round: batch.round });
  }
  pending = new Map();
  if (indices.length === 0) return;
  const started = Date.now();
  // A run that passes MARKER_LIMIT now is redrawn whole, as a line.
  const crossesMarkerLimit = indices.some((index, i) => runs[index].rounds.length > MARKER_LIMIT && runs[index].rounds.length - xs[i].length <= MARKER_LIMIT);
  // A round past the end of the round axis needs the axis widened: a new layout.
  const axisFits = roundRange(runs, roundAxis) === roundAxis;
  if (!crossesMarkerLimit && axisFits && !hasBands(runs) && (chart.data?.length ?? 0) === runs.length) Plotly.extendTraces(chart, { x: xs, y: ys }, indices);
  else redraw();
  const now = Date.now();
  nextDrawAt = now + (DRAW_SHARE - 1) * (now - started);
  for (const stamp of stamps) recordLatency(stamp.timing, stamp.runId, stamp.round, 'plotly');
  updateSummary();
}

function receive(message: ToChart): void {
  switch (message.type) {
    case 'runs':
      for (const run of store.runs()) store.remove(run.runId);
      for (const run of message.runs) store.upsert(run);
      if (message.metric) {
        metric = message.metric;
        metricSelect.value = metric;
      }
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
      if (message.run) {
        const run = store.get(message.runId)!;
        run.status = message.run.status;
        if (message.run.liveClients) run.liveClients = message.run.liveClients;
        else delete run.liveClients;
      }
      const arrivedAt = Date.now();
      const batch = pending.get(message.runId) ?? { x: [], y: [], round: 0, unshown: false };
      const fresh: Point[] = [];
      for (const round of message.rounds) {
        const value = metricValue(round, metric);
        batch.round = round.round;
        if (value === undefined) continue;
        fresh.push({ x: round.round, y: value });
      }
      for (const p of fresh) {
        batch.x.push(p.x);
        batch.y.push(p.y);
      }
      pending.set(message.runId, batch);
      const timing = message.timing && { ...message.timing, arrivedAt };
      const index = store.runs().findIndex((r) => r.runId === message.runId);
      // The overlay continues the line from the last point shown, so it may not skip points only plotly will draw;
      // it draws runs as plotly's trace i, which a band breaks (the mean line moves, not one run's).
      if (fresh.length > 0 && !batch.unshown && !hasBands(store.runs()) && overlay.draw(index, fresh)) {
        recordLatency(timing, message.runId, batch.round, 'overlay');
        updateSummary();
      } else if (fresh.length > 0) {
        batch.unshown = true;
        batch.timing ??= timing;
      }
      scheduleFlush();
      break;
    }
    case 'status': {
      const run = store.get(message.runId);
      if (run) run.status = message.status;
      // A run that ended no longer needs the round axis to run ahead of it.
      if (roundAxis && roundRange(store.runs(), roundAxis) !== roundAxis) redraw();
      else updateSummary();
      break;
    }
    case 'clients': {
      const run = store.get(message.runId);
      if (!run) break;
      if (message.liveClients) run.liveClients = message.liveClients;
      else delete run.liveClients;
      updateClientStrip();
      break;
    }
    case 'export':
      if (message.format === 'png') void exportPng();
      else vscode.postMessage({ type: 'exportCsv', csv: store.toCsv() });
      break;
  }
}

async function exportPng(): Promise<void> {
  // The picture exported is plotly's: give it the points only the overlay shows yet.
  if (pending.size > 0) flush();
  const dataUrl: string = await Plotly.toImage(chart, { format: 'png', width: chart.clientWidth || 900, height: chart.clientHeight || 500 });
  vscode.postMessage({ type: 'exportPng', dataUrl });
}

window.addEventListener('message', (event: MessageEvent<ToChart>) => receive(event.data));
new MutationObserver(() => redraw()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
redraw();
vscode.postMessage({ type: 'ready' });
