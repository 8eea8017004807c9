/**
 * Fedbook's VS Code face. activate() only wires things up: the notebook
 * controller, the round chart, the runs view, the status bar and the commands.
 */
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FedbookController } from './notebook/controller';
import { resolveNodeRuntime } from './kernel/node-runtime';
import { ChartPanel, CHART_VIEW_TYPE } from './chart/chart-panel';
import { loadRunById } from './chart/run-files';
import type { ChartState } from './chart/messages';
import { KernelStatusBar } from './status/status-bar';
import { newNotebook } from './commands/new-notebook';
import { openRun } from './commands/open-run';
import { RunsTreeProvider } from './runs/runs-tree-provider';
import { commandNodes, deleteRuns, resumeRun, showRunsOnChart } from './runs/run-commands';
import type { RunsTreeNode } from './runs/run-tree-items';

/** What activate() returns: for the extension-host tests, the runs view's provider (the tree as the view shows it). */
export interface FedbookApi {
  runsView: RunsTreeProvider;
  /** The runs the round chart shows, in order (none when it is closed). */
  chartRunIds(): string[];
}

export function activate(context: vscode.ExtensionContext): FedbookApi {
  const log = vscode.window.createOutputChannel('Fedbook');
  const config = () => vscode.workspace.getConfiguration('fedbook');
  const wasmDir = join(context.extensionPath, 'dist', 'wasm');
  const controller = new FedbookController({
    resolveRuntime: () => resolveNodeRuntime(config().get<string>('nodePath') || undefined),
    kernelEntry: config().get<string>('kernelPath') || join(context.extensionPath, 'bin', 'fedbook.js'),
    env: existsSync(wasmDir) ? { FEDBOOK_WASM_DIR: wasmDir } : {},
    log: (text) => log.appendLine(text),
  });
  const status = new KernelStatusBar();
  const showChart = (preserveFocus = true) => ChartPanel.createOrShow(context.extensionUri, preserveFocus);
  const seenRuns = new Set<string>();
  const runsTree = new RunsTreeProvider((text) => log.appendLine(text));
  const runsView = vscode.window.createTreeView('fedbook.runs', { treeDataProvider: runsTree, canSelectMany: true, showCollapseAll: true });
  const runsCommand = (action: (nodes: RunsTreeNode[]) => unknown) => (node?: RunsTreeNode, selection?: RunsTreeNode[]) =>
    action(commandNodes(node, selection, runsView.selection));

  const activeNotebook = (arg?: unknown): vscode.NotebookDocument | undefined => {
    const uri =
      (arg as { notebookEditor?: { notebookUri?: vscode.Uri } } | undefined)?.notebookEditor?.notebookUri ?? (arg instanceof vscode.Uri ? arg : undefined);
    return (uri && vscode.workspace.notebookDocuments.find((nb) => nb.uri.toString() === uri.toString())) ?? vscode.window.activeNotebookEditor?.notebook;
  };

  context.subscriptions.push(
    log,
    controller,
    status,
    controller.onDidChangeKernelState(({ notebook, state }) => {
      if (state === 'dead' || state === 'starting') runsTree.kernelGone(notebook.uri.toString());
      if (!vscode.window.activeNotebookEditor || vscode.window.activeNotebookEditor.notebook === notebook) status.setState(state);
    }),
    controller.onDidReceiveRun(({ notebook, run, receivedAt }) => {
      status.setRun(run.bundle);
      runsTree.noteLiveRun(run.bundle, notebook.uri.toString());
      const isNew = !seenRuns.has(run.bundle.runId);
      seenRuns.add(run.bundle.runId);
      if (isNew && !ChartPanel.current && config().get<boolean>('chart.openOnRun', true)) showChart();
      ChartPanel.current?.update(run.bundle, run.publishedAt === undefined ? undefined : { publishedAt: run.publishedAt, receivedAt });
    }),
    vscode.window.registerWebviewPanelSerializer(CHART_VIEW_TYPE, {
      deserializeWebviewPanel: (panel, state: ChartState | undefined) => ChartPanel.revive(panel, context.extensionUri, state, loadRunById),
    }),
    vscode.commands.registerCommand('fedbook.newNotebook', () => newNotebook(context.extensionUri)),
    vscode.commands.registerCommand('fedbook.showChart', () => void showChart(false)),
    vscode.commands.registerCommand('fedbook.openRun', (uri?: vscode.Uri) => openRun(() => showChart(), uri instanceof vscode.Uri ? uri : undefined)),
    runsTree,
    runsView,
    // Selecting runs (a sweep: all its runs) shows exactly them on the chart.
    runsView.onDidChangeSelection(({ selection }) => {
      if (selection.length > 0) void showRunsOnChart(selection, () => showChart());
    }),
    vscode.commands.registerCommand('fedbook.runs.refresh', () => runsTree.refresh()),
    vscode.commands.registerCommand(
      'fedbook.runs.showOnChart',
      runsCommand((nodes) => showRunsOnChart(nodes, () => showChart())),
    ),
    vscode.commands.registerCommand(
      'fedbook.runs.resume',
      runsCommand(async (nodes) => {
        const [run] = nodes.flatMap((n) => (n.kind === 'run' ? [n] : []));
        if (run) await resumeRun(run);
      }),
    ),
    vscode.commands.registerCommand(
      'fedbook.runs.delete',
      runsCommand(async (nodes) => {
        if ((await deleteRuns(nodes)) > 0) runsTree.refresh();
      }),
    ),
    vscode.commands.registerCommand('fedbook.exportChartPng', () => showChart().export('png')),
    vscode.commands.registerCommand('fedbook.exportChartCsv', () => showChart().export('csv')),
    vscode.commands.registerCommand('fedbook.restartKernel', async (arg?: unknown) => {
      const notebook = activeNotebook(arg);
      if (!notebook) return void vscode.window.showWarningMessage('Open a notebook to restart its Fedbook kernel.');
      await controller.restart(notebook);
    }),
    vscode.commands.registerCommand('fedbook.interruptKernel', (arg?: unknown) => {
      const notebook = activeNotebook(arg);
      if (notebook) controller.interrupt(notebook);
    }),
    /** Chart update latencies measured so far (kernel publish → point drawn), for diagnostics and tests. */
    vscode.commands.registerCommand('fedbook.chartLatencies', () => [...ChartPanel.latencies]),
  );
  log.appendLine('Fedbook activated');
  return { runsView: runsTree, chartRunIds: () => ChartPanel.current?.runIds ?? [] };
}

export function deactivate(): void {
  ChartPanel.current?.dispose();
}
