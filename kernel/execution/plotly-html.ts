/**
 * The `text/html` fallback of `display.plotly`, for front ends without a
 * plotly renderer (classic Jupyter Notebook, JupyterLab without the plotly
 * extension): a div with the figure's one-line summary and a small script that
 * draws the figure there with plotly.js, offline.
 *
 * plotly.js is not inlined (4.8 MB minified per figure, 2 MB even gzipped and
 * base64'd): `fedbook kernel install` puts it beside the kernelspec, and every
 * Jupyter server serves a kernelspec's files at
 * `<base url>kernelspecs/<name>/<file>` (the handler that serves kernel
 * logos), so the script fetches it from the same server the notebook came
 * from, once per page. Each output stays about 2 KB plus the figure's data,
 * and a notebook saved with such outputs still draws when reopened.
 */
import { transformSync } from 'esbuild';
import { readThemeColors, themedLayout } from './plotly-theme';

/** The kernelspec directory name that `fedbook kernel install` writes. */
export const KERNELSPEC_NAME = 'fedbook';
/** plotly.js's file name inside the kernelspec directory. */
export const PLOTLY_ASSET = 'plotly.js';

/** The plotly figure as display.plotly sends it. */
export interface FallbackFigure {
  data: unknown[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

// The page function below runs in the browser; the kernel compiles without lib "dom".
// biome-ignore lint/suspicious/noExplicitAny: browser globals, typed by the DOM lib this realm does not load
declare const window: any;
// biome-ignore lint/suspicious/noExplicitAny: as above
declare const document: any;
declare function getComputedStyle(element: unknown): { getPropertyValue(name: string): string };

/**
 * Runs in the page: loads plotly.js once (from `window.Plotly` if the page
 * has it, else from the kernelspec through the Jupyter server), then draws
 * the figure in the div, themed like the page. Its source is embedded in the
 * output, so it is self-contained; the theme functions come in as arguments.
 */
function drawFallback(id: string, figure: FallbackFigure, asset: string, readTheme: typeof readThemeColors, themed: typeof themedLayout): void {
  const div = document.getElementById(id);
  if (!div) return;
  const baseUrl = (): string => {
    // JupyterLab and Notebook 7 keep it in a JSON script; classic Notebook on the body.
    const config = document.getElementById('jupyter-config-data');
    try {
      const url = config && JSON.parse(config.textContent).baseUrl;
      if (typeof url === 'string') return url;
    } catch {
      /* fall through */
    }
    return document.body.getAttribute('data-base-url') || '/';
  };
  const url = new window.URL(baseUrl().replace(/\/?$/, '/') + asset, document.baseURI).href;
  if (!window.__fedbookPlotly) {
    window.__fedbookPlotly = window.Plotly
      ? Promise.resolve(window.Plotly)
      : window
          .fetch(url, { credentials: 'same-origin' })
          .then((response: { ok: boolean; status: number; statusText: string; text(): Promise<string> }) => {
            if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
            return response.text();
          })
          .then((code: string) => {
            // plotly's bundle sets window.Plotly; hide require.js's define/require so that nothing inside registers an AMD module instead.
            new Function('define', 'require', 'module', 'exports', code).call(window);
            if (!window.Plotly) throw new Error('the script did not define Plotly');
            return window.Plotly;
          });
    // A failed load is tried again by the next figure (after a reinstall, say).
    window.__fedbookPlotly.catch(() => {
      window.__fedbookPlotly = undefined;
    });
  }
  window.__fedbookPlotly.then(
    (Plotly: { newPlot(div: unknown, data: unknown[], layout: unknown, config: unknown): Promise<unknown> }) => {
      const colors = readTheme((name) => getComputedStyle(document.body).getPropertyValue(name));
      div.textContent = '';
      return Plotly.newPlot(div, figure.data, themed(figure.layout, colors), { displaylogo: false, responsive: true, ...figure.config });
    },
    (error: Error) => {
      div.appendChild(document.createElement('br'));
      div.appendChild(
        document.createTextNode(
          `(not drawn: plotly.js did not load from ${url}: ${error.message}; \`npx fedbook kernel install\` puts it beside the kernelspec)`,
        ),
      );
    },
  );
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

let pageScript: string | undefined;
/**
 * The script, minified once with placeholders for the figure's values
 * (~4 KB of source becomes ~1.9 KB per output).
 */
function scriptTemplate(): string {
  pageScript ??= transformSync(
    `(${drawFallback.toString()})(__FEDBOOK_ID__, __FEDBOOK_FIGURE__, __FEDBOOK_ASSET__, ${readThemeColors.toString()}, ${themedLayout.toString()});`,
    { minify: true, target: 'es2020', loader: 'js' },
  ).code.trim();
  return pageScript;
}

let sequence = 0;

/** The fallback HTML for one figure; `summary` shows until the figure is drawn, and where scripts do not run. */
export function plotlyFallbackHtml(figure: FallbackFigure, summary: string): string {
  const id = `fedbook-plotly-${process.pid.toString(36)}-${Date.now().toString(36)}-${(sequence++).toString(36)}`;
  const script = scriptTemplate()
    .split('__FEDBOOK_ID__')
    .join(scriptJson(id))
    .split('__FEDBOOK_ASSET__')
    .join(scriptJson(`kernelspecs/${KERNELSPEC_NAME}/${PLOTLY_ASSET}`))
    // Last: the figure's own strings may hold anything, placeholders included.
    .split('__FEDBOOK_FIGURE__')
    .join(scriptJson(figure));
  return `<div id="${id}" class="fedbook-plotly-fallback">${escapeHtml(summary)}</div>\n<script type="text/javascript">${script}</script>\n`;
}
