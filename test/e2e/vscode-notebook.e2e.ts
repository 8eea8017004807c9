/**
 * End to end in real VS Code: the packaged .vsix installed into code-server,
 * driven in Debian Chromium. Runs a federated notebook with the Fedbook
 * controller, reads the round output and the live chart, interrupts a long
 * run and checks the kernel survives. Screenshots and measurements land in
 * test-results/e2e/.
 *
 * Run: npm run test:e2e   (needs scripts/setup-code-server.sh's toolchain and /usr/bin/chromium)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { ROOT, installExtension, startCodeServer, toolchain, type CodeServer } from './code-server';
import { CHROMIUM_ARGS, fedbookStatus, notebookCells, notebookToolbar, pollFrame, pollFrames, quickOpen, runCommand, waitForKernelIdle } from './workbench';

const RESULTS = join(ROOT, 'test-results', 'e2e');
const EXAMPLE = join(ROOT, 'notebooks', 'mnist-fedavg.ipynb');
const SWEEP_NOTEBOOK = join(ROOT, 'notebooks', 'sweep.ipynb');
const FIXTURES = join(ROOT, 'test', 'e2e', 'fixtures');
/** The notebook under test: the real example when it exists, else the short fixture. */
const NOTEBOOK = process.env.FEDBOOK_E2E_NOTEBOOK ?? (existsSync(EXAMPLE) ? EXAMPLE : join(FIXTURES, 'federated-short.ipynb'));
const NOTEBOOK_NAME = NOTEBOOK.split('/').pop()!;
const RUN_TIMEOUT_MS = Number(process.env.FEDBOOK_E2E_RUN_TIMEOUT_MS ?? 15 * 60_000);

/** The few DOM shapes the page functions use (the project compiles without lib "dom"). */
interface DomElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  data?: Array<{ name: string; x: number[]; y: number[] }>;
}
declare const document: {
  querySelectorAll(selector: string): Iterable<DomElement>;
  getElementById(id: string): DomElement | null;
  body: { innerText: string };
};
declare const window: {
  fedbookChart?: {
    stages: LatencySample[];
    store: { runs(): Array<{ runId: string; label?: string; sweep?: string; rounds: Array<{ round: number; ms: number }> }> };
  };
};

interface RunOutput {
  runId: string;
  rounds: number;
  lastRound: number;
  status: string;
  text: string;
}
/** One shown batch: the legs of its latency (ms), the run and round it brought, and what drew it (the live overlay or plotly). */
type LatencySample = Record<'kernelToHost' | 'hostToPost' | 'postToWebview' | 'webviewToDrawn', number> & {
  runId: string;
  round: number;
  drawnBy: string;
  publishedAt: number;
};
interface ChartRead {
  runIds: string[];
  labels: Record<string, string>;
  rounds: Record<string, number[]>;
  sweeps: Record<string, string | undefined>;
  roundMs: Record<string, number[]>;
  traces: Array<{ name: string; x: number[]; y: number[] }>;
  stages: LatencySample[];
}

/** Median, p95 and max of the total latency and of each leg, over the given samples. */
function summarizeLatency(samples: LatencySample[]): Record<string, unknown> {
  const legs = ['kernelToHost', 'hostToPost', 'postToWebview', 'webviewToDrawn'] as const;
  const total = samples.map((s) => legs.reduce((sum, leg) => sum + s[leg], 0));
  return {
    samples: samples.length,
    median: percentile(total, 50),
    p95: percentile(total, 95),
    max: Math.max(...total),
    drawnByOverlay: samples.filter((s) => s.drawnBy === 'overlay').length,
    legs: Object.fromEntries(
      legs.map((leg) => [
        leg,
        {
          median: percentile(
            samples.map((s) => s[leg]),
            50,
          ),
          p95: percentile(
            samples.map((s) => s[leg]),
            95,
          ),
        },
      ]),
    ),
  };
}

/** In a frame: the Fedbook run outputs rendered by our notebook renderer. */
function readRunOutputs(): RunOutput[] | undefined {
  const nodes = [...document.querySelectorAll('.fedbook-run')];
  return nodes.length > 0
    ? nodes.map((n) => ({
        runId: n.dataset.runId ?? '',
        rounds: Number(n.dataset.rounds),
        lastRound: Number(n.dataset.lastRound),
        status: n.dataset.status ?? '',
        text: n.textContent ?? '',
      }))
    : undefined;
}

