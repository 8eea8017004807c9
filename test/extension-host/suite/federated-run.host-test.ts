/**
 * A federated run started in a cell shows one live progress output that the
 * kernel replaces after every round, ending with the whole run's bundle.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { RUN_MIME } from '../../../kernel/contract';
import { notebookPerTest, outputItems, runCells, streamText } from './notebooks';

/** Cell index in fixtures/federated-run.ipynb. */
const RUNS_THREE_ROUNDS = 1;

describe('A federated run through the Fedbook controller', () => {
  const fixtures = notebookPerTest();

  it('shows one progress output, updated in place to the completed three-round run', async () => {
    const notebook = await fixtures.open('federated-run.ipynb');
    // Loading MNIST and training on a small machine: minutes, not seconds.
    const [cell] = await runCells(notebook, [RUNS_THREE_ROUNDS], 8 * 60_000);
    assert.equal(cell.executionSummary?.success, true, JSON.stringify(outputItems(cell)));
    const runOutputs = outputItems(cell).filter((items) => items.some((i) => i.mime === RUN_MIME));
    assert.equal(runOutputs.length, 1, 'one run output, replaced after each round rather than added');
    const bundle = JSON.parse(runOutputs[0].find((i) => i.mime === RUN_MIME)!.text) as {
      status: string;
      plannedRounds?: number;
      rounds: Array<{ round: number; trainPaths?: Record<string, { clients: number; note?: string }> }>;
    };
    assert.equal(bundle.status, 'completed');
    assert.equal(bundle.plannedRounds, 3);
    assert.deepEqual(
      bundle.rounds.map((r) => r.round),
      [1, 2, 3],
    );
    assert.match(runOutputs[0].find((i) => i.mime === 'text/plain')?.text ?? '', /round 3\/3/);
    // The packaged kernel brings koffi's addon: without it every client fell back to WASM with this note.
    for (const [path, { note }] of Object.entries(bundle.rounds[0].trainPaths ?? {})) {
      assert.doesNotMatch(note ?? '', /koffi/, `the packaged kernel trained on ${path} because its FFI did not load`);
    }
    assert.match(streamText(cell), /finished 3 rounds/);
  });
});
