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
declare const window: unknown;

describe('round chart webview in Chromium', {
  skip: chromiumAvailable() ? false : 'Chromium is not installed (npm run setup installs it)',
  timeout: 300_000,
}, () => {
  let chart: ChartPage;
  before(async () => {
    chart = await openChartPage();
  });
  after(async () => {
    await chart?.close();
  });

  test(`draws every one of ${ROUNDS} rounds once, in order, while they arrive faster than it draws`, async () => {
    await chart.send([runStart('long', ROUNDS)]);
    await chart.resetProbe();
    // Ten rounds per message, a message every 5 ms: far faster than a plotly draw.
    for (let from = 2; from <= ROUNDS; from += 10) {
      await chart.send([{ type: 'rounds', runId: 'long', rounds: syntheticRounds(from, Math.min(10, ROUNDS - from + 1)) }]);
      await new Promise((r) => setTimeout(r, 5));
    }
    await chart.page.waitForFunction(
      (n) => {
        const data = (document.getElementById('chart') as unknown as { data?: Array<{ x: unknown[] }> }).data;
        return data?.[0]?.x.length === n;
      },
      ROUNDS,
      { timeout: 120_000 },
    );
    const probe = await chart.probe();
    assert.deepEqual(probe.tracePoints, [ROUNDS]);
    assert.deepEqual(probe.storedRounds, [ROUNDS]);
    const xs = await chart.page.evaluate(() => (document.getElementById('chart') as unknown as { data: Array<{ x: number[] }> }).data[0].x);
    assert.ok(
      xs.every((x, i) => x === i + 1),
      'x holds rounds 1..5000 in order, each once',
    );
    // Draws are coalesced: far fewer draws than the ~500 messages.
    assert.ok(probe.draws.length < 500 / 2, `${probe.draws.length} draws for ~500 messages`);
    process.stdout.write(
      `# chart 5000 rounds: ${probe.draws.length} draws, draw p50 ${percentile(probe.draws, 50).toFixed(1)} ms p95 ${percentile(probe.draws, 95).toFixed(1)} ms; frame gap p50 ${percentile(probe.frameGaps, 50).toFixed(1)} ms p95 ${percentile(probe.frameGaps, 95).toFixed(1)} ms max ${Math.max(...probe.frameGaps).toFixed(0)} ms; long tasks ${probe.longTasks.length}\n`,
    );
  });

  test('a second run overlays the first, and switching the metric redraws both', async () => {
    await chart.send([runStart('second', 20), { type: 'rounds', runId: 'second', rounds: syntheticRounds(2, 19) }]);
    await chart.page.waitForFunction(
      () => (document.getElementById('chart') as unknown as { data?: Array<{ x: unknown[] }> }).data?.[1]?.x.length === 20,
      undefined,
      { timeout: 30_000 },
    );
    await chart.page.selectOption('#metric', 'trainLoss');
    const traces = await chart.page
      .waitForFunction(
        () => {
          const data = (document.getElementById('chart') as unknown as { data?: Array<{ x: number[]; y: number[] }> }).data ?? [];
          return data.length === 2 && data[1].y[0] > 2 ? data.map((t) => ({ n: t.x.length, y0: t.y[0] })) : undefined;
        },
        undefined,
        { timeout: 30_000 },
      )
      .then((h) => h.jsonValue() as Promise<Array<{ n: number; y0: number }>>);
    assert.deepEqual(
      traces.map((t) => t.n),
      [ROUNDS, 20],
    );
    assert.ok(Math.abs(traces[0].y0 - 2.2) < 1e-9, 'train loss of round 1 is drawn after the switch');
    const posted = (await chart.probe()).posted.map((m) => m.type);
    assert.ok(posted.includes('metric'), 'the metric choice is sent to the extension');
  });
});