/** In a frame: the text of a sweep's live table (the HTML output of fed.sweep). */
function readSweepOutput(): string | undefined {
  const nodes = [...document.querySelectorAll('.fedbook-sweep')];
  return nodes.length > 0 ? (nodes[nodes.length - 1].textContent ?? '') : undefined;
}

/** In a frame: how many figures our plotly renderer has drawn (plotly's SVG inside .fedbook-plotly). */
function countPlotlyFigures(): number {
  return [...document.querySelectorAll('.fedbook-plotly .main-svg')].length;
}

/** In a frame: the round chart's runs, plotted traces and measured latencies. */
function readChart(): ChartRead | undefined {
  const state = window.fedbookChart;
  const chart = document.getElementById('chart');
  if (!state || !chart) return undefined;
  const runs = state.store.runs();
  return {
    runIds: runs.map((r) => r.runId),
    labels: Object.fromEntries(runs.map((r) => [r.runId, r.label ?? ''])),
    rounds: Object.fromEntries(runs.map((r) => [r.runId, r.rounds.map((x) => x.round)])),
    sweeps: Object.fromEntries(runs.map((r) => [r.runId, r.sweep])),
    roundMs: Object.fromEntries(runs.map((r) => [r.runId, r.rounds.map((x) => x.ms)])),
    traces: (chart.data ?? []).map((t) => ({ name: t.name, x: [...t.x], y: [...t.y] })),
    stages: [...state.stages],
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

describe('Fedbook in VS Code (code-server + Chromium)', { timeout: 30 * 60_000 }, () => {
  const started = Date.now();
  const measurements: Record<string, unknown> = { notebook: NOTEBOOK_NAME };
  let work: string;
  let server: CodeServer;
  let browser: Browser;
  let page: Page;
  let chartFrame: Frame | undefined;

  before(async () => {
    mkdirSync(RESULTS, { recursive: true });
    toolchain();
    work = mkdtempSync(join(tmpdir(), 'fedbook-e2e-'));
    const vsix = join(work, 'fedbook.vsix');
    const t0 = Date.now();
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'package-extension.mjs'), '--out', vsix], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    measurements.packageSeconds = (Date.now() - t0) / 1000;
    const dirs = { userDataDir: join(work, 'user-data'), extensionsDir: join(work, 'extensions') };
    const installed = installExtension(vsix, dirs);
    assert.match(installed, /successfully installed/);
    // A fresh workspace per run: outputs written by the editor never reach the fixtures.
    const workspace = join(work, 'workspace');
    mkdirSync(join(workspace, '.vscode'), { recursive: true });
    writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'files.autoSave': 'off' }));
    copyFileSync(NOTEBOOK, join(workspace, NOTEBOOK_NAME));
    copyFileSync(join(FIXTURES, 'interrupt-run.ipynb'), join(workspace, 'interrupt-run.ipynb'));
    copyFileSync(join(FIXTURES, 'paced-run.ipynb'), join(workspace, 'paced-run.ipynb'));
    copyFileSync(SWEEP_NOTEBOOK, join(workspace, 'sweep.ipynb'));
    server = await startCodeServer(dirs);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS } /* a fresh temporary profile per launch */);
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    // Opening a notebook before the extension host is up opens it as JSON: wait for our status item.
    await fedbookStatus(page).waitFor({ timeout: 90_000 });
  });

  /**
   * Kernel publish → point drawn, with its legs (kernel → extension host →
   * posted → webview → drawn), over every sample so far and per named run:
   * the notebook's own run, the long run (several rounds a second) and the
   * paced run load the window differently.
   */
  function recordChartLatency(chart: ChartRead, names: Record<string, string>): void {
    if (chart.stages.length === 0) return;
    writeFileSync(join(RESULTS, 'chart-latency-samples.json'), JSON.stringify(chart.stages.map((s) => ({ ...s, run: names[s.runId] ?? s.runId }))));
    measurements.chartLatencyMs = summarizeLatency(chart.stages);
    // The same after each run's first rounds, while the notebook opens and the kernel starts.
    const steady = chart.stages.filter((s) => s.round > 5);
    if (steady.length > 0) measurements.chartLatencyAfterRound5Ms = summarizeLatency(steady);
    const byRun = (measurements.chartLatencyByRunMs ?? {}) as Record<string, unknown>;
    for (const [id, name] of Object.entries(names)) {
      const samples = chart.stages.filter((s) => s.runId === id);
      if (samples.length > 0) byRun[name] = { ...summarizeLatency(samples), roundMsMedian: percentile(chart.roundMs[id] ?? [], 50) };
    }
    measurements.chartLatencyByRunMs = byRun;
  }

  after(async () => {
    measurements.e2eSeconds = (Date.now() - started) / 1000;
    if (existsSync(RESULTS)) writeFileSync(join(RESULTS, 'measurements.json'), JSON.stringify(measurements, null, 2));
    process.stdout.write(`# e2e measurements ${JSON.stringify(measurements)}\n`);
    await page?.screenshot({ path: join(RESULTS, 'final.png') }).catch(() => undefined);
    await browser?.close().catch(() => undefined);
    if (server) {
      writeFileSync(join(RESULTS, 'code-server.log'), server.log());
      await server.stop();
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('runs every cell of the notebook with the Fedbook controller; the cell output and the chart show each finished round', async () => {
    await quickOpen(page, NOTEBOOK_NAME);
    await notebookCells(page).first().waitFor({ state: 'attached', timeout: 60_000 });
    // Our kernelspec makes the Fedbook controller the preferred one: it is selected without asking.
    await notebookToolbar(page, 'Fedbook (TypeScript)').waitFor({ timeout: 30_000 });
    const t0 = Date.now();
    await runCommand(page, 'Notebook: Run All');
    await page.waitForTimeout(3_000);
    await waitForKernelIdle(page, RUN_TIMEOUT_MS);
    // Outputs render only near the viewport: scroll through the notebook and collect every run output seen.
    const seen = new Map<string, RunOutput>();
    let plotlyFigures = 0;
    await page.mouse.move(600, 500);
    for (let step = 0; step < 40; step++) {
      for (const frame of page.frames()) {
        const runs = await Promise.race([
          frame.evaluate(readRunOutputs).catch(() => undefined),
          new Promise<undefined>((r) => setTimeout(() => r(undefined), 2_000)),
        ]);
        for (const r of runs ?? []) if (r.runId) seen.set(r.runId, r);
        const figures = await Promise.race([frame.evaluate(countPlotlyFigures).catch(() => 0), new Promise<number>((r) => setTimeout(() => r(0), 2_000))]);
        plotlyFigures = Math.max(plotlyFigures, figures);
      }
      await page.mouse.wheel(0, 500);
      await page.waitForTimeout(300);
    }
    // The figure is in the notebook's last code cell: bring the end of the notebook into view and look again.
    await runCommand(page, 'Notebook: Focus Last Cell');
    for (let tries = 0; tries < 20 && plotlyFigures === 0; tries++) {
      await page.waitForTimeout(500);
      for (const frame of page.frames())
        plotlyFigures = Math.max(
          plotlyFigures,
          await Promise.race([frame.evaluate(countPlotlyFigures).catch(() => 0), new Promise<number>((r) => setTimeout(() => r(0), 2_000))]),
        );
    }
    measurements.plotlyFigures = plotlyFigures;
    const outputs = [...seen.values()].sort((a, b) => a.rounds - b.rounds);
    assert.ok(outputs.length > 0, 'the notebook shows a run output');
    // display.plotly's figure is drawn by our plotly renderer (no Jupyter extension here).
    if (NOTEBOOK_NAME === 'mnist-fedavg.ipynb') assert.ok(plotlyFigures > 0, 'the display.plotly figure is drawn');
    measurements.runAllSeconds = (Date.now() - t0) / 1000;
    const errors = await page.locator('.notebookOverlay:visible .codicon-notebook-state-error').count();
    assert.equal(errors, 0, 'no cell ended with an error');
    const run = outputs[outputs.length - 1];
    assert.ok(run.rounds > 0, `the run output shows its rounds (${run.text})`);
    // The headline counts this run's rounds ("round 10/10"), also when the run continues from an earlier state.
    assert.match(run.text, new RegExp(`round ${run.rounds}/`));
    measurements.rounds = run.rounds;
    await page.screenshot({ path: join(RESULTS, 'notebook.png') });

    // The chart opened beside the notebook by itself and holds one point per finished round.
    await page.locator('.tab', { hasText: 'Fedbook: Rounds' }).waitFor({ timeout: 30_000 });
    const found = await pollFrames(page, readChart, (read) => read, 'the round chart webview', 60_000);
    chartFrame = found.frame;
    const chart = await pollFrame(
      chartFrame,
      readChart,
      (read) => (read && read.rounds[run.runId]?.length === run.rounds && read.traces.length === read.runIds.length ? read : undefined),
      `the chart to hold the ${run.rounds} rounds of ${run.runId}`,
      60_000,
    );
    // Rounds are numbered on from the state the run started with (a notebook may step rounds by hand first).
    const expected = Array.from({ length: run.rounds }, (_, i) => run.lastRound - run.rounds + 1 + i);
    assert.deepEqual(chart.rounds[run.runId], expected, 'each round once, in order');
    const trace = chart.traces[chart.runIds.indexOf(run.runId)];
    assert.deepEqual(trace.x, expected, 'one plotted point per finished round');
    assert.ok(
      trace.y.every((y) => y >= 0 && y <= 1),
      'test accuracy values are between 0 and 1',
    );
    await chartFrame.page().screenshot({ path: join(RESULTS, 'notebook-and-chart.png') });
  });

  test('interrupting a long run stops it and the kernel survives with its variables', async () => {
    await quickOpen(page, 'interrupt-run.ipynb');
    await page.locator('.tab.active', { hasText: 'interrupt-run.ipynb' }).waitFor({ timeout: 30_000 });
    await notebookToolbar(page, 'Fedbook (TypeScript)').waitFor({ timeout: 30_000 });
    // FEDBOOK_E2E_CPU_PROFILE=1 saves a CPU profile of the window's renderer during the long run (open it in Chrome's DevTools).
    const profiler = process.env.FEDBOOK_E2E_CPU_PROFILE ? await page.context().newCDPSession(page) : undefined;
    if (profiler) {
      await profiler.send('Profiler.enable');
      await profiler.send('Profiler.start');
    }
    if (process.env.FEDBOOK_E2E_TRACE)
      await browser.startTracing(page, {
        path: join(RESULTS, 'long-run.trace.json'),
        categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'],
      });
    await runCommand(page, 'Notebook: Run All');
    const { value: running } = await pollFrames(
      page,
      readRunOutputs,
      (runs) => runs?.find((r) => r.status === 'running' && r.rounds >= 30),
      'the long run to finish 30 rounds',
      RUN_TIMEOUT_MS,
    );
    if (profiler) writeFileSync(join(RESULTS, 'long-run.cpuprofile'), JSON.stringify((await profiler.send('Profiler.stop')).profile));
    if (process.env.FEDBOOK_E2E_TRACE) await browser.stopTracing();
    const interruptAt = Date.now();
    // The notebook's own Interrupt button, as a user would press it (the command palette if the toolbar hides it).
    const interruptButton = notebookToolbar(page).locator('.action-item [aria-label^="Interrupt"]').first();
    if (await interruptButton.isVisible()) {
      await interruptButton.click();
      measurements.interruptVia = 'toolbar button';
    } else {
      await runCommand(page, 'Notebook: Interrupt');
      measurements.interruptVia = 'command palette';
    }
    const t0 = Date.now();
    // The interrupted cell ends with an error state within seconds, long before its 1,000 rounds.
    await page.locator('.notebookOverlay:visible .codicon-notebook-state-error').first().waitFor({ timeout: 60_000 });
    measurements.interruptSeconds = (Date.now() - t0) / 1000;
    await waitForKernelIdle(page, 60_000);
    const { value: stopped } = await pollFrames(
      page,
      readRunOutputs,
      (runs) => runs?.find((r) => r.runId === running.runId),
      'the interrupted run output',
      10_000,
    );
    assert.ok(stopped.rounds < 1000, `the run stopped early (${stopped.rounds} rounds)`);

    // The next cell runs in the same kernel and sees a variable from before the interrupt.
    const last = notebookCells(page).last();
    await last.scrollIntoViewIfNeeded();
    await last.hover();
    await last.locator('.run-button-container .action-label').first().click();
    await pollFrames(
      page,
      () => document.body.innerText,
      (text) => (text.includes('survivor says 42') ? true : undefined),
      'the last cell to print "survivor says 42"',
      60_000,
    );
    await page.screenshot({ path: join(RESULTS, 'interrupt.png') });

    if (chartFrame) {
      const chart = await pollFrame(chartFrame, readChart, (r) => (r?.rounds[stopped.runId] ? r : undefined), 'the interrupted run on the chart', 30_000);
      assert.equal(chart.traces.length, chart.runIds.length, 'runs are overlaid, one trace each');
      assert.ok(chart.runIds.length >= 2);
      recordChartLatency(chart, { [stopped.runId]: 'long run' });
      // Interrupting can stall the busy window (through the command palette, up to ~3 s), and every round in flight waits: the same run, drawn before that.
      const drawnAt = (s: LatencySample) => s.publishedAt + s.kernelToHost + s.hostToPost + s.postToWebview + s.webviewToDrawn;
      const beforeInterrupt = chart.stages.filter((s) => s.runId === stopped.runId && drawnAt(s) < interruptAt);
      if (beforeInterrupt.length > 0)
        (measurements.chartLatencyByRunMs as Record<string, unknown>)['long run, drawn before the interrupt'] = summarizeLatency(beforeInterrupt);
    }
  });

  test("at the example notebook's pace, the chart shows each round as it is published", async () => {
    assert.ok(chartFrame, 'the chart webview was found by the first test');
    await quickOpen(page, 'paced-run.ipynb');
    await page.locator('.tab.active', { hasText: 'paced-run.ipynb' }).waitFor({ timeout: 30_000 });
    await notebookToolbar(page, 'Fedbook (TypeScript)').waitFor({ timeout: 30_000 });
    await runCommand(page, 'Notebook: Run All');
    const chart = await pollFrame(
      chartFrame,
      readChart,
      (r) => {
        const id = r?.runIds.find((runId) => r.labels[runId] === 'paced run');
        return r && id && r.rounds[id].length === 20 ? r : undefined;
      },
      "the paced run's 20 rounds on the chart",
      RUN_TIMEOUT_MS,
    );
    const runId = chart.runIds.find((id) => chart.labels[id] === 'paced run')!;
    assert.deepEqual(
      chart.rounds[runId],
      Array.from({ length: 20 }, (_, i) => i + 1),
      'each round once, in order',
    );
    assert.ok(
      chart.stages.some((s) => s.runId === runId),
      "the paced run's rounds were timed from kernel publish to drawn point",
    );
    recordChartLatency(chart, { [runId]: 'paced run' });
    await waitForKernelIdle(page, 60_000);
  });

  test('notebooks/sweep.ipynb: one live table for the whole sweep, and the chart draws it as one line per combination with a band', async () => {
    await quickOpen(page, 'sweep.ipynb');
    await page.locator('.tab.active', { hasText: 'sweep.ipynb' }).waitFor({ timeout: 30_000 });
    await notebookCells(page).first().waitFor({ state: 'attached', timeout: 60_000 });
    await notebookToolbar(page, 'Fedbook (TypeScript)').waitFor({ timeout: 30_000 });
    const t0 = Date.now();
    // The toolbar's Run All: opened first, a notebook whose first cell is markdown may not have the editor focus the palette's command needs.
    await notebookToolbar(page).locator('.action-item [aria-label^="Run All"]').first().click();
    const { value: table } = await pollFrames(
      page,
      readSweepOutput,
      (text) => (text?.includes('9 of 9 runs done') ? text : undefined),
      'the sweep table to say 9 of 9 runs done',
      RUN_TIMEOUT_MS,
    );
    await waitForKernelIdle(page, RUN_TIMEOUT_MS);
    measurements.sweepNotebookSeconds = (Date.now() - t0) / 1000;
    assert.match(table, /clientLr.*seed 1.*seed 2.*seed 3.*mean acc/);
    assert.equal((table.match(/done · acc|stopped at round \d/g) ?? []).length, 9, `every cell of the table ended (${table})`);
    const errors = await page.locator('.notebookOverlay:visible .codicon-notebook-state-error').count();
    assert.equal(errors, 0, 'no cell of sweep.ipynb ended with an error');
    await page.screenshot({ path: join(RESULTS, 'sweep.png') });

    // The chart got every run of the sweep from its one output and draws each combination as a mean line over a band.
    const { value: chart } = await pollFrames(
      page,
      readChart,
      (r) => {
        const swept = r ? Object.values(r.sweeps).filter((id) => id !== undefined) : [];
        return r && swept.length === 9 && r.traces.filter((t) => t.name?.includes('(mean of 3 seeds')).length === 3 ? r : undefined;
      },
      "the chart to hold the sweep's 9 runs as 3 banded lines",
      60_000,
    );
    assert.equal(new Set(Object.values(chart.sweeps).filter(Boolean)).size, 1, 'one sweep');
  });
});
