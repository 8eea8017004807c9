/**
 * Finding and reading run records (`.fedbook/runs/<runId>.jsonl`) in the workspace.
 */
import * as vscode from 'vscode';
import { parseRunRecord, type ChartRun } from './chart-data';

export const RUN_GLOB = '**/.fedbook/runs/*.jsonl';

/** Every run record file in the workspace, newest first. */
export async function findRunFiles(): Promise<vscode.Uri[]> {
  const files = await vscode.workspace.findFiles(RUN_GLOB, '**/node_modules/**', 1000);
  const stats = await Promise.all(files.map(async (uri) => ({ uri, mtime: (await vscode.workspace.fs.stat(uri)).mtime })));
  return stats.sort((a, b) => b.mtime - a.mtime).map((s) => s.uri);
}

export async function readRunFile(uri: vscode.Uri): Promise<ChartRun> {
  const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  return parseRunRecord(text, vscode.workspace.asRelativePath(uri));
}

/** Loads the run with this id from the workspace, if its record exists. */
export async function loadRunById(runId: string): Promise<ChartRun | undefined> {
  const files = await vscode.workspace.findFiles(`**/.fedbook/runs/${runId}.jsonl`, '**/node_modules/**', 1);
  return files[0] ? readRunFile(files[0]) : undefined;
}
