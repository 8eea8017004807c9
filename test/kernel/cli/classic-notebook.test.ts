/**
 * display.plotly in classic Jupyter Notebook 6, the front end the issue tried
 * (it showed only the figure's text line): the real `fedbook kernel install`,
 * a real notebook server, the real kernel, Chromium. The figure must be drawn
 * from the text/html fallback with the plotly.js the server serves from the
 * kernelspec, and drawn again when the saved notebook is reopened.
 * Skipped where Debian's jupyter-notebook is not installed (npm run setup installs it).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM, chromiumAvailable } from '../../extension/webview/chart-page';

// Page functions run in the browser (the project compiles without lib "dom").
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const Jupyter: any;

const ROOT = join(__dirname, '..', '..', '..', '..');
const NOTEBOOK_SERVER = '/usr/bin/jupyter-notebook';
const skip = !existsSync(NOTEBOOK_SERVER)
  ? 'jupyter-notebook (classic Notebook 6) is not installed (npm run setup installs it)'
  : !chromiumAvailable()
    ? 'Chromium is not installed (npm run setup installs it)'
    : false;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('display.plotly in classic Jupyter Notebook', { skip, timeout: 240_000 }, () => {
  let server: ChildProcess;
  let browser: Browser;
  let url: string;

  before(async () => {
    const home = mkdtempSync(join(tmpdir(), 'fedbook-classic-'));
    const data = join(home, 'data');
    const notebooks = join(home, 'notebooks');
    mkdirSync(notebooks);
    const env = { ...process.env, JUPYTER_DATA_DIR: data, JUPYTER_CONFIG_DIR: join(home, 'config'), JUPYTER_RUNTIME_DIR: join(home, 'runtime') };
    const install = spawnSync(process.execPath, [join(ROOT, 'bin', 'fedbook.js'), 'kernel', 'install', '--user'], { env, encoding: 'utf8' });
    assert.equal(install.status, 0, install.stderr);
    assert.ok(existsSync(join(data, 'kernels', 'fedbook', 'plotly.js')), 'kernel install wrote plotly.js beside kernel.json');
    writeFileSync(
      join(notebooks, 'plot.ipynb'),
      JSON.stringify({
        cells: [
          {
            cell_type: 'code',
            execution_count: null,
            metadata: {},
            outputs: [],
            source: ["display.plotly({ data: [{ x: ['a', 'b', 'c'], y: [3, 1, 2], type: 'bar' }], layout: { title: { text: 'Three bars' } } })"],
          },
        ],
        metadata: { kernelspec: { display_name: 'Fedbook (TypeScript)', language: 'typescript', name: 'fedbook' } },
        nbformat: 4,
        nbformat_minor: 5,
      }),
    );
    const port = await freePort();
    server = spawn(
      NOTEBOOK_SERVER,
      [
        '--no-browser',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--port-retries',
        '0',
        '--NotebookApp.token=',
        '--NotebookApp.password=',
        '--allow-root',
        '--notebook-dir',
        notebooks,
      ],
      { env, stdio: 'ignore' },
    );
    url = `http://127.0.0.1:${port}`;
    for (let tries = 0; ; tries++) {
      const up = await fetch(`${url}/api/status`).then(
        (response) => response.ok,
        () => false,
      );
      if (up) break;
      if (tries > 100) throw new Error('the notebook server did not start');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] });
  });

  after(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      // SIGTERM: the server shuts its kernels down before it exits.
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
  });

  test('the figure is drawn from the html fallback, and again when the saved notebook is reopened', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(`${url}/notebooks/plot.ipynb`);
    // biome-ignore lint/complexity/useOptionalChain: an undeclared global throws on `?.`; typeof does not
    await page.waitForFunction(() => typeof Jupyter !== 'undefined' && Jupyter.notebook?.kernel?.is_connected(), undefined, { timeout: 60_000 });
    await page.evaluate(() => Jupyter.notebook.execute_all_cells());
    await page.waitForSelector('.fedbook-plotly-fallback .main-svg', { timeout: 90_000 });
    const figure = await page.evaluate(() => {
      const div = document.querySelector('.fedbook-plotly-fallback');
      return {
        traces: div._fullData.map((trace: { type: string }) => trace.type),
        bars: div.querySelectorAll('.barlayer .point path').length,
        title: div.querySelector('.gtitle')?.textContent,
        mimeTypes: Object.keys(Jupyter.notebook.get_cell(0).output_area.outputs[0].data),
      };
    });
    assert.deepEqual(figure, { traces: ['bar'], bars: 3, title: 'Three bars', mimeTypes: ['application/vnd.plotly.v1+json', 'text/html', 'text/plain'] });

    await page.evaluate(() => Jupyter.notebook.save_notebook());
    await page.waitForFunction(() => !Jupyter.notebook.dirty, undefined, { timeout: 10_000 });
    await page.reload();
    await page.waitForSelector('.fedbook-plotly-fallback .main-svg', { timeout: 60_000 });
    assert.equal(
      await page.evaluate(() => document.querySelectorAll('.fedbook-plotly-fallback .barlayer .point path').length),
      3,
      'redrawn from the saved notebook',
    );
    await page.close();
  });
});
