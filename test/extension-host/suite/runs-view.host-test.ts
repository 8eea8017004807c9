/**
 * The runs view in a real extension host: run records written into the
 * workspace's .fedbook/runs show in the tree, grouped by sweep, with their
 * state; a record written later appears by itself (the FileSystemWatcher);
 * selecting runs charts them; "Resume" inserts a cell that resumes the run.
 */
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'mocha';
import { activateFedbook, waitFor } from './notebooks';
import type { RunNode, RunsTreeNode, SweepNode } from '../../../extension/runs/run-tree-items';

/** What the extension's activate() returns (extension/extension.ts FedbookApi), as far as these tests use it. */
interface Api {
  runsView: { roots(): Promise<RunsTreeNode[]>; getTreeItem(node: RunsTreeNode): vscode.TreeItem };
  chartRunIds(): string[];
}

let runsFolder = '';

/** Writes a run record as the kernel does: a config line, one line per round, an end line when it ended. */
function writeRecord(runId: string, options: { sweep?: unknown; seed?: number; clientLr?: number; startedAt: string; end?: string; rounds?: number }): void {
  const seed = options.seed ?? 1;
  const lines: unknown[] = [
    {
      type: 'config',
      runId,
      label: `fedAvg lr=${options.clientLr ?? 0.1}`,
      strategy: 'fedAvg',
      hyperparameters: { clientLr: options.clientLr ?? 0.1, seed },
      seed,
      backend: 'wasm',
      workers: 1,
      version: '0.1.0',
      startedAt: options.startedAt,
      plannedRounds: 3,
      ...(options.sweep ? { sweep: options.sweep } : {}),
    },
  ];
  for (let r = 1; r <= (options.rounds ?? 3); r++)
    lines.push({
      type: 'round',
      round: r,
      testAccuracy: 0.5 + r / 10 + seed / 100,
      trainLoss: 1 / r,
      clients: 2,
      failures: 0,
      bytesDown: 0,
      bytesUp: 0,
      ms: 5,
    });
  if (options.end) lines.push({ type: 'end', status: options.end, endedAt: options.startedAt });
  writeFileSync(join(runsFolder, `${runId}.jsonl`), lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
}

/** Reads the tree until `done` holds for its shape (or 30 s pass), and returns the last shape read. */
async function treeUntil(api: Api, done: (shape: unknown[]) => boolean): Promise<unknown[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const seen = shape(await api.runsView.roots());
    if (done(seen) || Date.now() > deadline) return seen;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The tree as `runId:state` and `{ sweep, runs }`, leaving out records other suites' runs wrote into the workspace. */
function shape(nodes: RunsTreeNode[]): unknown[] {
  const ours = (runId: string) => runId.startsWith('lone-') || runId.startsWith('sw-');
  return nodes
    .filter((n) => (n.kind === 'sweep' ? n.sweepId === 'sweep-x' : ours(n.runId)))
    .map((n) => (n.kind === 'sweep' ? { sweep: n.sweepId, runs: n.children.map((c) => `${c.runId}:${c.state}`) } : `${n.runId}:${n.state}`));
}

describe('Fedbook runs view', () => {
  let api: Api;
  before(async () => {
    api = (await activateFedbook()).exports as Api;
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new Error('the extension-host tests need a workspace folder');
    runsFolder = join(folder.uri.fsPath, '.fedbook', 'runs');
    mkdirSync(runsFolder, { recursive: true });
  });

  it('contributes the view and its commands', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['fedbook.runs.refresh', 'fedbook.runs.showOnChart', 'fedbook.runs.resume', 'fedbook.runs.delete'])
      assert.ok(commands.includes(id), `${id} is registered`);
    await vscode.commands.executeCommand('fedbook.runs.focus');
  });

  it('lists the records, a sweep as one node over its runs, and one written later by itself', async () => {
    writeRecord('lone-completed', { startedAt: '2026-11-25T09:00:00Z', end: 'completed' });
    writeRecord('sw-a-1', { sweep: 'sweep-x', seed: 1, clientLr: 0.01, startedAt: '2026-11-25T10:00:00Z', end: 'completed' });
    writeRecord('sw-a-2', {
      sweep: { id: 'sweep-x', combination: 0, params: { clientLr: 0.01 }, seed: 2 },
      seed: 2,
      clientLr: 0.01,
      startedAt: '2026-11-25T10:01:00Z',
      end: 'completed',
    });
    writeRecord('sw-b-1', { sweep: 'sweep-x', seed: 1, clientLr: 0.1, startedAt: '2026-11-25T10:02:00Z', end: 'aborted', rounds: 2 });
    await vscode.commands.executeCommand('fedbook.runs.refresh');
    const expected = [{ sweep: 'sweep-x', runs: ['sw-a-1:completed', 'sw-a-2:completed', 'sw-b-1:interrupted'] }, 'lone-completed:completed'];
    assert.deepEqual(await treeUntil(api, (seen) => JSON.stringify(seen) === JSON.stringify(expected)), expected);
    const sweep = (await api.runsView.roots()).find((n) => n.kind === 'sweep' && n.sweepId === 'sweep-x') as SweepNode;
    const item = api.runsView.getTreeItem(sweep.children[2]);
    assert.equal(item.description, 'seed 1 · 2/3 rounds · acc 0.710 · interrupted');
    assert.equal(item.contextValue, 'fedbookRun.interrupted.resumable');

    // No refresh asked for: the FileSystemWatcher sees the new record.
    writeRecord('lone-new', { startedAt: '2026-11-25T11:00:00Z', end: 'failed', rounds: 1 });
    const seen = await treeUntil(api, (tree) => tree[0] === 'lone-new:failed');
    assert.equal(seen[0], 'lone-new:failed', `the new record is listed first: ${JSON.stringify(seen)}`);
  });

  it('shows the selected runs on the round chart, a sweep as all of its runs', async () => {
    const sweep = (await api.runsView.roots()).find((n) => n.kind === 'sweep' && n.sweepId === 'sweep-x');
    await vscode.commands.executeCommand('fedbook.runs.showOnChart', sweep);
    const ids = await waitFor('the chart to hold the sweep', () => (api.chartRunIds().length === 3 ? api.chartRunIds() : undefined), 30_000);
    assert.deepEqual(ids, ['sw-a-1', 'sw-a-2', 'sw-b-1']);
  });

  it('"Resume" inserts a cell that resumes the interrupted run by its id', async () => {
    const notebook = await vscode.workspace.openNotebookDocument(
      'jupyter-notebook',
      new vscode.NotebookData([new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'const x = 1;', 'typescript')]),
    );
    await vscode.window.showNotebookDocument(notebook);
    const sweep = (await api.runsView.roots()).find((n) => n.kind === 'sweep' && n.sweepId === 'sweep-x') as SweepNode;
    const interrupted = sweep.children.find((c) => c.state === 'interrupted') as RunNode;
    await vscode.commands.executeCommand('fedbook.runs.resume', interrupted);
    await waitFor('the resume cell', () => (notebook.cellCount === 2 ? true : undefined), 30_000);
    const text = notebook.cellAt(1).document.getText();
    assert.match(text, /await algo\.run\(\{ rounds: 3, clients, evaluate: test, resume: 'sw-b-1' \}\);$/);
    assert.equal(await vscode.env.clipboard.readText(), text, 'and copies it');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
