/**
 * What the runs view's actions do: overlay the selected runs on the round
 * chart, put a cell that resumes an interrupted run into the notebook, and
 * delete runs after a confirmation. The choices (which runs, what snippet)
 * are made by the pure functions of run-tree-items.ts.
 */
import * as vscode from 'vscode';
import { readRunFile } from '../chart/run-files';
import type { ChartPanel } from '../chart/chart-panel';
import type { ChartRun } from '../chart/chart-data';
import { resumeSnippet, selectedRuns, type RunNode, type RunsTreeNode } from './run-tree-items';

/** The nodes a command acts on: VS Code passes the clicked node and the whole selection, or nothing (then the view's selection). */
export function commandNodes(
  node: RunsTreeNode | undefined,
  selection: readonly RunsTreeNode[] | undefined,
  viewSelection: readonly RunsTreeNode[],
): RunsTreeNode[] {
  if (selection && selection.length > 0) return [...selection];
  if (node) return [node];
  return [...viewSelection];
}

/** Shows exactly these runs on the round chart (a sweep's seeds as bands). */
export async function showRunsOnChart(nodes: readonly RunsTreeNode[], showChart: () => ChartPanel): Promise<number> {
  const runs: ChartRun[] = [];
  for (const run of selectedRuns(nodes)) {
    try {
      runs.push(await readRunFile(vscode.Uri.parse(run.file)));
    } catch (error) {
      void vscode.window.showWarningMessage(`Cannot read run ${run.runId}: ${(error as Error).message}`);
    }
  }
  if (runs.length > 0) showChart().showRuns(runs);
  return runs.length;
}

/**
 * Puts a cell that resumes the run after the active notebook's selected cell
 * (not run: the user checks its variable names first), and copies it to the
 * clipboard; without a notebook open, only copies it.
 */
export async function resumeRun(run: RunNode): Promise<void> {
  const snippet = resumeSnippet(run);
  await vscode.env.clipboard.writeText(snippet);
  const editor = vscode.window.activeNotebookEditor;
  if (!editor) {
    void vscode.window.showInformationMessage(
      `Copied a cell that resumes run ${run.runId}: paste it into the notebook that ran it, after the cells that define its algorithm and clients.`,
    );
    return;
  }
  const at = editor.selection.isEmpty ? editor.notebook.cellCount : editor.selection.end;
  const edit = new vscode.WorkspaceEdit();
  edit.set(editor.notebook.uri, [vscode.NotebookEdit.insertCells(at, [new vscode.NotebookCellData(vscode.NotebookCellKind.Code, snippet, 'typescript')])]);
  await vscode.workspace.applyEdit(edit);
  editor.selection = new vscode.NotebookRange(at, at + 1);
  editor.revealRange(editor.selection);
  void vscode.window.showInformationMessage(
    `Inserted (and copied) a cell that resumes run ${run.runId} from its latest checkpoint. Check that it names the same algorithm and options as the run, then run it.`,
  );
}

/** Deletes the runs' records and their checkpoints (`<id>.ckpt` beside the record), after a modal confirmation; never a running run. */
export async function deleteRuns(nodes: readonly RunsTreeNode[]): Promise<number> {
  const selected = selectedRuns(nodes);
  // A running run would append its next round to a record without a config line: it has to stop first.
  const running = selected.filter((run) => run.state === 'running');
  if (running.length > 0) {
    void vscode.window.showWarningMessage(`Not deleting ${running.map((run) => run.runId).join(', ')}: still running (interrupt the kernel first).`);
  }
  const runs = selected.filter((run) => run.state !== 'running');
  if (runs.length === 0) return 0;
  const what = runs.length === 1 ? `run ${runs[0].runId} (${runs[0].label})` : `${runs.length} runs`;
  const choice = await vscode.window.showWarningMessage(
    `Delete ${what}?`,
    { modal: true, detail: 'Its record in .fedbook/runs and its checkpoints are deleted; this cannot be undone.' },
    'Delete',
  );
  if (choice !== 'Delete') return 0;
  let deleted = 0;
  for (const run of runs) {
    const record = vscode.Uri.parse(run.file);
    try {
      await vscode.workspace.fs.delete(record);
      deleted++;
    } catch (error) {
      void vscode.window.showErrorMessage(`Cannot delete run ${run.runId}: ${(error as Error).message}`);
      continue;
    }
    const checkpoints = record.with({ path: record.path.replace(/\.jsonl$/, '.ckpt') });
    await vscode.workspace.fs.delete(checkpoints, { recursive: true }).then(undefined, () => undefined);
  }
  return deleted;
}
