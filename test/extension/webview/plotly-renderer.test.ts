/**
 * The plotly notebook renderer (extension/webview/plotly-renderer.ts, bundled
 * with esbuild as the package bundles it, plotly in its own chunk) in a real
 * Chromium page that carries VS Code's theme the way a notebook webview does:
 * a vscode-dark / vscode-light class on the body and --vscode-* colours.
 * The figure takes the theme's colours and is redrawn when the theme changes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM, chromiumAvailable } from './chart-page';

// Page functions run in the browser (the project compiles without lib "dom").
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;

const ROOT = join(__dirname, '..', '..', '..', '..');
const ORIGIN = 'http://renderer.test';
const DARK = '--vscode-editor-foreground: rgb(204, 204, 204); --vscode-editorWidget-border: rgb(69, 69, 69); --vscode-font-family: monospace';
const LIGHT = '--vscode-editor-foreground: rgb(51, 51, 51); --vscode-editorWidget-border: rgb(200, 200, 200); --vscode-font-family: monospace';

interface Look {
  font: string;
  grid: string;
  paper: string;
  title: string;
}

describe('plotly renderer follows the VS Code theme', {
  skip: chromiumAvailable() ? false : 'Chromium is not installed (npm run setup installs it)',
  timeout: 120_000,
}, () => {
  let browser: Browser;
  let page: Page;

  before(async () => {
    const bundle = await build({
      entryPoints: { 'plotly-renderer': join(ROOT, 'extension', 'webview', 'plotly-renderer.ts') },
      bundle: true,
      write: false,
      outdir: '/renderer',
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      logLevel: 'silent',
    });
    const files = new Map(bundle.outputFiles.map((file) => [file.path.replace('/renderer', ''), file.text]));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] });
    page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    await page.route(`${ORIGIN}/**`, async (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/notebook.html') {
        await route.fulfill({
          contentType: 'text/html',
          body: `<!DOCTYPE html><html><body class="vscode-dark" style="${DARK}"><div id="a" style="width:700px"></div><div id="b" style="width:700px"></div></body></html>`,
        });
      } else if (files.has(path)) {
        await route.fulfill({ contentType: 'application/javascript', body: files.get(path)! });
      } else {
        await route.fulfill({ status: 404, body: 'not found' });
      }
    });
    await page.goto(`${ORIGIN}/notebook.html`);
    // A module script, as VS Code loads renderers (tsc would turn an import() here into require()).
    await page.addScriptTag({ type: 'module', content: `import { activate } from '${ORIGIN}/plotly-renderer.js'; window.renderer = activate({});` });
    await page.waitForFunction(() => window.renderer !== undefined);
  });
  after(async () => {
    await browser?.close();
  });

  function render(id: string, figure: unknown): Promise<void> {
    return page.evaluate(
      ({ id, figure }) =>
        window.renderer.renderOutputItem({ id, mime: 'application/vnd.plotly.v1+json', json: () => figure, text: () => '' }, document.getElementById(id)),
      { id, figure },
    );
  }

  function look(id: string): Promise<Look> {
    return page.evaluate((id) => {
      const div = document.querySelector(`#${id} .fedbook-plotly`);
      return {
        font: div._fullLayout.font.color,
        grid: div._fullLayout.yaxis.gridcolor,
        paper: div._fullLayout.paper_bgcolor,
        title: div._fullLayout.title.font.color,
      };
    }, id);
  }

  test('dark theme colours, a transparent background; a colour the figure sets itself wins', async () => {
    await render('a', { data: [{ x: [1, 2, 3], y: [1, 3, 2], type: 'scatter' }], layout: { title: { text: 'loss' } } });
    await render('b', { data: [{ x: [1, 2], y: [2, 1], type: 'bar' }], layout: { title: { text: 'mine', font: { color: 'rgb(255, 0, 0)' } } } });
    assert.deepEqual(await look('a'), { font: 'rgb(204, 204, 204)', grid: 'rgb(69, 69, 69)', paper: 'rgba(0,0,0,0)', title: 'rgb(204, 204, 204)' });
    assert.deepEqual(await look('b'), { font: 'rgb(204, 204, 204)', grid: 'rgb(69, 69, 69)', paper: 'rgba(0,0,0,0)', title: 'rgb(255, 0, 0)' });
  });

  test('switching to a light theme redraws every figure in the new colours', async () => {
    await page.evaluate((light) => {
      document.body.setAttribute('style', light);
      document.body.className = 'vscode-light';
    }, LIGHT);
    await page.waitForFunction(() => document.querySelector('#a .fedbook-plotly')._fullLayout.font.color === 'rgb(51, 51, 51)', undefined, { timeout: 10_000 });
    assert.deepEqual(await look('a'), { font: 'rgb(51, 51, 51)', grid: 'rgb(200, 200, 200)', paper: 'rgba(0,0,0,0)', title: 'rgb(51, 51, 51)' });
    assert.deepEqual(await look('b'), { font: 'rgb(51, 51, 51)', grid: 'rgb(200, 200, 200)', paper: 'rgba(0,0,0,0)', title: 'rgb(255, 0, 0)' });
  });
});
