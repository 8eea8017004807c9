import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { csvToDataset, loadCsv, parseDecimal } from '../../../kernel/data/csv';
import { parseCsv } from '../../../kernel/data/csv-parse';
import { partition } from '../../../kernel/federated/partition';

// Compiled tests run from out/test/data; the fixtures stay in the source tree.
const fixtures = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'data');
const fixture = (name: string): string => join(fixtures, name);

describe('loadCsv', () => {
  it('reads features and maps string labels to classes in order of first appearance', async () => {
    const iris = await loadCsv(fixture('iris-small.csv'), { label: 'species' });
    assert.equal(iris.length, 8);
    assert.deepEqual(iris.exampleShape, [4]);
    assert.equal(iris.numClasses, 3);
    assert.deepEqual(iris.classNames, ['setosa', 'versicolor', 'virginica']);
    assert.deepEqual(Array.from(iris.y), [0, 0, 1, 1, 2, 2, 0, 1]);
    assert.deepEqual(iris.featureNames, ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    assert.deepEqual(Array.from(iris.x.subarray(0, 4)), [5.1, 3.5, 1.4, 0.2].map(Math.fround));
    assert.ok(iris.x.buffer instanceof SharedArrayBuffer);
    assert.equal(iris.name, 'iris-small.csv');
  });

  it('keeps only the features asked for, in the order asked', async () => {
    const iris = await loadCsv(fixture('iris-small.csv'), { label: 4, features: ['petal_width', 0] });
    assert.deepEqual(iris.featureNames, ['petal_width', 'sepal_length']);
    assert.deepEqual(Array.from(iris.x.subarray(0, 2)), [0.2, 5.1].map(Math.fround));
  });

  it('handles CRLF, quoted fields with commas, doubled quotes and line breaks, and a group column', async () => {
    const data = await loadCsv(fixture('quoted-crlf.csv'), { label: 'label', group: 'device' });
    assert.deepEqual(data.featureNames, ['x, first', 'x "second"']);
    assert.deepEqual(Array.from(data.x), [1.5, 2, -0.3, 4, 0.5, 6, 7, 8].map(Math.fround));
    assert.deepEqual(data.classNames, ['cat', 'dog', 'multi\r\nline']);
    assert.deepEqual(Array.from(data.y), [0, 1, 2, 0]);
    assert.deepEqual(data.groupNames, ['phone A', 'phone B', 'phone C']);
    assert.deepEqual(Array.from(data.groups!), [0, 1, 0, 2]);
    // The group column drives the natural partition.
    assert.deepEqual(partition(data, { scheme: 'natural' }).sizes(), [2, 1, 1]);
  });

  it('reads a file without a header, columns given by index, integer labels as they are', async () => {
    const data = await loadCsv(fixture('no-header.csv'), { label: 0, header: false });
    assert.deepEqual(Array.from(data.y), [2, 0, 1, 2]);
    assert.equal(data.numClasses, 3);
    assert.equal(data.classNames, undefined);
    assert.deepEqual(data.featureNames, ['column 1', 'column 2']);
    const wider = await loadCsv(fixture('no-header.csv'), { label: 0, header: false, numClasses: 10 });
    assert.equal(wider.numClasses, 10);
  });

  it('names the missing file', async () => {
    await assert.rejects(loadCsv(fixture('nope.csv'), { label: 'y' }), { message: `CSV file not found: ${fixture('nope.csv')}` });
  });

  it('gives the line of a ragged row', async () => {
    await assert.rejects(loadCsv(fixture('ragged.csv'), { label: 'label' }), { message: `${fixture('ragged.csv')}: line 17 has 5 cells, expected 6` });
  });

  it('gives the line, column and text of a non-numeric cell', async () => {
    await assert.rejects(loadCsv(fixture('non-numeric.csv'), { label: 'species' }), {
      message: `${fixture('non-numeric.csv')}: line 4, column "petal_width": "abc" is not a number`,
    });
  });

  it('rejects unknown columns, bad indices and labels beyond numClasses', () => {
    const text = 'a,b,y\n1,2,0\n3,4,5\n';
    assert.throws(() => csvToDataset(text, { label: 'species' }, 't.csv'), {
      message: 't.csv: label column "species" not found; the columns are "a", "b", "y"',
    });
    assert.throws(() => csvToDataset(text, { label: 3 }, 't.csv'), { message: 't.csv: label column index must be an integer in 0..2 (got 3)' });
    assert.throws(() => csvToDataset(text, { label: 'y', header: false }, 't.csv'), {
      message: 't.csv: without a header, give the label column as a 0-based index (got "y")',
    });
    assert.throws(() => csvToDataset(text, { label: 'y', numClasses: 3 }, 't.csv'), {
      message: 't.csv: line 3, column "y": label 5 is not below numClasses 3',
    });
    assert.throws(() => csvToDataset(text, { label: 'y', features: ['y'] }, 't.csv'), { message: 't.csv: column "y" cannot be both the label and a feature' });
    assert.throws(() => csvToDataset('a,y\n', { label: 'y' }, 't.csv'), { message: 't.csv: no data rows' });
    assert.throws(() => csvToDataset(text, { label: 'y', headers: true } as never, 't.csv'), {
      message: "csv: unknown option 'headers' (known: label, features, header, group, numClasses, delimiter, name)",
    });
    assert.throws(() => csvToDataset('a,y\n1,\n', { label: 'y' }, 't.csv'), { message: 't.csv: line 2, column "y": the label is empty' });
    assert.throws(() => csvToDataset('a,y\n,1\n', { label: 'y' }, 't.csv'), { message: 't.csv: line 2, column "a": "" is not a number' });
  });
});

describe('parseDecimal', () => {
  it('reads decimal numbers and nothing else', () => {
    assert.deepEqual(['3', '-0.5', ' .5 ', '1e-3', '+2', '0', '007'].map(parseDecimal), [3, -0.5, 0.5, 0.001, 2, 0, 7]);
    assert.deepEqual(
      ['', '  ', 'abc', 'NaN', 'Infinity', '-Infinity', '0x1f', '0B11', '0o17', '1,5', '1_000'].map(parseDecimal),
      new Array(11).fill(undefined),
    );
  });
});

describe('parseCsv', () => {
  it('reports the line where each record starts, skipping blank lines', () => {
    const records = parseCsv('a,b\n\n"x\ny",2\n   \n3,4', 't');
    assert.deepEqual(records, [
      { line: 1, cells: ['a', 'b'] },
      { line: 3, cells: ['x\ny', '2'] },
      { line: 6, cells: ['3', '4'] },
    ]);
  });

  it('rejects an unclosed quote, naming its line', () => {
    assert.throws(() => parseCsv('a,b\n1,"oops\n2,3\n', 't.csv'), { message: 't.csv: line 2: a quoted field is never closed' });
  });

  it('takes another delimiter and ignores a byte-order mark', () => {
    assert.deepEqual(parseCsv('\ufeffa;b\r\n1;2\r\n', 't', ';'), [
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['1', '2'] },
    ]);
  });
});
