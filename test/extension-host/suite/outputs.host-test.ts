/**
 * Cells run by the Fedbook controller show the kernel's outputs: streams in
 * the order they were printed, results, rich displays, and a display that a
 * later update replaces in place.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { STDERR_MIME, STDOUT_MIME, notebookPerTest, outputItems, runCells, waitFor } from './notebooks';

/** Cell indexes in fixtures/outputs.ipynb (cell 0 is its Markdown title). */
const STREAMS = 1;
const HTML = 2;
const UPDATED_DISPLAY = 3;
const LATER_UPDATE = 4;

describe('Cell outputs through the Fedbook controller', () => {
  const fixtures = notebookPerTest();

  it('shows stdout and stderr in print order, then the result', async () => {
    const notebook = await fixtures.open('outputs.ipynb');
    const [cell] = await runCells(notebook, [STREAMS]);
    assert.equal(cell.executionSummary?.success, true);
    const outputs = outputItems(cell);
    assert.deepEqual(
      outputs.slice(0, 3).map((items) => items.map((i) => [i.mime, i.text])),
      [[[STDOUT_MIME, 'one\n']], [[STDERR_MIME, 'two\n']], [[STDOUT_MIME, 'three\n']]],
    );
    assert.equal(outputs.length, 4, `three streams and one result (${JSON.stringify(outputs)})`);
    const result = outputs[3].find((i) => i.mime === 'text/plain');
    assert.ok(result?.text.includes('done: 42'), `the result is the cell's last expression (${JSON.stringify(outputs[3])})`);
  });

  it('numbers executions 1, 2, 3 in a fresh kernel and marks each a success', async () => {
    const notebook = await fixtures.open('outputs.ipynb');
    const cells = await runCells(notebook, [STREAMS, HTML, UPDATED_DISPLAY]);
    assert.deepEqual(
      cells.map((c) => c.executionSummary?.executionOrder),
      [1, 2, 3],
    );
    assert.deepEqual(
      cells.map((c) => c.executionSummary?.success),
      [true, true, true],
    );
  });

  it('shows display.html as a text/html output', async () => {
    const notebook = await fixtures.open('outputs.ipynb');
    const [cell] = await runCells(notebook, [HTML]);
    const outputs = outputItems(cell);
    assert.equal(outputs.length, 1, JSON.stringify(outputs));
    assert.equal(outputs[0].find((i) => i.mime === 'text/html')?.text, '<b>bold</b>');
  });

  it('replaces a display in place when the cell updates it by its id', async () => {
    const notebook = await fixtures.open('outputs.ipynb');
    const [cell] = await runCells(notebook, [UPDATED_DISPLAY]);
    assert.equal(cell.executionSummary?.success, true);
    const outputs = outputItems(cell);
    assert.equal(outputs.length, 1, `one output, updated rather than added (${JSON.stringify(outputs)})`);
    const text = outputs[0].find((i) => i.mime === 'text/plain')?.text ?? '';
    assert.ok(text.includes('step 2 of 2') && !text.includes('step 1 of 2'), `the output shows the update (${text})`);
    assert.equal(cell.outputs[0].metadata?.displayId, 'progress');
  });

  it('replaces a display shown by an earlier cell when a later cell updates it, keeping the earlier execution order', async () => {
    const notebook = await fixtures.open('outputs.ipynb');
    const [shown, updater] = await runCells(notebook, [UPDATED_DISPLAY, LATER_UPDATE]);
    assert.equal(updater.executionSummary?.success, true);
    const text = await waitFor(
      'the earlier cell to show the update',
      () => {
        const value = outputItems(shown)[0]?.find((i) => i.mime === 'text/plain')?.text ?? '';
        return value.includes('updated by a later cell') ? value : undefined;
      },
      30_000,
    );
    assert.ok(!text.includes('step 2 of 2'), text);
    assert.equal(outputItems(updater).length, 0, 'the updating cell shows nothing itself');
    assert.equal(shown.executionSummary?.executionOrder, 1, 'the earlier cell keeps its execution order');
    assert.equal(shown.executionSummary?.success, true);
  });
});
