/**
 * Renderer for `application/vnd.plotly.v1+json` (what `display.plotly` emits),
 * so Plotly figures show in VS Code without the Jupyter extension.
 *
 * Not plotly's `responsive` mode: it re-lays the figure out on every window
 * resize event, and a notebook's output frame gets those continuously while
 * other outputs change or the notebook is hidden; a CPU profile showed one
 * figure taking 15 % of the window's thread during a run in another notebook.
 * The figure follows its container's width instead, redrawn only when that
 * width really changes.
 *
 * Figures follow the VS Code theme as the round chart does (text colour, font,
 * border colour for grid lines, transparent background; see
 * kernel/execution/plotly-theme.ts), and are redrawn when the theme changes.
 */
import { readThemeColors, themedLayout } from '../../kernel/execution/plotly-theme';
import type { OutputItem, Renderer, RendererContext } from './renderer-api';

type PlotlyApi = typeof import('plotly.js-dist');
/**
 * Plotly (4.8 MB) is a chunk of its own, loaded when the first figure is
 * drawn: VS Code may load this renderer in a notebook that shows no figure,
 * and evaluating plotly there stalled the window for ~0.8 s in the E2E.
 */
let plotly: Promise<PlotlyApi> | undefined;
function loadPlotly(): Promise<PlotlyApi> {
  plotly ??= import('plotly.js-dist').then((module) => (module as unknown as { default?: PlotlyApi }).default ?? (module as unknown as PlotlyApi));
  return plotly;
}

interface Figure {
  data?: unknown[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

/** Least change of the container's width (px) that redraws the figure. */
const WIDTH_STEP = 16;
const DEFAULT_HEIGHT = 450;

/** One width watcher per output item, dropped when VS Code disposes the item. */
const observers = new Map<string, ResizeObserver>();

function followWidth(Plotly: PlotlyApi, id: string, div: HTMLDivElement, element: HTMLElement, fixedWidth: boolean): void {
  observers.get(id)?.disconnect();
  observers.delete(id);
  if (fixedWidth) return;
  let drawnWidth = div.clientWidth;
  const observer = new ResizeObserver(() => {
    const width = element.clientWidth;
    // Hidden (0) or barely changed: leave the figure as it is.
    if (width === 0 || Math.abs(width - drawnWidth) < WIDTH_STEP) return;
    drawnWidth = width;
    void Plotly.relayout(div, { width } as never);
  });
  observer.observe(element);
  observers.set(id, observer);
}

/** What is drawn per output item, to redraw it when the theme changes. */
interface Drawn {
  div: HTMLDivElement;
  figure: Figure;
  element: HTMLElement;
}
const drawn = new Map<string, Drawn>();

function cssVar(name: string): string {
  return getComputedStyle(document.body).getPropertyValue(name);
}

async function draw(id: string, { div, figure, element }: Drawn): Promise<void> {
  const layout = themedLayout({ width: element.clientWidth || undefined, height: DEFAULT_HEIGHT, ...figure.layout }, readThemeColors(cssVar));
  const Plotly = await loadPlotly();
  await Plotly.react(div, (figure.data ?? []) as never[], layout as never, { displaylogo: false, ...figure.config, responsive: false });
  followWidth(Plotly, id, div, element, typeof figure.layout?.width === 'number');
}

let themeWatcher: MutationObserver | undefined;
let drawnTheme = '';
/**
 * VS Code switches the body's vscode-light / vscode-dark / vscode-high-contrast
 * class (and the colour variables) on a theme change; figures are redrawn only
 * when the colours really changed.
 */
function watchTheme(): void {
  drawnTheme = JSON.stringify(readThemeColors(cssVar));
  themeWatcher ??= new MutationObserver(() => {
    const theme = JSON.stringify(readThemeColors(cssVar));
    if (theme === drawnTheme) return;
    drawnTheme = theme;
    for (const [id, entry] of drawn) if (entry.div.isConnected) void draw(id, entry);
  });
  themeWatcher.observe(document.body, { attributes: true, attributeFilter: ['class'] });
}

export function activate(_context: RendererContext): Renderer {
  return {
    async renderOutputItem(item: OutputItem, element: HTMLElement) {
      const figure = item.json() as Figure;
      let div = element.querySelector<HTMLDivElement>('div.fedbook-plotly');
      if (!div) {
        div = document.createElement('div');
        div.className = 'fedbook-plotly';
        element.replaceChildren(div);
      }
      const entry = { div, figure, element };
      drawn.set(item.id, entry);
      watchTheme();
      await draw(item.id, entry);
    },
    disposeOutputItem(id?: string) {
      for (const [key, observer] of observers) {
        if (id === undefined || key === id) {
          observer.disconnect();
          observers.delete(key);
        }
      }
      for (const key of [...drawn.keys()]) if (id === undefined || key === id) drawn.delete(key);
    },
  };
}
