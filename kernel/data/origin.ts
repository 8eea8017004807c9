/**
 * Where a built-in dataset came from (its loader, options and split), so that
 * another machine can load the same examples by name instead of receiving
 * them. Only datasets returned by fed.datasets.mnist and fed.datasets.synthetic
 * carry an origin; anything derived from them (a subset, a CSV) does not.
 */
import type { Dataset } from './dataset';
import { loadMnist, type MnistOptions } from './mnist';
import { generateSynthetic, type SyntheticOptions } from './synthetic';

export type DatasetOrigin =
  | { readonly loader: 'mnist'; readonly options: Omit<MnistOptions, 'directory'>; readonly split: 'train' | 'test' }
  | { readonly loader: 'synthetic'; readonly options: SyntheticOptions; readonly split: 'train' | 'test' };

const origins = new WeakMap<Dataset, DatasetOrigin>();

/** Tags both splits of a built-in loader's result (a custom MNIST `directory` is not portable, so it is left out). */
export function markSplits<S extends { readonly train: Dataset; readonly test: Dataset }>(
  splits: S,
  loader: DatasetOrigin['loader'],
  options: MnistOptions | SyntheticOptions,
): S {
  const { directory: _, ...portable } = options as MnistOptions;
  for (const split of ['train', 'test'] as const) {
    if (!origins.has(splits[split])) origins.set(splits[split], { loader, options: portable, split } as DatasetOrigin);
  }
  return splits;
}

export function originOf(dataset: Dataset): DatasetOrigin | undefined {
  return origins.get(dataset);
}

/** Loads a built-in dataset on this machine from its origin. */
export async function loadByOrigin(origin: DatasetOrigin): Promise<Dataset> {
  if (origin.loader === 'mnist') return (await loadMnist(origin.options))[origin.split];
  if (origin.loader === 'synthetic') return generateSynthetic(origin.options)[origin.split];
  throw new Error(`unknown built-in dataset loader ${JSON.stringify((origin as { loader: unknown }).loader)}`);
}
