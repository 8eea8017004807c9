/**
 * plotly.js for the `text/html` fallback of `display.plotly`: found where the
 * package ships it and copied beside the kernelspec, where the Jupyter server
 * serves it (see kernel/execution/plotly-html.ts).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { transformSync } from 'esbuild';
import { join } from 'node:path';
import { PLOTLY_ASSET } from '../execution/plotly-html';

/**
 * The plotly.js bundle this installation ships: the minified copy in the
 * packaged extension (media/plotly.min.js, 4.8 MB), else plotly.js-dist as
 * npm installs it (10 MB, unminified); undefined when neither is there (an
 * install without dev dependencies).
 */
export function findPlotlyScript(root = join(__dirname, '..', '..', '..')): string | undefined {
  const packaged = join(root, 'media', 'plotly.min.js');
  if (existsSync(packaged)) return packaged;
  try {
    return require.resolve('plotly.js-dist/plotly.js', { paths: [root] });
  } catch {
    return undefined;
  }
}

/**
 * Writes plotly.js into a kernelspec directory, minified (10 MB → 4.8 MB: the
 * browser fetches it from the Jupyter server, maybe over a network; license
 * comments stay); returns its path, or undefined when there is none to copy.
 */
export function installPlotlyAsset(kernelspecDir: string, source = findPlotlyScript()): string | undefined {
  if (source === undefined) return undefined;
  const target = join(kernelspecDir, PLOTLY_ASSET);
  let code = readFileSync(source, 'utf8');
  if (!source.endsWith('.min.js')) code = transformSync(code, { minify: true, loader: 'js' }).code;
  const temporary = `${target}.${process.pid}.tmp`;
  writeFileSync(temporary, code);
  renameSync(temporary, target);
  return target;
}
