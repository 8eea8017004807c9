/**
 * The extension activates in a real extension host and registers the
 * commands its manifest contributes.
 */
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import { before, describe, it } from 'mocha';
import { activateFedbook } from './notebooks';

describe('Fedbook extension activation', () => {
  before(async () => {
    await activateFedbook();
  });

  it('registers its commands', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const id of [
      'fedbook.newNotebook',
      'fedbook.showChart',
      'fedbook.openRun',
      'fedbook.restartKernel',
      'fedbook.interruptKernel',
      'fedbook.exportChartPng',
      'fedbook.exportChartCsv',
    ]) {
      assert.ok(commands.includes(id), `${id} is registered`);
    }
  });
});
