/**
 * The text/html fallback of display.plotly in a real browser: the bundle
 * display.plotly emits, dropped into a page that looks like a Jupyter
 * front end (its base URL, require.js's AMD `define`, its scripts run the way
 * classic Notebook's jQuery .html() and JupyterLab run output scripts), with
 * plotly.js served from a kernelspec that `installKernelSpec` really wrote,
 * at the path a Jupyter server serves kernelspec files from.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createDisplay } from '../../../kernel/execution/display';
import { installKernelSpec } from '../../../kernel/cli/install';
import { CHROMIUM, chromiumAvailable } from '../../extension/webview/chart-page';
import { recordingSink } from './recording-sink';

// Page functions run in the browser (the project compiles without lib "dom").
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;

const ORIGIN = 'http://jupyter.test';

/** display.plotly's bundle for a figure, as a cell would emit it. */
function bundleOf(figure: unknown): Record<string, unknown> {
  const sink = recordingSink();
  createDisplay(() => sink).plotly(figure as never);
  const event = sink.events[0];
  assert.equal(event.kind, 'display');
  return (event as { data: Record<string, unknown> }).data;
}

const bars = { data: [{ x: ['a', 'b', 'c'], y: [3, 1, 2], type: 'bar' }], layout: { title: { text: 'Three bars' } } };

test('display.plotly carries text/html beside the plotly JSON and the text line; the html is small', () => {
  const bundle = bundleOf(bars);
  assert.deepEqual(Object.keys(bundle), ['application/vnd.plotly.v1+json', 'text/html', 'text/plain']);
  const html = bundle['text/html'] as string;
  assert.match(
    html,
    /^<div id="fedbook-plotly-[\w-]+" class="fedbook-plotly-fallback">Plotly figure "Three bars": 1 trace \(bar\)<\/div>\n<script type="text\/javascript">/,
  );
  assert.ok(html.includes('kernelspecs/fedbook/plotly.js'), 'loads plotly from the kernelspec');
  // The figure's JSON plus the drawing script and the two theme functions; no plotly inside.
  const overhead = html.length - JSON.stringify(bars).length;
  assert.ok(overhead < 2500, `${overhead} characters besides the figure`);
  process.stdout.write(`# plotly html fallback: ${html.length} characters for a ${JSON.stringify(bars).length}-character figure\n`);
  // Data that would close the script element is escaped.
  const tricky = bundleOf({ data: [{ x: [1], y: [1], name: '</script><b>x</b>' }] })['text/html'] as string;
  assert.equal(tricky.match(/<\/script>/g)?.length, 1);
});

