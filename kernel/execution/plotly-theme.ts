/**
 * How a Plotly figure follows the editor's theme, as the round chart does:
 * the theme's text colour and font, its border colour for grid and axis
 * lines, and a transparent background. Shared by VS Code's plotly renderer
 * (extension/webview/plotly-renderer.ts) and the `text/html` fallback that
 * `display.plotly` sends for front ends without a plotly renderer
 * (kernel/execution/plotly-html.ts), which embeds these functions' source in
 * the page: so each is self-contained (no imports, no helpers) and runs in a
 * browser as it is.
 */

/** Colours of the front end's theme; absent where the page does not define them. */
export interface ThemeColors {
  foreground?: string;
  grid?: string;
  fontFamily?: string;
}

/**
 * Reads the theme from CSS custom properties: VS Code's (`--vscode-*`, in
 * notebook outputs and webviews), else JupyterLab's and Notebook 7's
 * (`--jp-*`). Classic Jupyter Notebook defines neither: plotly's own light
 * look stays, which suits its white page.
 */
export function readThemeColors(cssVar: (name: string) => string): ThemeColors {
  const first = (...names: string[]): string | undefined => {
    for (const name of names) {
      const value = cssVar(name).trim();
      if (value) return value;
    }
    return undefined;
  };
  const colors: ThemeColors = {};
  const foreground = first('--vscode-editor-foreground', '--jp-ui-font-color1', '--jp-content-font-color1');
  const grid = first('--vscode-editorWidget-border', '--jp-border-color2', '--jp-border-color1');
  const fontFamily = first('--vscode-font-family', '--jp-ui-font-family');
  if (foreground) colors.foreground = foreground;
  if (grid) colors.grid = grid;
  if (fontFamily) colors.fontFamily = fontFamily;
  return colors;
}

/**
 * The figure's layout with a plotly template made of the theme colours.
 * A template, not top-level values: anything the figure's own layout sets
 * (a background, an axis colour, a font) still wins, and every axis of a
 * multi-axis figure gets the grid colour. A figure that names its own
 * template keeps it. Without theme colours the layout is returned as it is.
 */
export function themedLayout(layout: Record<string, unknown> | undefined, colors: ThemeColors): Record<string, unknown> {
  const own = layout ?? {};
  if (own.template !== undefined || (!colors.foreground && !colors.grid && !colors.fontFamily)) return own;
  const axis: Record<string, unknown> = {};
  if (colors.grid) Object.assign(axis, { gridcolor: colors.grid, linecolor: colors.grid, zerolinecolor: colors.grid });
  if (colors.foreground) axis.tickcolor = colors.foreground;
  const font: Record<string, unknown> = {};
  if (colors.foreground) font.color = colors.foreground;
  if (colors.fontFamily) font.family = colors.fontFamily;
  const template = {
    layout: {
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font,
      xaxis: axis,
      yaxis: axis,
      scene: { xaxis: axis, yaxis: axis, zaxis: axis },
      polar: { bgcolor: 'rgba(0,0,0,0)', angularaxis: axis, radialaxis: axis },
      legend: { bgcolor: 'rgba(0,0,0,0)' },
    },
  };
  return { ...own, template };
}
