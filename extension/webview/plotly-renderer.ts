/**
 * Renderer for `application/vnd.plotly.v1+json` (what `display.plotly` emits),
 * so Plotly figures show in VS Code without the Jupyter extension.
 */
import Plotly from 'plotly.js-dist';
import type { OutputItem, Renderer, RendererContext } from './renderer-api';

interface Figure {
  data?: unknown[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
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
      const layout = { paper_bgcolor: 'rgba(0,0,0,0)', plot_bgcolor: 'rgba(0,0,0,0)', font: fg ? { color: fg } : undefined, ...figure.layout };
      await Plotly.react(div, (figure.data ?? []) as never[], layout as never, { displaylogo: false, responsive: true, ...figure.config });
    },
    disposeOutputItem() {},
  };
}
