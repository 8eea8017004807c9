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
 */
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
      const fg = getComputedStyle(document.body).getPropertyValue('--vscode-editor-foreground').trim() || undefined;
      const fixedWidth = typeof figure.layout?.width === 'number';
      const layout = {
        paper_bgcolor: 'rgba(0,0,0,0)',
        plot_bgcolor: 'rgba(0,0,0,0)',
        font: fg ? { color: fg } : undefined,
        width: element.clientWidth || undefined,
        height: DEFAULT_HEIGHT,
        ...figure.layout,
      };
      const Plotly = await loadPlotly();
      await Plotly.react(div, (figure.data ?? []) as never[], layout as never, { displaylogo: false, ...figure.config, responsive: false });
      followWidth(Plotly, item.id, div, element, fixedWidth);
    },
    disposeOutputItem(id?: string) {
      for (const [key, observer] of observers) {
        if (id === undefined || key === id) {
          observer.disconnect();
          observers.delete(key);
        }
      }
    },
  };
}
