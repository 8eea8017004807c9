/**
 * The "Fedbook Runs" view in the Explorer: every record under `.fedbook/runs`
 * (sweeps grouped), refreshed when a record changes or a run starts or ends.
 * Select runs to overlay them on the round chart; resume an interrupted one;
 * delete runs with their checkpoints. The tree's content is runs-tree.ts's.
 */
import * as vscode from 'vscode';
import { RUN_MIME } from '../../kernel/contract';
import type { ChartPanel } from '../chart/chart-panel';
import { findRunFiles, RUN_GLOB } from '../chart/run-files';
import { buildRunsTree, summarizeRecord, type RunState, type RunSummaryItem, type RunsTreeItem } from './runs-tree';

export const RUNS_VIEW_ID = 'fedbook.runs';

const ICONS: Record<RunState, string> = {
  running: 'sync~spin',
  completed: 'pass',
  stopped: 'target',
  interrupted: 'debug-pause',
  failed: 'error',
};

export class RunsView implements vscode.TreeDataProvider<RunsTreeItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsTreeItem | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly live = new Set<string>();
  private readonly watcher = vscode.workspace.createFileSystemWatcher(RUN_GLOB);
  private readonly view: vscode.TreeView<RunsTreeItem>;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly showChart: () => ChartPanel) {
    this.view = vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: this, canSelectMany: true, showCollapseAll: true });
    // A running record grows by a line a round, and a refresh reads every record: at most one every 2 s for file changes.
    for (const event of [this.watcher.onDidCreate, this.watcher.onDidChange, this.watcher.onDidDelete]) event(() => this.refreshSoon());
  }

  /** A run this window receives live: 'running' until it ends. */
  noteLiveRun(runId: string, status: string): void {
    const wasLive = this.live.has(runId);
    if (status === 'running') this.live.add(runId);
    else this.live.delete(runId);
    if (wasLive !== this.live.has(runId)) this.refresh(); // a run started or ended: show it now
  }

  refresh(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.changed.fire(undefined);
  }

  private refreshSoon(): void {
    this.timer ??= setTimeout(() => this.refresh(), 2000);
  }

  getTreeItem(item: RunsTreeItem): vscode.TreeItem {
    if (item.kind === 'sweep') {
      const node = new vscode.TreeItem(item.label, vscode.TreeItemCollapsibleState.Collapsed);
      node.id = `sweep:${item.sweepId}`;
      node.description = item.description;
      node.tooltip = `sweep ${item.sweepId}`;
      node.iconPath = new vscode.ThemeIcon('layers');
      node.contextValue = 'fedbook.sweep';
      return node;
    }
    const node = new vscode.TreeItem(item.label, vscode.TreeItemCollapsibleState.None);
    node.id = `run:${item.runId}`;
    node.description = item.description;
    node.tooltip = item.tooltip;
    node.iconPath = new vscode.ThemeIcon(ICONS[item.state]);
    node.contextValue = `fedbook.run.${item.state}`;
    node.command = { command: 'fedbook.runs.showOnChart', title: 'Show on Round Chart', arguments: [item] };
    return node;
  }

  async getChildren(item?: RunsTreeItem): Promise<RunsTreeItem[]> {
    if (item) return item.kind === 'sweep' ? [...item.children] : [];
    const files = await findRunFiles();
    const runs = await Promise.all(
      files.map(async (uri): Promise<RunSummaryItem | undefined> => {
        try {
          return summarizeRecord(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)), uri.toString(), this.live);
        } catch {
          return undefined; // An unreadable record is left out; "Open Run…" says why.
        }
      }),
    );
    return buildRunsTree(runs.filter((run): run is RunSummaryItem => run !== undefined));
  }

  /** The runs a command acts on: the clicked node and the selection (a sweep stands for its runs). */
  private target(clicked?: RunsTreeItem, selected?: readonly RunsTreeItem[]): RunSummaryItem[] {
    const items = selected?.length ? selected : clicked ? [clicked] : this.view.selection;
    return items.flatMap((item) => (item.kind === 'sweep' ? [...item.children] : [item]));
  }

  showOnChart(clicked?: RunsTreeItem, selected?: readonly RunsTreeItem[]): void {
    const chart = this.showChart();
    for (const item of this.target(clicked, selected)) chart.addRun(item.run);
  }

  async delete(clicked?: RunsTreeItem, selected?: readonly RunsTreeItem[]): Promise<void> {
    const runs = this.target(clicked, selected);
    if (runs.length === 0) return;
    const what = runs.length === 1 ? `run ${runs[0].label}` : `${runs.length} runs`;
    const answer = await vscode.window.showWarningMessage(`Delete ${what} and its checkpoints?`, { modal: true }, 'Delete');
    if (answer !== 'Delete') return;
    for (const run of runs) {
      const record = vscode.Uri.parse(run.file);
      await vscode.workspace.fs.delete(record, { useTrash: true });
      const checkpoints = record.with({ path: record.path.replace(/\.jsonl$/, '.ckpt') });
      await vscode.workspace.fs.delete(checkpoints, { recursive: true, useTrash: true }).then(undefined, () => undefined);
    }
    this.refresh();
  }

  /** Reveals the cell that ran it (found by the run id in its outputs) and puts `resume: '<id>'` on the clipboard. */
  async resume(clicked?: RunsTreeItem): Promise<void> {
    const run = this.target(clicked)[0];
    if (!run) return;
    const option = run.sweep ? `resume: '${run.sweep.id}'` : `resume: '${run.runId}'`;
    await vscode.env.clipboard.writeText(option);
    const where = findRunCell(run.runId);
    const rerun = run.sweep ? 'fed.sweep({ ... })' : 'algo.run({ ... })';
    if (where) {
      await vscode.window.showNotebookDocument(where.notebook, { selections: [new vscode.NotebookRange(where.cell.index, where.cell.index + 1)] });
    }
    void vscode.window.showInformationMessage(
      `Copied ${option}: add it to the options of ${rerun}${where ? ' in the selected cell' : ''} and run the cell; ` +
        `the run continues from its last checkpoint (round ${run.run.rounds.at(-1)?.round ?? 0} was the last recorded).`,
    );
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.watcher.dispose();
    this.view.dispose();
    this.changed.dispose();
  }
}

/** The open notebook cell whose outputs show this run. */
function findRunCell(runId: string): { notebook: vscode.NotebookDocument; cell: vscode.NotebookCell } | undefined {
  for (const notebook of vscode.workspace.notebookDocuments) {
    for (const cell of notebook.getCells()) {
      for (const output of cell.outputs) {
        for (const item of output.items) {
          if (item.mime !== RUN_MIME) continue;
          try {
            if ((JSON.parse(new TextDecoder().decode(item.data)) as { runId?: string }).runId === runId) return { notebook, cell };
          } catch {
            // Not a run bundle after all.
          }
        }
      }
    }
  }
  return undefined;
}
