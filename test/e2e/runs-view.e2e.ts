/**
 * End to end in real VS Code: the runs view of the packaged .vsix in
 * code-server, driven in Chromium, over run records already in the
 * workspace's .fedbook/runs (no kernel needed): the view lists a sweep and a
 * run outside it with their states, and selecting the sweep opens the round
 * chart with its seeds drawn as a mean line and a min–max band. A screenshot
 * lands in test-results/e2e/runs-view.png.
 *
 * Run: npm run test:e2e   (needs scripts/setup-code-server.sh's toolchain and /usr/bin/chromium)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, installExtension, startCodeServer, toolchain, type CodeServer } from './code-server';
import { CHROMIUM_ARGS, fedbookStatus, pollFrames, runCommand } from './workbench';

const RESULTS = join(ROOT, 'test-results', 'e2e');

declare const document: { getElementById(id: string): { data?: Array<{ name?: string; fill?: string; y: number[] }> } | null };

/** In a frame: the round chart's plotted traces (name, fill, y). */
function readTraces(): Array<{ name?: string; fill?: string; y: number[] }> | undefined {
  const data = document.getElementById('chart')?.data;
  return data?.map((t) => ({ name: t.name, fill: t.fill, y: [...t.y] }));
}

/** A finished record (or, without `end`, one whose process died): config, one line per round, end. */
function record(runId: string, seed: number, accuracies: number[], end: string | undefined, sweep?: string): string {
  const lines: unknown[] = [
    {
      type: 'config',
      runId,
      label: 'fedAvg E=1 B=10 lr=0.1',
      strategy: 'fedAvg',
      hyperparameters: { clientLr: 0.1, seed },
      seed,
      backend: 'wasm',
      workers: 1,
      version: '0.1.0',
      startedAt: `2026-11-25T10:0${seed}:00Z`,
      plannedRounds: 3,
      ...(sweep ? { sweep } : {}),
    },
    ...accuracies.map((testAccuracy, i) => ({
      type: 'round',
      round: i + 1,
      testAccuracy,
      trainLoss: 1,
      clients: 2,
      failures: 0,
      bytesDown: 0,
      bytesUp: 0,
      ms: 5,
    })),
    ...(end ? [{ type: 'end', status: end, endedAt: '2026-11-25T10:10:00Z' }] : []),
  ];
  return lines.map((line) => JSON.stringify(line)).join('\n') + '\n';
}

describe('Fedbook runs view in VS Code (code-server + Chromium)', { timeout: 10 * 60_000 }, () => {
  let work: string;
  let server: CodeServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    mkdirSync(RESULTS, { recursive: true });
    toolchain();
    work = mkdtempSync(join(tmpdir(), 'fedbook-e2e-runs-'));
    const vsix = join(work, 'fedbook.vsix');
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'package-extension.mjs'), '--out', vsix], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    const dirs = { userDataDir: join(work, 'user-data'), extensionsDir: join(work, 'extensions') };
    assert.match(installExtension(vsix, dirs), /successfully installed/);
    const workspace = join(work, 'workspace');
    const runs = join(workspace, '.fedbook', 'runs');
    mkdirSync(runs, { recursive: true });
    mkdirSync(join(workspace, '.vscode'), { recursive: true });
    writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'files.autoSave': 'off' }));
    writeFileSync(join(runs, 'e2e-seed1.jsonl'), record('e2e-seed1', 1, [0.5, 0.6, 0.7], 'completed', 'sweep-e2e'));
    writeFileSync(join(runs, 'e2e-seed2.jsonl'), record('e2e-seed2', 2, [0.7, 0.8, 0.9], 'completed', 'sweep-e2e'));
    writeFileSync(join(runs, 'e2e-killed.jsonl'), record('e2e-killed', 3, [0.4], undefined));
    // Its process died ten minutes ago: the record stopped growing then.
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
    utimesSync(join(runs, 'e2e-killed.jsonl'), tenMinutesAgo, tenMinutesAgo);
    server = await startCodeServer(dirs);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    await fedbookStatus(page).waitFor({ timeout: 90_000 });
  });

  after(async () => {
    await page?.screenshot({ path: join(RESULTS, 'runs-view.png') }).catch(() => undefined);
    await browser?.close().catch(() => undefined);
    if (server) {
      writeFileSync(join(RESULTS, 'runs-view-code-server.log'), server.log());
      await server.stop();
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('lists the sweep and the killed run; selecting the sweep charts its seeds as a band, selecting a run charts it alone', async () => {
    await runCommand(page, 'Fedbook: Focus on Runs View');
    const sweepRow = page.locator('.monaco-list-row', { hasText: 'Sweep sweep-e2e' }).first();
    await sweepRow.waitFor({ timeout: 60_000 });
    const killedRow = page.locator('.monaco-list-row', { hasText: '1/3 rounds' }).first();
    await killedRow.waitFor({ timeout: 30_000 });
    assert.match(await killedRow.innerText(), /acc 0\.400 · interrupted/, 'a record without an end line, no longer written, is interrupted');

    // A sweep starts collapsed: a click opens it and charts all of its runs.
    await sweepRow.click();
    const seed2 = page.locator('.monaco-list-row', { hasText: 'seed 2' }).first();
    await seed2.waitFor({ timeout: 30_000 });
    assert.match(await seed2.innerText(), /3\/3 rounds · acc 0\.900 · completed/);
    const { value: traces } = await pollFrames(page, readTraces, (t) => (t && t.length === 3 ? t : undefined), 'the chart to draw the sweep', 60_000);
    assert.deepEqual(traces[0].y, [0.5, 0.6, 0.7]);
    assert.equal(traces[1].fill, 'tonexty');
    assert.deepEqual(traces[1].y, [0.7, 0.8, 0.9]);
    assert.equal(traces[2].name, 'fedAvg clientLr=0.1 (mean of 2 seeds, band min–max)');

    // Selecting one run shows exactly that run.
    await killedRow.click();
    const { value: alone } = await pollFrames(page, readTraces, (t) => (t && t.length === 1 ? t : undefined), 'the chart to show the one run', 60_000);
    assert.deepEqual(alone[0].y, [0.4]);
  });
});
