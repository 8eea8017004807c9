/**
 * A cell that throws shows the error with a traceback in the cell's own
 * lines, and the cells queued after it do not run (Jupyter's stop_on_error).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { cellError, codeCell, notebookPerTest, runCells, sleep, startCells, waitForCell } from './notebooks';

/** Cell indexes in fixtures/errors.ipynb. */
const SETUP = 1;
const THROWS = 2;
const AFTER_ERROR = 3;

describe('Cell errors through the Fedbook controller', () => {
  const fixtures = notebookPerTest();

  it("shows the error with a traceback in the cell's own lines", async () => {
    const notebook = await fixtures.open('errors.ipynb');
    const [setup, thrower] = await runCells(notebook, [SETUP, THROWS]);
    assert.equal(setup.executionSummary?.success, true);
    assert.equal(thrower.executionSummary?.success, false);
    const error = cellError(thrower);
    assert.ok(error, 'the failing cell shows an error output');
    assert.equal(error.name, 'Error');
    assert.equal(error.message, 'boom in the second line');
    // Cell In[2] is the second execution: line 2 of the cell, inside explode(); no kernel internals.
    assert.match(error.stack, /Cell In\[2\], line 2, column \d+/);
    assert.match(error.stack, /at explode \(Cell In\[2\]:2:\d+\)/);
    assert.doesNotMatch(error.stack, /out\/kernel\//);
  });

  it('does not run the cells queued after a failing cell', async () => {
    const notebook = await fixtures.open('errors.ipynb');
    const since = await startCells(notebook, [SETUP, THROWS, AFTER_ERROR]);
    const thrower = await waitForCell(codeCell(notebook, THROWS), since);
    assert.equal(thrower.executionSummary?.success, false);
    // The controller ends the skipped cell right after the failure: give that a moment, then look.
    await sleep(1_000);
    const skipped = codeCell(notebook, AFTER_ERROR);
    assert.equal(skipped.outputs.length, 0, 'the skipped cell printed nothing');
    assert.notEqual(skipped.executionSummary?.success, true, 'the skipped cell is not marked a success');
    assert.equal(skipped.executionSummary?.executionOrder, undefined, 'the skipped cell got no execution number');
  });
});
