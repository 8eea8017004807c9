/**
 * The round chart under long runs, in headless Chromium: the webview script
 * as packaged with real plotly, fed a run far faster than it can draw (ten
 * rounds per message, a message every 5 ms), like a 5,000-round run of a small model.
 * Prints per run length: draws made, draw time, animation-frame gaps and
 * long tasks while the rounds arrive, and how soon each message's points
 * showed (on the live overlay, or by a plotly draw). Timings are never asserted.
 *
 *   node out/bench/chart-smoothness.js [--rounds 1000,5000,10000] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { openChartPage, percentile, runStart, syntheticRounds } from '../test/extension/webview/chart-page';

interface SmoothnessRow {
  rounds: number;
  messages: number;
  draws: number;
  drawP50Ms: number;
  drawP95Ms: number;
  frameGapP50Ms: number;
  frameGapP95Ms: number;
  frameGapMaxMs: number;
  longTasks: number;
  feedSeconds: number;
  /** Messages whose points the live overlay showed at once (the rest waited for a plotly draw). */
  overlayShare: number;
  /** From a message's arrival in the webview to its points drawn, ms. */
  shownP50Ms: number;
  shownP95Ms: number;
}

async function measure(rounds: number): Promise<SmoothnessRow> {
  const chart = await openChartPage();
  try {
    await chart.send([runStart('bench', rounds)]);
    await chart.resetProbe();
    const t0 = Date.now();
    let messages = 0;
    for (let from = 2; from <= rounds; from += 10) {
      const now = Date.now();
      await chart.send([
        {
          type: 'rounds',
          runId: 'bench',
          rounds: syntheticRounds(from, Math.min(10, rounds - from + 1)),
          timing: { publishedAt: now, receivedAt: now, postedAt: now },
        },
      ]);
      messages++;
      await new Promise((r) => setTimeout(r, 5));
    }
    await chart.page.waitForFunction(
      (n) =>
        (globalThis as unknown as { document: { getElementById(id: string): { data?: Array<{ x: unknown[] }> } } }).document.getElementById('chart').data?.[0]
          ?.x.length === n,
      rounds,
      { timeout: 300_000 },
    );
    const feedSeconds = (Date.now() - t0) / 1000;
    const probe = await chart.probe();
    const stages = await chart.page.evaluate(() =>
      (globalThis as unknown as { fedbookChart: { stages: Array<{ webviewToDrawn: number; drawnBy: string }> } }).fedbookChart.stages.map((s) => ({
        ms: s.webviewToDrawn,
        overlay: s.drawnBy === 'overlay',
      })),
    );
    const shown = stages.map((s) => s.ms);
    return {
      rounds,
      messages,
      draws: probe.draws.length,
      drawP50Ms: percentile(probe.draws, 50),
      drawP95Ms: percentile(probe.draws, 95),
      frameGapP50Ms: percentile(probe.frameGaps, 50),
      frameGapP95Ms: percentile(probe.frameGaps, 95),
      frameGapMaxMs: Math.max(...probe.frameGaps),
      longTasks: probe.longTasks.length,
      feedSeconds,
      overlayShare: stages.filter((s) => s.overlay).length / Math.max(1, stages.length),
      shownP50Ms: percentile(shown, 50),
      shownP95Ms: percentile(shown, 95),
    };
  } finally {
    await chart.close();
  }
}

function formatTable(rows: SmoothnessRow[]): string {
  const header = [
    'rounds',
    'messages',
    'draws',
    'draw p50 ms',
    'draw p95 ms',
    'frame gap p50 ms',
    'frame gap p95 ms',
    'frame gap max ms',
    'long tasks',
    'feed s',
    'shown by overlay',
    'arrival → shown p50 ms',
    'p95 ms',
  ];
  const lines = rows.map((r) =>
    [
      r.rounds,
      r.messages,
      r.draws,
      r.drawP50Ms.toFixed(1),
      r.drawP95Ms.toFixed(1),
      r.frameGapP50Ms.toFixed(1),
      r.frameGapP95Ms.toFixed(1),
      r.frameGapMaxMs.toFixed(0),
      r.longTasks,
      r.feedSeconds.toFixed(1),
      `${(100 * r.overlayShare).toFixed(0)}%`,
      r.shownP50Ms.toFixed(0),
      r.shownP95Ms.toFixed(0),
    ].map(String),
  );
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...lines.map((l) => `| ${l.join(' | ')} |`)].join('\n');
}

async function main(): Promise<void> {
  const index = process.argv.indexOf('--rounds');
  const sizes = (index >= 0 ? process.argv[index + 1] : '1000,5000,10000').split(',').map(Number);
  const rows: SmoothnessRow[] = [];
  for (const rounds of sizes) rows.push(await measure(rounds));
  process.stdout.write(`${formatTable(rows)}\n`);
  const json = process.argv.indexOf('--json');
  if (json >= 0 && process.argv[json + 1]) writeFileSync(process.argv[json + 1], JSON.stringify(rows, null, 2));
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : error}\n`);
    process.exit(1);
  });
}
