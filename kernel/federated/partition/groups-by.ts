/**
 * What `by` of a natural partition names: one group id per example, or a
 * column of the dataset by name (as Flower users pass `partition_by`). A CSV
 * dataset keeps its group column (`fed.datasets.csv(path, { group })`) and its
 * feature columns; any of them can be named.
 */
import type { Dataset } from '../../data/dataset';

/** The columns a dataset from fed.datasets.csv keeps, by name. */
interface NamedColumns {
  readonly featureNames?: readonly string[];
  readonly groupColumn?: string;
}

/** A group id per example for `by`, checked against the dataset; `where` starts each message. */
export function groupsBy(dataset: Dataset, by: unknown, where: string): ArrayLike<number> {
  if (typeof by === 'string') return groupsOfColumn(dataset, by, where);
  if (!(by instanceof Int32Array) && !Array.isArray(by)) {
    throw new TypeError(
      `${where}: by must be a column name of the dataset or one group id per example (an Int32Array or number[] of length ${dataset.length}); got ${typeof by}`,
    );
  }
  if (by.length !== dataset.length) {
    throw new RangeError(
      `${where}: by has ${by.length} entries for ${dataset.length} examples: pass one group id per example (an Int32Array or number[] of length ${dataset.length}), or a column name`,
    );
  }
  return by;
}

function groupsOfColumn(dataset: Dataset, name: string, where: string): ArrayLike<number> {
  const columns = dataset as Dataset & NamedColumns;
  if (columns.groupColumn === name && dataset.groups) return dataset.groups;
  const feature = columns.featureNames?.indexOf(name) ?? -1;
  if (feature >= 0) return codeFeature(dataset, feature);
  const known = [
    ...(columns.groupColumn !== undefined ? [`'${columns.groupColumn}' (the group column)`] : []),
    ...(columns.featureNames ?? []).map((feature) => `'${feature}'`),
  ];
  const kept = known.length > 0 ? `its columns are ${known.join(', ')}` : 'it keeps no column names (only fed.datasets.csv datasets do)';
  throw new RangeError(
    `${where}: by: '${name}' is not a column of dataset '${dataset.name}' (${kept}). ` +
      `Load the CSV with { group: '${name}' } and partition with { scheme: 'natural' }, or pass one group id per example (length ${dataset.length})`,
  );
}

/** Group ids from a feature column's values: 0 for the first distinct value met, 1 for the next… */
function codeFeature(dataset: Dataset, feature: number): Int32Array {
  const width = dataset.exampleShape.reduce((a, b) => a * b, 1);
  const codes = new Int32Array(dataset.length);
  const lookup = new Map<number, number>();
  for (let i = 0; i < dataset.length; i++) {
    const value = dataset.x[i * width + feature];
    let code = lookup.get(value);
    if (code === undefined) lookup.set(value, (code = lookup.size));
    codes[i] = code;
  }
  return codes;
}
