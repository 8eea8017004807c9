import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataset, sharedFloat32, sharedInt32 } from '../../../../kernel/data/dataset';
import { DatasetCache, defaultCacheDir } from '../../../../kernel/transport/scale-out/dataset-cache';
import { datasetHash } from '../../../../kernel/transport/scale-out/dataset-hash';

function tiny(labels: number[]) {
  const x = sharedFloat32(labels.length * 2);
  x.set(labels.flatMap((label, i) => [i + 0.5, -label]));
  const y = sharedInt32(labels.length);
  y.set(labels);
  return createDataset({ x, y, exampleShape: [2], numClasses: 3, name: 'tiny' });
}

test('a dataset written to the cache reads back with the same hash and bytes', () => {
  const cache = new DatasetCache(mkdtempSync(join(tmpdir(), 'fedbook-cache-')));
  const dataset = tiny([0, 2, 1]);
  const hash = datasetHash(dataset);
  assert.equal(cache.read(hash), undefined);
  cache.write(hash, dataset);
  const back = cache.read(hash)!;
  assert.deepEqual([...back.x], [0.5, -0, 1.5, -2, 2.5, -1]);
  assert.deepEqual([...back.y], [0, 2, 1]);
  assert.deepEqual(back.exampleShape, [2]);
  assert.ok(back.x.buffer instanceof SharedArrayBuffer, 'workers read it from shared memory');
});

test('the hash changes with one label; a cached file whose bytes do not hash to its name is deleted, not used', () => {
  assert.notEqual(datasetHash(tiny([0, 2, 1])), datasetHash(tiny([0, 2, 2])));
  const dir = mkdtempSync(join(tmpdir(), 'fedbook-cache-'));
  const cache = new DatasetCache(dir);
  const dataset = tiny([1, 1, 0]);
  const hash = datasetHash(dataset);
  cache.write(hash, dataset);
  const file = join(dir, 'datasets', `${hash}.bin`);
  const bytes = readFileSync(file);
  bytes[bytes.length - 1] ^= 1;
  writeFileSync(file, bytes);
  assert.equal(cache.read(hash), undefined);
  assert.equal(existsSync(file), false);
});

test('the cache folder: $FEDBOOK_CACHE, else $XDG_CACHE_HOME/fedbook, else ~/.cache/fedbook', () => {
  assert.equal(defaultCacheDir({ FEDBOOK_CACHE: '/data/fb', XDG_CACHE_HOME: '/x' }), '/data/fb');
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x' }), join('/x', 'fedbook'));
  assert.match(defaultCacheDir({}), /[/\\]\.cache[/\\]fedbook$/);
});