describe('the html fallback drawn in Chromium', {
  skip: chromiumAvailable() ? false : 'Chromium is not installed (npm run setup installs it)',
  timeout: 120_000,
}, () => {
  let browser: Browser;
  let kernelspec: string;
  let plotlyFetches = 0;
  let serveLibrary = true;

  before(async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'fedbook-kernelspec-'));
    kernelspec = installKernelSpec({ kind: 'prefix', prefix });
    assert.ok(statSync(join(kernelspec, 'plotly.js')).size > 1_000_000, 'kernel install put plotly.js beside kernel.json');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] });
  });
  after(async () => {
    await browser?.close();
  });

  /** A page at /notebooks/… whose Jupyter server serves the kernelspec under base URL /base/. */
  async function notebookPage(bodyAttributes: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    await page.route(`${ORIGIN}/**`, async (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/base/notebooks/test.ipynb') {
        await route.fulfill({
          contentType: 'text/html',
          body: `<!DOCTYPE html><html><body ${bodyAttributes}><div id="output" style="width:800px"></div></body></html>`,
        });
      } else if (path === '/base/kernelspecs/fedbook/plotly.js' && serveLibrary) {
        plotlyFetches++;
        await route.fulfill({ contentType: 'application/javascript', body: readFileSync(join(kernelspec, 'plotly.js')) });
      } else {
        await route.fulfill({ status: 404, body: 'not found' });
      }
    });
    await page.goto(`${ORIGIN}/base/notebooks/test.ipynb`);
    // require.js, as classic Notebook has it: an anonymous define() from plotly would throw here.
    await page.evaluate(() => {
      const define = (): void => {
        throw new Error('Mismatched anonymous define() module');
      };
      (define as any).amd = {};
      window.define = define;
      window.require = (): void => {
        throw new Error('require.js require called');
      };
    });
    return page;
  }

  /** Appends an output's html and runs its scripts, as Jupyter front ends do. */
  async function showOutput(page: Page, html: string): Promise<void> {
    await page.evaluate((markup) => {
      document.getElementById('output').appendChild(document.createRange().createContextualFragment(markup));
    }, html);
  }

  /** What plotly drew in the n-th figure: its traces, bars (SVG paths) and themed colours. */
  async function drawn(page: Page, index: number): Promise<{ traces: string[]; bars: number; title: string; font: string; grid: string; paper: string }> {
    await page.waitForFunction((i) => document.querySelectorAll('.fedbook-plotly-fallback')[i]?.querySelector('.main-svg') != null, index, { timeout: 60_000 });
    return page.evaluate((i) => {
      const div = document.querySelectorAll('.fedbook-plotly-fallback')[i];
      return {
        traces: div._fullData.map((t: { type: string }) => t.type),
        bars: div.querySelectorAll('.barlayer .point path').length,
        title: div.querySelector('.gtitle')?.textContent ?? '',
        font: div._fullLayout.font.color,
        grid: div._fullLayout.yaxis.gridcolor,
        paper: div._fullLayout.paper_bgcolor,
      };
    }, index);
  }

  test('classic Notebook: the figure is drawn offline with the kernelspec plotly, once per page', async () => {
    const page = await notebookPage('data-base-url="/base/"');
    const fetchesBefore = plotlyFetches;
    await showOutput(page, bundleOf(bars)['text/html'] as string);
    await showOutput(page, bundleOf({ data: [{ x: [1, 2, 3], y: [2, 4, 3], type: 'scatter' }] })['text/html'] as string);
    const first = await drawn(page, 0);
    assert.deepEqual(first.traces, ['bar']);
    assert.equal(first.bars, 3, 'three bars are drawn');
    assert.equal(first.title, 'Three bars');
    assert.equal(first.paper, '#fff', "no theme variables: plotly's light look, as on classic Notebook's white page");
    assert.deepEqual((await drawn(page, 1)).traces, ['scatter']);
    assert.equal(plotlyFetches - fetchesBefore, 1, 'plotly.js is fetched once for both figures');
    await page.close();
  });

  test("JupyterLab's dark theme: the figure takes the page's text and border colours", async () => {
    const page = await notebookPage('style="--jp-ui-font-color1: rgb(212, 212, 212); --jp-border-color2: rgb(80, 90, 100); --jp-ui-font-family: serif"');
    await page.evaluate(() => {
      const config = document.createElement('script');
      config.id = 'jupyter-config-data';
      config.type = 'application/json';
      config.textContent = JSON.stringify({ baseUrl: '/base/' });
      document.head.appendChild(config);
      document.body.removeAttribute('data-base-url');
    });
    await showOutput(page, bundleOf(bars)['text/html'] as string);
    const figure = await drawn(page, 0);
    assert.equal(figure.font, 'rgb(212, 212, 212)');
    assert.equal(figure.grid, 'rgb(80, 90, 100)');
    assert.equal(figure.paper, 'rgba(0,0,0,0)');
    await page.close();
  });

  test('without the library the summary stays and says how to install it', async () => {
    serveLibrary = false;
    try {
      const page = await notebookPage('data-base-url="/base/"');
      await showOutput(page, bundleOf(bars)['text/html'] as string);
      const text = await page
        .waitForFunction(
          () => {
            const content = document.querySelector('.fedbook-plotly-fallback').textContent as string;
            return content.includes('not drawn') ? content : undefined;
          },
          undefined,
          { timeout: 30_000 },
        )
        .then((handle) => handle.jsonValue());
      assert.equal(
        text,
        `Plotly figure "Three bars": 1 trace (bar)(not drawn: plotly.js did not load from ${ORIGIN}/base/kernelspecs/fedbook/plotly.js: 404 Not Found; \`npx fedbook kernel install\` puts it beside the kernelspec)`,
      );
      await page.close();
    } finally {
      serveLibrary = true;
    }
  });
});
