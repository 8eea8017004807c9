/**
 * Helpers the in-host tests share: open a private copy of a fixture notebook
 * with the Fedbook controller selected, run cells through VS Code's own
 * commands, wait for them to finish, and read their outputs as text.
 */
import * as vscode from 'vscode';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, before } from 'mocha';

/** `publisher.name` from extension/package.json. */
export const EXTENSION_ID = 'fedbook.fedbook';
/** CONTROLLER_ID in extension/notebook/controller.ts. */
export const CONTROLLER_ID = 'fedbook-kernel';

/** out/test/extension-host/suite → test/extension-host/fixtures in the source tree. */
const FIXTURES = join(__dirname, '..', '..', '..', '..', 'test', 'extension-host', 'fixtures');

export const STDOUT_MIME = 'application/vnd.code.notebook.stdout';
export const STDERR_MIME = 'application/vnd.code.notebook.stderr';
export const ERROR_MIME = 'application/vnd.code.notebook.error';

let copies = 0;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns something other than undefined. */
export async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(100);
  }
}

/** Rejects when `promise` takes longer than `ms` (a command that opened a picker would wait forever). */
async function within<T>(promise: Thenable<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve(promise), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Activates the extension under test (tests may start before onStartupFinished fires). */
export async function activateFedbook(): Promise<vscode.Extension<unknown>> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  if (!extension) throw new Error(`extension ${EXTENSION_ID} is not loaded in this extension host`);
  await extension.activate();
  return extension;
}

/**
 * Opens a fresh copy of a fixture in the workspace and selects the Fedbook
 * controller for it. Each copy has its own file, hence its own kernel.
 */
export async function openFixture(name: string): Promise<vscode.NotebookDocument> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the extension-host tests need a workspace folder');
  copies += 1;
  const target = join(folder.uri.fsPath, name.replace(/\.ipynb$/, `-${copies}.ipynb`));
  copyFileSync(join(FIXTURES, name), target);
  const notebook = await vscode.workspace.openNotebookDocument(vscode.Uri.file(target));
  await vscode.window.showNotebookDocument(notebook);
  await selectFedbookController();
  return notebook;
}

/** Selects our controller in the active notebook editor, as the kernel picker would. */
async function selectFedbookController(): Promise<void> {
  // VS Code 1.139 names the command `_notebook.selectKernel`; older releases `notebook.selectKernel`.
  const all = await vscode.commands.getCommands(false);
  const command = ['notebook.selectKernel', '_notebook.selectKernel'].find((id) => all.includes(id));
  if (!command) throw new Error('VS Code has no notebook.selectKernel command');
  // With an unknown id the command opens the kernel picker and waits for a person: fail instead.
  await within(
    vscode.commands.executeCommand(command, { id: CONTROLLER_ID, extension: EXTENSION_ID }),
    30_000,
    `${command} for ${EXTENSION_ID}/${CONTROLLER_ID}`,
  );
}

export function codeCell(notebook: vscode.NotebookDocument, index: number): vscode.NotebookCell {
  const cell = notebook.cellAt(index);
  if (cell.kind !== vscode.NotebookCellKind.Code) throw new Error(`cell ${index} of ${notebook.uri.path} is not a code cell`);
  return cell;
}

/** Asks VS Code to run these cells (one batch, as "run selected cells" does) without waiting for them. */
export async function startCells(notebook: vscode.NotebookDocument, indexes: number[]): Promise<number> {
  const since = Date.now();
  const ranges = indexes.map((i) => ({ start: i, end: i + 1 }));
  // The command can resolve only when the cells finish; the callers wait on the cells themselves.
  void Promise.resolve(vscode.commands.executeCommand('notebook.cell.execute', { ranges, document: notebook.uri })).catch((error) => {
    console.error(`notebook.cell.execute failed: ${error}`);
  });
  return since;
}

/** True once the cell has finished a run that began at or after `since` (ms, extension-host clock). */
export function finishedSince(cell: vscode.NotebookCell, since: number): boolean {
  const end = cell.executionSummary?.timing?.endTime;
  return end !== undefined && end >= since;
}

/** Waits until the cell finished a run started at or after `since`. */
export async function waitForCell(cell: vscode.NotebookCell, since: number, timeoutMs = 180_000): Promise<vscode.NotebookCell> {
  await waitFor(`cell ${cell.index} to finish`, () => (finishedSince(cell, since) ? true : undefined), timeoutMs);
  return cell;
}

/** Runs cells as one batch and waits until every one of them finished. */
export async function runCells(notebook: vscode.NotebookDocument, indexes: number[], timeoutMs = 180_000): Promise<vscode.NotebookCell[]> {
  const since = await startCells(notebook, indexes);
  const cells = indexes.map((i) => codeCell(notebook, i));
  for (const cell of cells) await waitForCell(cell, since, timeoutMs);
  return cells;
}

export interface OutputText {
  mime: string;
  text: string;
}

/** Each output item of a cell, decoded as UTF-8 text, in order. */
export function outputItems(cell: vscode.NotebookCell): OutputText[][] {
  const decoder = new TextDecoder();
  return cell.outputs.map((output) => output.items.map((item) => ({ mime: item.mime, text: decoder.decode(item.data) })));
}

/** The error the cell shows (`{ name, message, stack }`), if any. */
export function cellError(cell: vscode.NotebookCell): { name: string; message: string; stack: string } | undefined {
  const item = outputItems(cell)
    .flat()
    .find((i) => i.mime === ERROR_MIME);
  return item ? JSON.parse(item.text) : undefined;
}

/** All stream text a cell printed (stdout and stderr). */
export function streamText(cell: vscode.NotebookCell): string {
  return outputItems(cell)
    .flat()
    .filter((i) => i.mime === STDOUT_MIME || i.mime === STDERR_MIME)
    .map((i) => i.text)
    .join('');
}

/**
 * Call inside a mocha `describe`: activates Fedbook once, and closes after
 * each test the notebook that test opened (with its kernel).
 */
export function notebookPerTest(): { open(fixture: string): Promise<vscode.NotebookDocument> } {
  let notebook: vscode.NotebookDocument | undefined;
  before(activateFedbook);
  afterEach(async () => {
    if (notebook) await closeNotebook(notebook);
    notebook = undefined;
  });
  return {
    async open(fixture) {
      notebook = await openFixture(fixture);
      return notebook;
    },
  };
}

/** Closes the notebook without saving (its kernel shuts down with it). */
export async function closeNotebook(notebook: vscode.NotebookDocument): Promise<void> {
  await vscode.window.showNotebookDocument(notebook);
  await within(vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor'), 30_000, 'closing the notebook').catch((error) =>
    console.error(String(error)),
  );
}
