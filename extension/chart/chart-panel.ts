/**
 * The live round chart: one WebviewPanel beside the notebook, fed with new
 * rounds as they arrive. createOrShow / revive / dispose, strict CSP with a
 * nonce, plotly loaded from the extension's own files.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { MetricKey, RunBundle } from '../../kernel/contract';
import { RunStore, type ChartRun } from './chart-data';
import type { ChartState, DeliveryTiming, FromChart, LatencyStages, ToChart } from './messages';

export const CHART_VIEW_TYPE = 'fedbook.roundChart';

export class ChartPanel {
  static current: ChartPanel | undefined;
  /** Latencies (kernel publish → point drawn in the webview), ms, with their legs, reported by the webview. */
  static readonly latencies: Array<{ ms: number; stages: LatencyStages }> = [];

  private readonly store = new RunStore();
  private metric: MetricKey = 'testAccuracy';
  private ready = false;
  private queue: ToChart[] = [];
  private readonly disposables: vscode.Disposable[] = [];

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
  ) {
    panel.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
    };
    panel.webview.html = chartHtml(panel.webview, extensionUri);
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    panel.webview.onDidReceiveMessage((m: FromChart) => this.receive(m), null, this.disposables);
  }

  /** Shows the chart (creating it beside the active editor if needed). */
  static createOrShow(extensionUri: vscode.Uri, preserveFocus = true): ChartPanel {
    if (ChartPanel.current) {
      ChartPanel.current.panel.reveal(undefined, preserveFocus);
      return ChartPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      CHART_VIEW_TYPE,
      'Fedbook: Rounds',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      { enableScripts: true, retainContextWhenHidden: true },
    );
    ChartPanel.current = new ChartPanel(panel, extensionUri);
    return ChartPanel.current;
  }

  /** Restores a panel after a window reload, reloading its runs from `.fedbook/runs/`. */
  static async revive(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    state: ChartState | undefined,
    loadRun: (runId: string) => Promise<ChartRun | undefined>,
  ): Promise<void> {
    const chart = new ChartPanel(panel, extensionUri);
    ChartPanel.current = chart;
    if (state?.metric) chart.metric = state.metric;
    for (const runId of state?.runIds ?? []) {
      const run = await loadRun(runId).catch(() => undefined);
      if (run) chart.addRun(run);
    }
  }

  /** Feeds a live run bundle; only rounds the chart has not drawn are sent. */
  update(bundle: RunBundle, timing?: Omit<DeliveryTiming, 'postedAt'>): void {
    if (this.store.rewind(bundle)) {
      // Resumed from before rounds the chart drew: those rounds are redone, so the run is redrawn whole.
      this.store.upsert(bundle);
      this.post({ type: 'runs', runs: this.store.runs(), metric: this.metric });
      return;
    }
    const known = this.store.get(bundle.runId);
    const previousStatus = known?.status;
    const previousLive = known && JSON.stringify(known.liveClients);
    const fresh = this.store.upsert(bundle);
    if (fresh.length > 0 || !known) {
      const { rounds: _rounds, ...run } = this.store.get(bundle.runId)!;
      const message: ToChart = { type: 'rounds', runId: bundle.runId, rounds: fresh, run };
      if (timing) message.timing = { ...timing, postedAt: Date.now() };
      this.post(message);
    } else if (known && previousLive !== JSON.stringify(bundle.liveClients)) {
      this.post({ type: 'clients', runId: bundle.runId, ...(bundle.liveClients ? { liveClients: bundle.liveClients } : {}) });
    }
    if (known && previousStatus !== bundle.status) this.post({ type: 'status', runId: bundle.runId, status: bundle.status });
  }

  /** Adds a whole (loaded) run, replacing any with the same id. */
  addRun(run: ChartRun): void {
    this.store.remove(run.runId);
    this.store.upsert(run);
    this.post({ type: 'runs', runs: this.store.runs(), metric: this.metric });
  }

  /** Shows exactly these runs (loaded from their records), replacing what the chart showed; live runs come back with their next round. */
  showRuns(runs: readonly ChartRun[]): void {
    for (const run of this.store.runs()) this.store.remove(run.runId);
    for (const run of runs) this.store.upsert(run);
    this.post({ type: 'runs', runs: this.store.runs(), metric: this.metric });
  }

  /** The ids of the runs the chart shows, in order. */
  get runIds(): string[] {
    return this.store.runs().map((run) => run.runId);
  }

  /** Asks the webview to export the chart. */
  export(format: 'png' | 'csv'): void {
    if (format === 'csv') void this.saveCsv(this.store.toCsv());
    else this.post({ type: 'export', format });
  }

  get runCount(): number {
    return this.store.runs().length;
  }

  dispose(): void {
    if (ChartPanel.current === this) ChartPanel.current = undefined;
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private post(message: ToChart): void {
    if (!this.ready) this.queue.push(message);
    else void this.panel.webview.postMessage(message);
  }

  private receive(message: FromChart): void {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        void this.panel.webview.postMessage({ type: 'runs', runs: this.store.runs(), metric: this.metric } satisfies ToChart);
        // Queued round messages are covered by the full picture just sent.
        this.queue = this.queue.filter((m) => m.type === 'export');
        for (const m of this.queue.splice(0)) void this.panel.webview.postMessage(m);
        break;
      case 'metric':
        this.metric = message.metric;
        break;
      case 'latency':
        ChartPanel.latencies.push({ ms: message.ms, stages: message.stages });
        if (ChartPanel.latencies.length > 10_000) ChartPanel.latencies.shift();
        break;
      case 'exportCsv':
        void this.saveCsv(message.csv);
        break;
      case 'exportPng':
        void this.savePng(message.dataUrl);
        break;
      case 'openRun':
        void vscode.commands.executeCommand('fedbook.openRun');
        break;
    }
  }

  private async saveCsv(csv: string): Promise<void> {
    const uri = await vscode.window.showSaveDialog({ filters: { CSV: ['csv'] }, saveLabel: 'Export rounds as CSV' });
    if (uri) await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(csv));
  }

  private async savePng(dataUrl: string): Promise<void> {
    const uri = await vscode.window.showSaveDialog({ filters: { PNG: ['png'] }, saveLabel: 'Export chart as PNG' });
    const base64 = dataUrl.slice(dataUrl.indexOf(',') + 1);
    if (uri) await vscode.workspace.fs.writeFile(uri, Buffer.from(base64, 'base64'));
  }
}

function chartHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const plotly = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'plotly.min.js'));
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'chart.js'));
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${webview.cspSource} 'unsafe-inline'`,
    `img-src ${webview.cspSource} data: blob:`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Fedbook: Rounds</title>
<style>
  body { margin: 0; padding: 8px; box-sizing: border-box; height: 100vh; display: flex; flex-direction: column; color: var(--vscode-foreground); background: var(--vscode-editor-background); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
  #toolbar { display: flex; gap: 8px; align-items: center; margin-bottom: 6px; flex-wrap: wrap; }
  select, button { color: var(--vscode-input-foreground); background: var(--vscode-input-background); border: 1px solid var(--vscode-input-border, transparent); padding: 2px 6px; }
  button { color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: none; cursor: pointer; }
  #chart { width: 100%; flex: 1 1 auto; min-height: 200px; }
  #clients { flex: 0 0 auto; max-height: 30vh; overflow-y: auto; border-top: 1px solid var(--vscode-editorWidget-border, transparent); padding-top: 4px; }
  #clients[hidden] { display: none; }
  .clients-head { margin-bottom: 4px; }
  .client-count { margin-right: 8px; white-space: nowrap; }
  .clients-list { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 2px 12px; font-size: 0.9em; }
  .client { white-space: nowrap; }
  .client-state { color: var(--vscode-descriptionForeground); }
  .client-dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 4px; vertical-align: middle; }
  #summary { opacity: 0.8; }
</style>
</head>
<body>
<div id="toolbar">
  <label>Metric <select id="metric"></select></label>
  <button id="open-run" title="Load a run from .fedbook/runs">Open run…</button>
  <button id="export-png">Export PNG</button>
  <button id="export-csv">Export CSV</button>
  <span id="summary"></span>
</div>
<div id="chart"></div>
<div id="clients" hidden></div>
<script nonce="${nonce}" src="${plotly}"></script>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