describe('round chart webview: a live point shows at once', {
  skip: chromiumAvailable() ? false : 'Chromium is not installed (npm run setup installs it)',
  timeout: 120_000,
}, () => {
  let chart: ChartPage;
  before(async () => {
    chart = await openChartPage();
  });
  after(async () => {
    await chart?.close();
  });

  /**
   * In the page: the overlay's pixel (RGBA) where plotly puts a trace's
   * synthetic round (from plotly's own axes), plotly's points and colour for
   * that trace, and what drew each recorded sample of the run.
   */
  function readPoint({ trace, round, runId }: { trace: number; round: number; runId: string }): {
    overlay: number[];
    plotted: number;
    plotlyColour?: string;
    drawnBy: string[];
  } {
    const graph = document.getElementById('chart') as unknown as {
      data: Array<{ x: number[] }>;
      _fullLayout: { xaxis: { l2p(v: number): number }; yaxis: { l2p(v: number): number } };
      _fullData: Array<{ line?: { color?: string } }>;
    };
    const canvas = (
      document as unknown as {
        querySelector(s: string): { getContext(t: string): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
      }
    ).querySelector('.fedbook-live-overlay');
    const scale = (window as unknown as { devicePixelRatio: number }).devicePixelRatio || 1;
    const y = 1 - 0.9 / Math.sqrt(round); // syntheticRounds' test accuracy
    const pixel = canvas
      .getContext('2d')
      .getImageData(Math.round(graph._fullLayout.xaxis.l2p(round) * scale), Math.round(graph._fullLayout.yaxis.l2p(y) * scale), 1, 1).data;
    const stages = (window as unknown as { fedbookChart: { stages: Array<{ runId: string; drawnBy: string }> } }).fedbookChart.stages;
    return {
      overlay: [...pixel],
      plotted: graph.data[trace].x.length,
      plotlyColour: graph._fullData[trace]?.line?.color,
      drawnBy: stages.filter((s) => s.runId === runId).map((s) => s.drawnBy),
    };
  }

  /** Waits until the chart has recorded `count` latency samples for the run (each message with timing gives one when its points show). */
  async function waitForSamples(runId: string, count: number): Promise<void> {
    await chart.page.waitForFunction(
      ({ id, n }) =>
        (window as unknown as { fedbookChart: { stages: Array<{ runId: string }> } }).fedbookChart.stages.filter((s) => s.runId === id).length >= n,
      { id: runId, n: count },
      { timeout: 10_000, polling: 5 },
    );
  }

  /** Waits until plotly holds `count` points of trace `trace`. */
  async function waitForPlotted(trace: number, count: number): Promise<void> {
    await chart.page.waitForFunction(
      ({ t, n }) => (document.getElementById('chart') as unknown as { data?: Array<{ x: unknown[] }> }).data?.[t]?.x.length === n,
      { t: trace, n: count },
      { timeout: 30_000 },
    );
  }

  const timing = () => {
    const now = Date.now();
    return { publishedAt: now, receivedAt: now, postedAt: now };
  };

  test('a round inside the axes is drawn on the overlay when it arrives, and plotly takes it over later', async () => {
    await chart.send([runStart('live', 40), { type: 'rounds', runId: 'live', rounds: syntheticRounds(2, 9) }]);
    await waitForPlotted(0, 10);
    // Let the catch-up draw of rounds 2..10 land, so the next round is the only thing on the overlay.
    await new Promise((r) => setTimeout(r, 1500));
    await chart.send([{ type: 'rounds', runId: 'live', rounds: syntheticRounds(11, 1), timing: timing() }]);
    await waitForSamples('live', 1);
    const shown = await chart.page.evaluate(readPoint, { trace: 0, round: 11, runId: 'live' });
    assert.deepEqual(shown.drawnBy, ['overlay'], 'round 11 was shown by the overlay');
    assert.ok(shown.overlay[3] > 0, 'the overlay has ink where plotly puts round 11');
    assert.equal(shown.plotted, 10, 'plotly has not drawn round 11 yet');
    // Plotly catches up within the catch-up interval and the overlay is cleared.
    await waitForPlotted(0, 11);
    const after = await chart.page.evaluate(readPoint, { trace: 0, round: 11, runId: 'live' });
    assert.equal(after.overlay[3], 0, 'the overlay is clear once plotly has drawn the point');
  });

  test('a round past the end of the round axis widens it through plotly', async () => {
    // Round 11's axis runs to round 16 (a quarter ahead, at least 5): round 30 is outside it.
    await chart.send([{ type: 'rounds', runId: 'live', rounds: syntheticRounds(12, 19), timing: timing() }]);
    await waitForPlotted(0, 30);
    const read = await chart.page.evaluate(readPoint, { trace: 0, round: 30, runId: 'live' });
    assert.deepEqual(read.drawnBy, ['overlay', 'plotly']);
    const range = await chart.page.evaluate(
      () => (document.getElementById('chart') as unknown as { _fullLayout: { xaxis: { range: number[] } } })._fullLayout.xaxis.range,
    );
    assert.ok(range[1] >= 30 && range[1] <= 40.8, `the round axis now ends at ${range[1]}: past round 30, not past the planned 40`);
  });

  test('when the run ends, the round axis fits its rounds again', async () => {
    await chart.send([{ type: 'status', runId: 'live', status: 'completed' }]);
    const range = await chart.page
      .waitForFunction(
        () => {
          const r = (document.getElementById('chart') as unknown as { _fullLayout: { xaxis: { range: number[] } } })._fullLayout.xaxis.range;
          return r[1] < 32 ? r : undefined;
        },
        undefined,
        { timeout: 10_000 },
      )
      .then((h) => h.jsonValue() as Promise<number[]>);
    assert.ok(range[1] >= 30, `the axis still shows round 30 (ends at ${range[1]})`);
  });

  test("a new run's first point shows on the overlay too, in the colour plotly gives it", async () => {
    const run = { runId: 'next', label: 'fedProx next', strategy: 'fedProx', hyperparameters: { mu: 0.01 }, plannedRounds: 40, status: 'running' as const };
    await chart.send([{ type: 'rounds', runId: 'next', rounds: [], run }]);
    await chart.page.waitForFunction(() => (document.getElementById('chart') as unknown as { data?: unknown[] }).data?.length === 2, undefined, {
      timeout: 10_000,
    });
    await chart.send([{ type: 'rounds', runId: 'next', rounds: syntheticRounds(3, 1), timing: timing() }]);
    await waitForSamples('next', 1);
    const shown = await chart.page.evaluate(readPoint, { trace: 1, round: 3, runId: 'next' });
    assert.deepEqual(shown.drawnBy, ['overlay']);
    assert.deepEqual(shown.overlay, [0xff, 0x7f, 0x0e, 255], "the marker is plotly's second trace colour (#ff7f0e)");
    await waitForPlotted(1, 1);
    assert.equal((await chart.page.evaluate(readPoint, { trace: 1, round: 3, runId: 'next' })).plotlyColour, '#ff7f0e', 'plotly drew the run in that colour');
  });
  test('a federated run shows its client states under the chart, updated with each round', async () => {
    const stripHidden = await chart.page.evaluate(() => (document.getElementById('clients') as unknown as { hidden: boolean }).hidden);
    assert.equal(stripHidden, true, 'no strip while only simulations are shown');
    const run = { runId: 'remote', label: 'fedAvg remote', strategy: 'fedAvg', hyperparameters: {}, plannedRounds: 2, status: 'running' as const };
    const states = (slow: 'dropped' | 'rejoined') => [
      { id: 0, name: 'a-fast', state: 'done' as const, trainMs: 10, roundTripMs: 20 },
      { id: 1, name: 'c-slow', state: slow, reason: 'stopped answering' },
    ];
    const listed = () =>
      chart.page.evaluate(() => {
        const element = document.getElementById('clients') as unknown as { hidden: boolean; querySelectorAll(s: string): Array<{ textContent: string }> };
        return element.hidden ? [] : [...element.querySelectorAll('li')].map((li) => li.textContent);
      });
    await chart.send([{ type: 'rounds', runId: 'remote', rounds: [{ ...syntheticRounds(1, 1)[0], clientStates: states('dropped') }], run }]);
    await chart.page.waitForFunction(() => !(document.getElementById('clients') as unknown as { hidden: boolean }).hidden, undefined, { timeout: 10_000 });
    assert.deepEqual(await listed(), ['a-fast done', 'c-slow dropped']);
    await chart.send([{ type: 'rounds', runId: 'remote', rounds: [{ ...syntheticRounds(2, 1)[0], clientStates: states('rejoined') }] }]);
    await chart.page.waitForFunction(
      () => /c-slow rejoined/.test((document.getElementById('clients') as unknown as { textContent: string }).textContent),
      undefined,
      {
        timeout: 10_000,
      },
    );
    assert.deepEqual(await listed(), ['a-fast done', 'c-slow rejoined']);
    // During round 3, before its metrics: the live states the extension forwards.
    await chart.send([{ type: 'clients', runId: 'remote', liveClients: { round: 3, clients: [{ id: 0, name: 'a-fast', state: 'training' }] } }]);
    await chart.page.waitForFunction(
      () => /round 3 \(running\)/.test((document.getElementById('clients') as unknown as { textContent: string }).textContent),
      undefined,
      {
        timeout: 10_000,
      },
    );
    assert.deepEqual(await listed(), ['a-fast training']);
    await chart.send([{ type: 'clients', runId: 'remote' }]);
    await chart.page.waitForFunction(
      () => /c-slow rejoined/.test((document.getElementById('clients') as unknown as { textContent: string }).textContent),
      undefined,
      {
        timeout: 10_000,
      },
    );
  });
});
