/**
 * The round chart's webview script (extension/webview/chart.ts, bundled with
 * esbuild as the package does) in a real Chromium page with the packaged
 * plotly, a stand-in for VS Code's webview API, and probes for smoothness:
 * animation-frame gaps, long tasks, and the time each draw took.
 * Shared by the chart's browser test and bench/chart-smoothness.
 */
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { RoundMetrics } from '../../../kernel/contract';
import type { ToChart } from '../../../extension/chart/messages';

const ROOT = join(__dirname, '..', '..', '..', '..');

// The page functions below run in the browser; the project compiles without lib "dom", so name what they use.
declare const window: any;
declare const document: any;
declare function requestAnimationFrame(callback: (time: number) => void): number;
declare const BrowserPerformanceObserver: any;
export const CHROMIUM = process.env.FEDBOOK_CHROMIUM ?? '/usr/bin/chromium';

/** True when the browser this harness needs is installed (npm run setup installs it). */
export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

/** What the page measured while it took messages. */
export interface ChartProbe {
  /** Points per trace, as plotly holds them. */
  tracePoints: number[];
  /** Rounds the webview's store holds per run. */
  storedRounds: number[];
  /** Gaps between animation frames, ms. */
  frameGaps: number[];
  /** Long tasks (> 50 ms) seen by PerformanceObserver, ms each. */
  longTasks: number[];
  /** Number of plotly draws (extendTraces or full redraws) and their durations, ms. */
  draws: number[];
  /** What the chart posted back to the extension. */
  posted: Array<{ type: string }>;
}

export interface ChartPage {
  page: Page;
  /** Sends messages to the chart as the extension does (one window message each). */
  send(messages: ToChart[]): Promise<void>;
  probe(): Promise<ChartProbe>;
  /** Clears the recorded gaps, long tasks and draws. */
  resetProbe(): Promise<void>;
  close(): Promise<void>;
}

async function chartScript(): Promise<string> {
  const result = await build({
    entryPoints: [join(ROOT, 'extension', 'webview', 'chart.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

/** Opens the chart in a fresh headless Chromium (one per call). */
export async function openChartPage(viewport = { width: 1200, height: 700 }): Promise<ChartPage> {
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport });
    await page.setContent(`<!DOCTYPE html><html><body class="vscode-dark" style="--vscode-editor-foreground:#ccc;--vscode-editor-background:#1e1e1e">
<div id="toolbar"><select id="metric"></select><button id="open-run"></button><button id="export-png"></button><button id="export-csv"></button><span id="summary"></span></div>
<div id="chart" style="width:100%;height:600px"></div><div id="clients" hidden></div></body></html>`);
    await page.evaluate(() => {
      const w = window as unknown as Record<string, unknown>;
      const posted: unknown[] = [];
      const probe = { frameGaps: [] as number[], longTasks: [] as number[], draws: [] as number[], posted };
      w.__probe = probe;
      w.acquireVsCodeApi = () => ({ postMessage: (m: unknown) => posted.push(m), getState: () => undefined, setState: () => undefined });
      let last = performance.now();
      const frame = (t: number): void => {
        probe.frameGaps.push(t - last);
        last = t;
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
      const Observer = (window as { PerformanceObserver: typeof BrowserPerformanceObserver }).PerformanceObserver;
      new Observer((list: { getEntries(): Array<{ duration: number }> }) => {
        for (const entry of list.getEntries()) probe.longTasks.push(entry.duration);
      }).observe({ entryTypes: ['longtask'] });
    });
    await page.addScriptTag({ path: join(ROOT, 'node_modules', 'plotly.js-dist', 'plotly.js') });
    // Time every plotly draw the chart makes.
    await page.evaluate(() => {
      const w = window as unknown as { Plotly: Record<string, (...args: unknown[]) => unknown>; __probe: { draws: number[] } };
      for (const name of ['extendTraces', 'react']) {
        const original = w.Plotly[name].bind(w.Plotly);
        w.Plotly[name] = (...args: unknown[]) => {
          const t0 = performance.now();
          const result = original(...args);
          w.__probe.draws.push(performance.now() - t0);
          return result;
        };
      }
    });
    await page.addScriptTag({ content: await chartScript() });
    await page.waitForFunction(() => (window as unknown as { __probe: { posted: Array<{ type: string }> } }).__probe.posted.some((m) => m.type === 'ready'));
    return {
      page,
      send: (messages) =>
        page.evaluate((list) => {
          for (const m of list) window.postMessage(m, '*');
        }, messages),
      probe: () =>
        page.evaluate(() => {
          const w = window as unknown as {
            __probe: ChartProbe & { posted: Array<{ type: string }> };
            fedbookChart: { store: { runs(): Array<{ rounds: unknown[] }> } };
          };
          const chart = document.getElementById('chart') as unknown as { data?: Array<{ x: unknown[] }> };
          return {
            tracePoints: (chart.data ?? []).map((t) => t.x.length),
            storedRounds: w.fedbookChart.store.runs().map((r) => r.rounds.length),
            frameGaps: [...w.__probe.frameGaps],
            longTasks: [...w.__probe.longTasks],
            draws: [...w.__probe.draws],
            posted: w.__probe.posted.map((m) => ({ type: m.type })),
          };
        }),
      resetProbe: () =>
        page.evaluate(() => {
          const p = (window as unknown as { __probe: { frameGaps: number[]; longTasks: number[]; draws: number[] } }).__probe;
          p.frameGaps.length = 0;
          p.longTasks.length = 0;
          p.draws.length = 0;
        }),
      close: () => browser.close(),
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/** Round metrics that look like a run's: accuracy rising, loss falling. */
export function syntheticRounds(from: number, count: number): RoundMetrics[] {
  return Array.from({ length: count }, (_, i) => {
    const round = from + i;
    return {
      round,
      testAccuracy: 1 - 0.9 / Math.sqrt(round),
      testLoss: 2 / Math.sqrt(round),
      trainLoss: 2.2 / Math.sqrt(round),
      clients: 10,
      failures: 0,
      bytesDown: 1e6,
      bytesUp: 1e6,
      ms: 50 + (round % 7),
    };
  });
}

/** The first message of a run the chart has not seen. */
export function runStart(runId: string, plannedRounds: number): ToChart {
  return {
    type: 'rounds',
    runId,
    rounds: syntheticRounds(1, 1),
    run: { runId, label: `fedAvg ${runId}`, strategy: 'fedAvg', hyperparameters: { clientLr: 0.1 }, plannedRounds, status: 'running' },
  };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
