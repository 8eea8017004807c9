/**
 * A sweep in the real kernel process, driven by the Jupyter client: the cell
 * publishes one display for the whole sweep (no output per run), replaced in
 * place with update_display_data as its runs go, and its last update holds
 * every run of the grid, done, for the chart to band.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectKernel, type KernelClient } from '../../kernel/protocol/client';
import { launchKernel, type LaunchedKernel } from '../../kernel/cli/launch-kernel';
import { RUN_MIME, SWEEP_MIME, type SweepBundle } from '../../kernel/contract';

let kernel: LaunchedKernel;
let client: KernelClient;
before(async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'fedbook-sweep-kernel-'));
  const { FEDBOOK_RUNS_DIR: _ignored, ...env } = process.env;
  kernel = await launchKernel({ cwd, env });
  client = await connectKernel(kernel.connection);
});
after(async () => {
  await client?.close();
  await kernel?.kill();
});

test('a sweep shows one live output, a table of combinations × seeds updated in place, holding every run', async () => {
  const { reply, iopub } = await client.execute(
    [
      'const { train, test } = await fed.datasets.mnist({ trainLimit: 600, testLimit: 100, subsetSeed: 2 });',
      "const clients = fed.partition(train, { clients: 6, scheme: 'iid', seed: 3 });",
      'const sweep = await fed.sweep({',
      "  algorithm: fed.fedAvg, base: { model: fed.models.mlp({ hidden: [8] }), clientsPerRound: 2, workers: 1, backend: 'wasm' },",
      '  grid: { clientLr: [0.05, 0.1] }, seeds: [1, 2], run: { rounds: 2, clients, evaluate: test },',
      '});',
      'sweep.runs.length',
    ].join('\n'),
  );
  assert.equal((reply.content as { status: string }).status, 'ok', JSON.stringify(reply.content));
  const displays = iopub.filter((m) => m.header.msg_type === 'display_data');
  const updates = iopub.filter((m) => m.header.msg_type === 'update_display_data');
  assert.equal(displays.length, 1, 'one output for the whole sweep');
  const displayId = (displays[0].content as { transient: { display_id: string } }).transient.display_id;
  assert.match(displayId, /^fedbook-sweep-sweep-/);
  assert.ok(updates.length >= 2, `updated in place (${updates.length} updates)`);
  assert.ok(updates.every((m) => (m.content as { transient: { display_id: string } }).transient.display_id === displayId));
  assert.ok(
    iopub.every((m) => !(m.content as { data?: Record<string, unknown> }).data?.[RUN_MIME]),
    'no output of its own for any run',
  );

  const first = (displays[0].content as { data: Record<string, unknown> }).data;
  assert.match(String(first['text/plain']), /^sweep sweep-\S+: 0 of 4 runs done · 4 pending/);
  const seen = updates.map((m) => String((m.content as { data: Record<string, unknown> }).data['text/plain']));
  assert.ok(
    seen.some((text) => /round \d\/2 · acc/.test(text)),
    'a running cell shows its round',
  );
  const last = (updates[updates.length - 1].content as { data: Record<string, unknown> }).data;
  const bundle = last[SWEEP_MIME] as SweepBundle;
  assert.equal(bundle.status, 'ended');
  assert.deepEqual(
    bundle.runs.map((run) => [run.combination, run.seed, run.status, run.rounds.length, run.sweep]),
    [
      [0, 1, 'completed', 2, bundle.sweepId],
      [0, 2, 'completed', 2, bundle.sweepId],
      [1, 1, 'completed', 2, bundle.sweepId],
      [1, 2, 'completed', 2, bundle.sweepId],
    ],
  );
  const text = String(last['text/plain']).split('\n');
  assert.match(text[0], /: 4 of 4 runs done · [\d.]+ s in all$/);
  assert.equal(text[1].replace(/ +/g, ' '), 'clientLr seed 1 seed 2 mean acc');
  assert.match(text[2], /^0\.05 +done · acc 0\.\d+ +done · acc 0\.\d+ +0\.\d+$/);
  assert.match(String(last['text/html']), /^<div class="fedbook-sweep"><b>sweep /);
});
