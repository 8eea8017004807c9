/**
 * The kernel's life through the controller: an interrupt stops a cell and
 * keeps the variables, a restart loses them, and a kernel that dies ends its
 * cell with a clear error instead of leaving it running.
 */
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { cellError, codeCell, notebookPerTest, outputItems, runCells, sleep, startCells, streamText, waitFor, waitForCell } from './notebooks';

/** Cell indexes in fixtures/lifecycle.ipynb. */
const DEFINES_KEPT = 1;
const SPINS = 2;
const READS_KEPT = 3;
const AWAITS_FOREVER = 4;
const EXITS = 5;
const KILLED = 6;

/** How long a stopped cell may take to end: far below "never", far above a slow machine's seconds. */
const STOP_TIMEOUT_MS = 30_000;

/** Starts a cell that never ends by itself and waits until it printed `marker` (the kernel is inside it). */
async function startEndlessCell(notebook: vscode.NotebookDocument, index: number, marker: string): Promise<{ cell: vscode.NotebookCell; since: number }> {
  const since = await startCells(notebook, [index]);
  const cell = codeCell(notebook, index);
  await waitFor(`cell ${index} to print "${marker}"`, () => (streamText(cell).includes(marker) ? true : undefined));
  return { cell, since };
}

function resultText(cell: vscode.NotebookCell): string {
  return outputItems(cell)
    .flat()
    .filter((i) => i.mime === 'text/plain')
    .map((i) => i.text)
    .join('');
}

describe('Kernel lifecycle through the Fedbook controller', () => {
  const fixtures = notebookPerTest();

  it('Notebook: Interrupt stops a synchronous loop and the next cell still sees earlier variables', async () => {
    const notebook = await fixtures.open('lifecycle.ipynb');
    await runCells(notebook, [DEFINES_KEPT]);
    const { cell, since } = await startEndlessCell(notebook, SPINS, 'looping');
    // Past the cell's 500 ms await, the loop is running: the hard case, out of vm breakOnSigint's reach.
    await sleep(2_000);
    await vscode.commands.executeCommand('notebook.interruptExecution', notebook.uri);
    await waitForCell(cell, since, STOP_TIMEOUT_MS);
    assert.equal(cell.executionSummary?.success, false);
    assert.equal(cellError(cell)?.name, 'KeyboardInterrupt');
    const [reader] = await runCells(notebook, [READS_KEPT]);
    assert.equal(reader.executionSummary?.success, true);
    assert.match(resultText(reader), /kept is 42/);
  });

  it('fedbook.interruptKernel stops a cell awaiting a promise that never settles', async () => {
    const notebook = await fixtures.open('lifecycle.ipynb');
    await runCells(notebook, [DEFINES_KEPT]);
    const { cell, since } = await startEndlessCell(notebook, AWAITS_FOREVER, 'waiting');
    await vscode.commands.executeCommand('fedbook.interruptKernel', notebook.uri);
    await waitForCell(cell, since, STOP_TIMEOUT_MS);
    assert.equal(cell.executionSummary?.success, false);
    assert.equal(cellError(cell)?.name, 'KeyboardInterrupt');
    const [reader] = await runCells(notebook, [READS_KEPT]);
    assert.match(resultText(reader), /kept is 42/);
  });

  it('fedbook.restartKernel loses every variable and numbers executions from 1 again', async () => {
    const notebook = await fixtures.open('lifecycle.ipynb');
    const [definer] = await runCells(notebook, [DEFINES_KEPT]);
    assert.equal(definer.executionSummary?.executionOrder, 1);
    await vscode.commands.executeCommand('fedbook.restartKernel', notebook.uri);
    const [reader] = await runCells(notebook, [READS_KEPT]);
    assert.equal(reader.executionSummary?.success, false);
    const error = cellError(reader);
    assert.equal(error?.name, 'ReferenceError', JSON.stringify(error));
    assert.match(error?.message ?? '', /kept is not defined/);
    assert.equal(reader.executionSummary?.executionOrder, 1, 'a fresh kernel counts from 1');
  });

  it('a kernel killed mid-cell ends the cell with a "kernel died" error, and the next run starts a new kernel', async () => {
    const notebook = await fixtures.open('lifecycle.ipynb');
    await runCells(notebook, [DEFINES_KEPT]);
    const [killed] = await runCells(notebook, [KILLED], STOP_TIMEOUT_MS * 4);
    assert.equal(killed.executionSummary?.success, false);
    const error = cellError(killed);
    assert.equal(error?.name, 'KernelDied', JSON.stringify(error));
    assert.match(error?.message ?? '', /The Fedbook kernel died \(signal SIGKILL\) while this cell was running/);
    // Running on starts a fresh kernel: the cell runs, and the old variables are gone.
    const [reader] = await runCells(notebook, [READS_KEPT]);
    assert.equal(cellError(reader)?.name, 'ReferenceError');
  });

  it('a cell calling process.exit ends with a "kernel died" error instead of hanging', async () => {
    const notebook = await fixtures.open('lifecycle.ipynb');
    const [exiter] = await runCells(notebook, [EXITS], STOP_TIMEOUT_MS * 4);
    assert.equal(exiter.executionSummary?.success, false);
    const error = cellError(exiter);
    // The kernel answers the cell with KernelExit while it closes its sockets, or the process is gone first.
    assert.ok(error?.name === 'KernelDied' || error?.name === 'KernelExit', JSON.stringify(error));
    assert.match(error?.message ?? '', /exit code 3|process\.exit\(3\)/, 'the exit code is the one the cell gave');
  });
});
