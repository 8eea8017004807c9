/**
 * Inline renderer for `application/vnd.fedbook.run+json`: a headline
 * ("fedAvg … · round 12/50 · test accuracy 0.912") and a light SVG line of
 * the main metric. Each update_display_data re-renders it, so it follows the
 * run live. No plotly: a cell output must stay cheap at 5,000 rounds.
 */
import type { MetricKey, RoundMetrics, RunBundle } from '../../kernel/contract';
import { legendLabel, points } from '../chart/chart-data';
import type { OutputItem, Renderer, RendererContext } from './renderer-api';

const WIDTH = 480;
const HEIGHT = 140;

function mainMetric(rounds: readonly RoundMetrics[]): MetricKey {
  return rounds.some((r) => typeof r.testAccuracy === 'number') ? 'testAccuracy' : 'trainLoss';
}

function format(value: number | undefined): string {
  if (value === undefined) return '–';
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(4);
}

function polyline(x: number[], y: number[]): string {
  if (x.length === 0) return '';
  const [x0, x1] = [x[0], Math.max(x[x.length - 1], x[0] + 1)];
  let lo = Math.min(...y);
  let hi = Math.max(...y);
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  const step = Math.max(1, Math.floor(x.length / WIDTH)); // At most one vertex per pixel.
  const out: string[] = [];
  for (let i = 0; i < x.length; i += step) {
    out.push(`${(((x[i] - x0) / (x1 - x0)) * (WIDTH - 8) + 4).toFixed(1)},${(HEIGHT - 4 - ((y[i] - lo) / (hi - lo)) * (HEIGHT - 8)).toFixed(1)}`);
  }
  return out.join(' ');
}

/** Renders one run bundle into `element` (replacing what was there). */
export function renderRun(bundle: RunBundle, element: HTMLElement): void {
  const rounds = bundle.rounds ?? [];
  const metric = mainMetric(rounds);
  const last = rounds[rounds.length - 1];
  const { x, y } = points(rounds, metric);
  const headline = `${legendLabel(bundle)} · round ${rounds.length}${bundle.plannedRounds ? `/${bundle.plannedRounds}` : ''} · ${metric === 'testAccuracy' ? 'test accuracy' : 'train loss'} ${format(last ? (last[metric] as number | undefined) : undefined)} · ${bundle.status}`;
  const root = document.createElement('div');
  root.className = 'fedbook-run';
  root.dataset.runId = bundle.runId;
  root.dataset.rounds = String(rounds.length);
  root.dataset.lastRound = String(last?.round ?? 0);
  root.dataset.status = bundle.status;
  const title = document.createElement('div');
  title.className = 'fedbook-run-headline';
  title.textContent = headline;
  title.style.fontFamily = 'var(--vscode-editor-font-family, monospace)';
  root.appendChild(title);
  const svgNs = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('width', String(WIDTH));
  svg.setAttribute('height', String(HEIGHT));
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  const line = document.createElementNS(svgNs, 'polyline');
  line.setAttribute('points', polyline(x, y));
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', 'var(--vscode-charts-blue, #3794ff)');
  line.setAttribute('stroke-width', '2');
  svg.appendChild(line);
  root.appendChild(svg);
  element.replaceChildren(root);
}

export function activate(_context: RendererContext): Renderer {
  return {
    renderOutputItem(item: OutputItem, element: HTMLElement) {
      try {
        renderRun(item.json() as RunBundle, element);
      } catch (error) {
        element.textContent = `Fedbook run output could not be shown: ${(error as Error).message}`;
      }
    },
  };
}
