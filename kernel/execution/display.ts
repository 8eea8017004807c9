/**
 * The `display` helper that cells see: rich outputs through the sink of the
 * cell that is running.
 */
import { inspect } from 'node:util';
import type { ExecutionSink, MimeBundle } from './executor';
import { plotlyFallbackHtml } from './plotly-html';
import { resolveRuns, runsFigure, type DisplayRunsOptions, type RunReference } from './display-runs';
import { HIDDEN_RESULT, renderValue } from './render';

/** MIME type of a Plotly figure, as JupyterLab and VS Code render it. */
export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/** Options of `display(...)`. */
export interface DisplayOptions {
  /** A display id: a later `display.update(id, …)` (or `handle.update(…)`) replaces this output. */
  id?: string;
  /** Replace the output that has this id instead of adding a new one. */
  update?: boolean;
  metadata?: Record<string, unknown>;
}

/** Returned by `display(value, { id })`: updates that output in place. */
export interface DisplayHandle {
  readonly id: string;
  update(value: unknown): void;
}

/** A Plotly figure: traces and an optional layout (a bare array of traces also works). */
export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

/** The `display` helper in scope in every cell. */
export interface DisplayFunction {
  /**
   * Shows a value as a new output: any value (rendered like a cell result) or a
   * MIME bundle such as `{ 'text/html': '<b>hi</b>' }`. With `{ id }` it returns
   * a handle whose `update(value)` replaces that output.
   */
  (value: unknown, options?: DisplayOptions): DisplayHandle | undefined;
  /** Shows HTML. */
  html(html: string, options?: DisplayOptions): DisplayHandle | undefined;
  /** Shows Markdown. */
  markdown(markdown: string, options?: DisplayOptions): DisplayHandle | undefined;
  /**
   * Shows a Plotly figure (`application/vnd.plotly.v1+json`), themed like the
   * editor; front ends without a plotly renderer draw its `text/html` fallback
   * with the plotly.js that `fedbook kernel install` puts beside the kernelspec.
   */
  plotly(figure: PlotlyFigure | Record<string, unknown>[], options?: DisplayOptions): DisplayHandle | undefined;
  /**
   * Compares runs on one plotly figure, as the round chart draws them: a line
   * per run, and for the seeds of one sweep combination (same sweep id, same
   * settings) their mean with a band from the lowest to the highest seed.
   * Takes `algo.run(...)` results, run ids or `fed.runs.list()` entries, one
   * or an array; `metric` is 'testAccuracy' unless given.
   * @example display.runs(fed.runs.list().slice(0, 6), { metric: 'testLoss' })
   */
  runs(runs: RunReference | readonly RunReference[], options?: DisplayRunsOptions & DisplayOptions): DisplayHandle | undefined;
  /** Replaces the output that has this display id. */
  update(id: string, value: unknown): void;
  /** Clears the cell's outputs (with `wait`, only when the next output arrives). */
  clear(wait?: boolean): void;
}

/** True for `{ 'text/html': … }`-like objects: every key is a MIME type. */
export function isMimeBundle(value: unknown): value is MimeBundle {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((key) => /^[a-z]+\/[\w.+-]+$/i.test(key));
}

function toBundle(value: unknown): MimeBundle {
  if (isMimeBundle(value)) return 'text/plain' in value ? value : { ...value, 'text/plain': summaryOf(value) };
  return renderValue(value) ?? { 'text/plain': 'undefined' };
}

function summaryOf(bundle: MimeBundle): string {
  return `<${Object.keys(bundle).join(', ')}>`;
}

function checkOptions(options: DisplayOptions | undefined, where: string): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where}: options must be an object like { id: 'progress' }`);
  if (options.id !== undefined && (typeof options.id !== 'string' || options.id === '')) {
    throw new TypeError(`${where}: options.id must be a non-empty string`);
  }
  if (options.update && options.id === undefined) throw new TypeError(`${where}: options.update needs options.id`);
}

/** Builds `display` over whatever sink `currentSink()` returns when it is called. */
export function createDisplay(currentSink: () => ExecutionSink | undefined): DisplayFunction {
  const sink = (): ExecutionSink => {
    const s = currentSink();
    if (!s) throw new Error('display: no cell is running');
    return s;
  };
  const handle = (id: string): DisplayHandle =>
    ({
      id,
      update: (value: unknown) => sink().updateDisplay(toBundle(value), id),
      [HIDDEN_RESULT]: true,
      [inspect.custom]: () => `DisplayHandle { id: '${id}' }`,
    }) as DisplayHandle;

  const show = (bundle: MimeBundle, options: DisplayOptions | undefined, where: string): DisplayHandle | undefined => {
    checkOptions(options, where);
    if (options?.update) {
      sink().updateDisplay(bundle, options.id!, options.metadata);
      return undefined;
    }
    sink().display(bundle, options?.metadata, options?.id);
    return options?.id === undefined ? undefined : handle(options.id);
  };

  const display = ((value: unknown, options?: DisplayOptions) => show(toBundle(value), options, 'display')) as DisplayFunction;
  display.html = (html, options) => {
    if (typeof html !== 'string') throw new TypeError(`display.html: expected a string of HTML, got ${typeof html}`);
    return show({ 'text/html': html, 'text/plain': html.replace(/<[^>]*>/g, '') }, options, 'display.html');
  };
  display.markdown = (markdown, options) => {
    if (typeof markdown !== 'string') throw new TypeError(`display.markdown: expected a string of Markdown, got ${typeof markdown}`);
    return show({ 'text/markdown': markdown, 'text/plain': markdown }, options, 'display.markdown');
  };
  display.plotly = (figure, options) => {
    const normalised: PlotlyFigure = Array.isArray(figure) ? { data: figure } : (figure as PlotlyFigure);
    if (typeof normalised !== 'object' || normalised === null || !Array.isArray(normalised.data)) {
      throw new TypeError('display.plotly: expected a figure { data: [traces], layout? } or an array of traces');
    }
    const title = normalised.layout?.title as { text?: string } | string | undefined;
    const titleText = typeof title === 'string' ? title : title?.text;
    const text =
      `Plotly figure${titleText ? ` "${titleText}"` : ''}: ${normalised.data.length} trace${normalised.data.length === 1 ? '' : 's'}` +
      ` (${[...new Set(normalised.data.map((trace) => String(trace.type ?? 'scatter')))].join(', ')})`;
    const data = JSON.parse(
      JSON.stringify({ data: normalised.data, layout: normalised.layout ?? {}, ...(normalised.config ? { config: normalised.config } : {}) }),
    );
    // text/html draws the figure where the front end has no plotly renderer (classic Jupyter Notebook); VS Code picks PLOTLY_MIME first.
    return show({ [PLOTLY_MIME]: data, 'text/html': plotlyFallbackHtml(data, text), 'text/plain': text }, options, 'display.plotly');
  };
  display.runs = (runs, options = {}) => {
    if (typeof options !== 'object' || options === null) throw new TypeError("display.runs: options must be an object like { metric: 'testLoss' }");
    const { metric, title, ...displayOptions } = options;
    const figure = runsFigure(resolveRuns(runs), { metric, title });
    return display.plotly(figure, Object.keys(displayOptions).length > 0 ? displayOptions : undefined);
  };
  display.update = (id, value) => {
    if (typeof id !== 'string' || id === '') throw new TypeError('display.update: the first argument must be the display id (a non-empty string)');
    sink().updateDisplay(toBundle(value), id);
  };
  display.clear = (wait = false) => sink().clearOutput(Boolean(wait));
  return display;
}
