/**
 * "Fedbook: Open Run…": pick a run record from `.fedbook/runs/` and overlay it on the chart.
 */
import * as vscode from 'vscode';
import { legendLabel } from '../chart/chart-data';
import { findRunFiles, readRunFile } from '../chart/run-files';
import type { ChartPanel } from '../chart/chart-panel';

export async function openRun(showChart: () => ChartPanel, uri?: vscode.Uri): Promise<void> {
  let target = uri;
  if (!target) {
    const files = await findRunFiles();
    if (files.length === 0) {
      void vscode.window.showInformationMessage('No run records found: runs are saved under .fedbook/runs/ next to the notebook that ran them.');
      return;
    }
    const items = await Promise.all(
      files.map(async (file) => {
        try {
          const run = await readRunFile(file);
          return { label: legendLabel(run), description: `${run.rounds.length} rounds · ${run.status}`, detail: vscode.workspace.asRelativePath(file), file };
        } catch (error) {
          return { label: vscode.workspace.asRelativePath(file), description: `unreadable: ${(error as Error).message}`, file };
        }
      }),
    );
    const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Run to add to the round chart', matchOnDetail: true });
    if (!picked) return;
    target = picked.file;
  }
  try {
    showChart().addRun(await readRunFile(target));
  } catch (error) {
    void vscode.window.showErrorMessage(`Cannot open run ${vscode.workspace.asRelativePath(target)}: ${(error as Error).message}`);
  }
}
