/**
 * A canvas over plotly's plot area on which a live round's new segment and
 * marker are drawn the moment its message arrives. A plotly draw redraws the
 * whole figure (tens of ms, more in a busy window), so the chart spaces those
 * out; this canvas shows each point in between, in the same place plotly will
 * put it, and is cleared whenever plotly has drawn.
 */

/** The parts of plotly's graph div this reads (plotly's own full layout and data, after a draw). */
export interface PlotlyGraph {
  data?: Array<{ x: number[]; y: number[] } & TraceStyle>;
  _fullLayout?: { _size: { l: number; t: number; w: number; h: number }; xaxis: PlotlyAxis; yaxis: PlotlyAxis; colorway?: string[] };
  _fullData?: TraceStyle[];
}

interface TraceStyle {
  mode?: string;
  visible?: boolean | string;
  line?: { color?: string; width?: number };
  marker?: { color?: string; size?: number };
}

interface PlotlyAxis {
  range: [number, number];
  /** Data value → linear value (log10 on a log axis). */
  c2l(value: number): number;
  /** Linear value → pixel from the plot area's edge. */
  l2p(value: number): number;
}

export interface Point {
  x: number;
  y: number;
}

export class LiveOverlay {
  private readonly canvas: HTMLCanvasElement;
  /** The last point drawn per trace since plotly's last draw: the next segment starts there. */
  private readonly lastDrawn = new Map<number, Point>();

  constructor(private readonly graph: HTMLElement & PlotlyGraph) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'fedbook-live-overlay';
    this.canvas.style.position = 'absolute';
    this.canvas.style.pointerEvents = 'none';
    this.canvas.style.zIndex = '10';
    if (getComputedStyle(graph).position === 'static') graph.style.position = 'relative';
  }

  /**
   * Draws `points` of trace `index` (continuing its line) if every one lies
   * inside the axes' current ranges; returns false, drawing nothing, when
   * they do not (plotly must draw them, with new ranges) or plotly has not
   * drawn the figure yet.
   */
  draw(index: number, points: readonly Point[]): boolean {
    const layout = this.graph._fullLayout;
    const plotted = this.graph.data?.[index];
    if (!layout || !plotted || points.length === 0 || plotted.visible === false || plotted.visible === 'legendonly') return false;
    // Plotly leaves a trace with no points yet out of the figure, unstyled: give its first point the style it will get.
    const full = this.graph._fullData?.[index];
    const style =
      full && full.visible !== false
        ? full
        : { ...plotted, line: { ...plotted.line, color: plotted.line?.color ?? layout.colorway?.[index % layout.colorway.length] } };
    const { xaxis, yaxis, _size: size } = layout;
    const toPixel = (p: Point): Point | undefined => {
      const lx = xaxis.c2l(p.x);
      const ly = yaxis.c2l(p.y);
      if (!within(lx, xaxis.range) || !within(ly, yaxis.range)) return undefined;
      return { x: xaxis.l2p(lx), y: yaxis.l2p(ly) };
    };
    const pixels: Point[] = [];
    for (const p of points) {
      const pixel = toPixel(p);
      if (!pixel) return false;
      pixels.push(pixel);
    }
    const n = plotted.x.length;
    const start = this.lastDrawn.get(index) ?? (n > 0 ? { x: plotted.x[n - 1], y: plotted.y[n - 1] } : undefined);
    const from = start ? toPixel(start) : undefined;
    const context = this.prepare(size);
    if (!context) return false;
    const mode = style.mode ?? 'lines';
    const color = style.line?.color ?? style.marker?.color ?? '#1f77b4';
    if (mode.includes('lines')) {
      context.strokeStyle = color;
      context.lineWidth = style.line?.width ?? 2;
      context.lineJoin = 'round';
      context.beginPath();
      const [first, ...rest] = from ? [from, ...pixels] : pixels;
      context.moveTo(first.x, first.y);
      for (const p of rest) context.lineTo(p.x, p.y);
      context.stroke();
    }
    if (mode.includes('markers')) {
      context.fillStyle = style.marker?.color ?? color;
      const radius = (style.marker?.size ?? 6) / 2;
      for (const p of pixels) {
        context.beginPath();
        context.arc(p.x, p.y, radius, 0, 2 * Math.PI);
        context.fill();
      }
    }
    this.lastDrawn.set(index, points[points.length - 1]);
    return true;
  }

  /** Forgets what was drawn: plotly has drawn the figure (these points included). */
  clear(): void {
    this.lastDrawn.clear();
    if (this.canvas.isConnected) this.canvas.getContext('2d')?.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Places and sizes the canvas over the plot area (which moves when plotly relays out), keeping what is drawn when it has not moved. */
  private prepare(size: { l: number; t: number; w: number; h: number }): CanvasRenderingContext2D | undefined {
    const scale = window.devicePixelRatio || 1;
    const width = Math.round(size.w * scale);
    const height = Math.round(size.h * scale);
    const left = `${size.l}px`;
    const top = `${size.t}px`;
    const moved = this.canvas.width !== width || this.canvas.height !== height || this.canvas.style.left !== left || this.canvas.style.top !== top;
    if (moved) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.canvas.style.width = `${size.w}px`;
      this.canvas.style.height = `${size.h}px`;
      this.canvas.style.left = left;
      this.canvas.style.top = top;
    }
    if (!this.canvas.isConnected) this.graph.appendChild(this.canvas);
    const context = this.canvas.getContext('2d');
    context?.setTransform(scale, 0, 0, scale, 0, 0);
    // The plot area clips plotly's own lines; clip ours the same way.
    context?.beginPath();
    context?.rect(0, 0, size.w, size.h);
    context?.clip();
    return context ?? undefined;
  }
}

function within(value: number, range: [number, number]): boolean {
  return Number.isFinite(value) && value >= Math.min(range[0], range[1]) && value <= Math.max(range[0], range[1]);
}
