/**
 * The round chart draws the seeds of one sweep combination as a mean line
 * with a min–max band, in a real browser (the webview script bundled as
 * packaged, real plotly), for loaded runs and for live rounds.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromiumAvailable, openChartPage, type ChartPage } from './chart-page';
import type { RoundMetrics } from '../../../kernel/contract';
import type { ChartRun } from '../../../extension/chart/chart-data';

declare const document: { getElementById(id: string): unknown; querySelectorAll(selector: string): ArrayLike<{ getAttribute(name: string): string | null }> };

const round = (n: number, testAccuracy: number): RoundMetrics => ({
  round: n,
  testAccuracy,
  trainLoss: 1,
  clients: 10,
  failures: 0,
  bytesDown: 0,
  bytesUp: 0,
  ms: 10,
});
const run = (runId: string, seed: number, accuracies: number[], sweep?: string): ChartRun => ({
  runId,
  label: `fedAvg lr=0.1 seed ${seed}`,
  strategy: 'fedAvg',
  hyperparameters: { clientLr: 0.1 },
  seed,
  ...(sweep ? { sweep } : {}),
  plannedRounds: 3,
  status: 'completed',
  rounds: accuracies.map((a, i) => round(i + 1, a)),
});

interface Drawn {
  traces: Array<{ name?: string; fill?: string; y: number[] }>;
  fills: string[];
}

/** In the page: plotly's traces and the `d` of every band fill it drew. */
function readChart(): Drawn {
  const data = (document.getElementById('chart') as { data?: Array<{ name?: string; fill?: string; y: number[] }> }).data ?? [];
  const fills = Array.from(document.querySelectorAll('.scatterlayer path.js-fill')).map((p) => p.getAttribute('d') ?? '');
  return { traces: data.map((t) => ({ name: t.name, fill: t.fill, y: [...t.y] })), fills };
}

describe('round chart webview: bands over seeds', {
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

  test('two seeds of a sweep: a filled band from the lower seed to the higher, and their mean; a run outside the sweep stays a line', async () => {
    await chart.send([{ type: 'runs', runs: [run('s1', 1, [0.5, 0.6, 0.7], 'sw'), run('s2', 2, [0.7, 0.8, 0.9], 'sw'), run('alone', 3, [0.2, 0.3, 0.4])] }]);
    await chart.page.waitForFunction(() => (document.getElementById('chart') as { data?: unknown[] }).data?.length === 4, undefined, { timeout: 30_000 });
    const drawn = await chart.page.evaluate(readChart);
    assert.equal(drawn.traces.length, 4);
    const [lower, upper, mean, alone] = drawn.traces;
    assert.deepEqual(lower.y, [0.5, 0.6, 0.7]);
    assert.deepEqual(upper.y, [0.7, 0.8, 0.9]);
    assert.equal(upper.fill, 'tonexty');
    assert.deepEqual(
      mean.y.map((v) => Math.round(v * 100) / 100),
      [0.6, 0.7, 0.8],
    );
    assert.equal(mean.name, 'fedAvg clientLr=0.1 (mean of 2 seeds, band min–max)');
    assert.equal(alone.name, 'fedAvg lr=0.1 seed 3');
    assert.ok(
      drawn.fills.some((d) => d.length > 10 && d.endsWith('Z')),
      `plotly drew a closed band fill (${JSON.stringify(drawn.fills)})`,
    );
  });

  test('a live round of a banded seed redraws the band and the mean', async () => {
    await chart.send([
      {
        type: 'rounds',
        runId: 's1',
        rounds: [round(4, 0.9)],
        run: {
          runId: 's1',
          label: 'fedAvg lr=0.1 seed 1',
          strategy: 'fedAvg',
          hyperparameters: { clientLr: 0.1 },
          seed: 1,
          sweep: 'sw',
          plannedRounds: 4,
          status: 'running',
        },
      },
    ]);
    const mean = await chart.page
      .waitForFunction(
        () => {
          const data = (document.getElementById('chart') as { data?: Array<{ y: number[] }> }).data ?? [];
          return data.length === 4 && data[2].y.length === 4 ? [...data[2].y] : undefined;
        },
        undefined,
        { timeout: 30_000 },
      )
      .then((h) => h.jsonValue() as Promise<number[]>);
    assert.equal(mean[3], 0.9, 'round 4 has one seed so far: its mean is that seed');
  });
});
