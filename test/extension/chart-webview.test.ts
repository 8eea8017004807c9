/**
 * The round chart in a real browser: the webview script bundled as packaged,
 * real plotly, fed the way the extension feeds it. Correctness under a
 * 5,000-round run arriving faster than it can draw; the timings (frame gaps,
 * draw times) are printed as diagnostics, not asserted (see
 * bench/chart-smoothness for the table).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromiumAvailable, openChartPage, percentile, runStart, syntheticRounds, type ChartPage } from './chart-page';

const ROUNDS = 5000;

// Page functions run in the browser (the project compiles without lib "dom").
declare const document: { getElementById(id: string): unknown };

describe('round chart webview in Chromium', { skip: chromiumAvailable() ? false : 'Chromium is not installed (npm run setup installs it)', timeout: 300_000 }, () => {
  let chart: ChartPage;
  before(async () => { chart = await openChartPage(); });
  after(async () => { await chart?.close(); });

  test(`draws every one of ${ROUNDS} rounds once, in order, while they arrive faster than it draws`, async () => {
    await chart.send([runStart('long', ROUNDS)]);
    await chart.resetProbe();
    // Ten rounds per message, a message every 5 ms: far faster than a plotly draw.
    for (let from = 2; from <= ROUNDS; from += 10) {
      await chart.send([{ type: 'rounds', runId: 'long', rounds: syntheticRounds(from, Math.min(10, ROUNDS - from + 1)) }]);
      await new Promise((r) => setTimeout(r, 5));
    }
    await chart.page.waitForFunction((n) => {
      const data = (document.getElementById('chart') as unknown as { data?: Array<{ x: unknown[] }> }).data;
      return data?.[0]?.x.length === n;
    }, ROUNDS, { timeout: 120_000 });
    const probe = await chart.probe();
    assert.deepEqual(probe.tracePoints, [ROUNDS]);
    assert.deepEqual(probe.storedRounds, [ROUNDS]);
    const xs = await chart.page.evaluate(() => (document.getElementById('chart') as unknown as { data: Array<{ x: number[] }> }).data[0].x);
    assert.ok(xs.every((x, i) => x === i + 1), 'x holds rounds 1..5000 in order, each once');
    // Draws are coalesced: far fewer draws than the ~500 messages.
    assert.ok(probe.draws.length < 500 / 2, `${probe.draws.length} draws for ~500 messages`);
    process.stdout.write(`# chart 5000 rounds: ${probe.draws.length} draws, draw p50 ${percentile(probe.draws, 50).toFixed(1)} ms p95 ${percentile(probe.draws, 95).toFixed(1)} ms; frame gap p50 ${percentile(probe.frameGaps, 50).toFixed(1)} ms p95 ${percentile(probe.frameGaps, 95).toFixed(1)} ms max ${Math.max(...probe.frameGaps).toFixed(0)} ms; long tasks ${probe.longTasks.length}\n`);
  });

  test('a second run overlays the first, and switching the metric redraws both', async () => {
    await chart.send([runStart('second', 20), { type: 'rounds', runId: 'second', rounds: syntheticRounds(2, 19) }]);
    await chart.page.waitForFunction(() => (document.getElementById('chart') as unknown as { data?: Array<{ x: unknown[] }> }).data?.[1]?.x.length === 20, undefined, { timeout: 30_000 });
    await chart.page.selectOption('#metric', 'trainLoss');
    const traces = await chart.page.waitForFunction(() => {
      const data = (document.getElementById('chart') as unknown as { data?: Array<{ x: number[]; y: number[] }> }).data ?? [];
      return data.length === 2 && data[1].y[0] > 2 ? data.map((t) => ({ n: t.x.length, y0: t.y[0] })) : undefined;
    }, undefined, { timeout: 30_000 }).then((h) => h.jsonValue() as Promise<Array<{ n: number; y0: number }>>);
    assert.deepEqual(traces.map((t) => t.n), [ROUNDS, 20]);
    assert.ok(Math.abs(traces[0].y0 - 2.2) < 1e-9, 'train loss of round 1 is drawn after the switch');
    const posted = (await chart.probe()).posted.map((m) => m.type);
    assert.ok(posted.includes('metric'), 'the metric choice is sent to the extension');
  });
});
