import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { createDataset, sharedFloat32, sharedInt32, type Dataset } from '../../../../kernel/data/dataset';
import { partition } from '../../../../kernel/federated/partition';
import { csvToDataset } from '../../../../kernel/data/csv';

/** A toy dataset: example i has the single feature i and label ⌊i / perClass⌋. */
function toyDataset(classes: number, perClass: number, groups?: Int32Array): Dataset {
  const n = classes * perClass;
  const x = sharedFloat32(n);
  const y = sharedInt32(n);
  for (let i = 0; i < n; i++) {
    x[i] = i;
    y[i] = Math.floor(i / perClass);
  }
  return createDataset({ x, y, exampleShape: [1], numClasses: classes, name: 'toy', groups });
}

describe('partition', () => {
  const data = toyDataset(10, 30); // 300 examples

  it('splits 300 examples IID among 7 clients and reports sizes and histograms', () => {
    const federated = partition(data, { clients: 7, scheme: 'iid', seed: 1 });
    assert.equal(federated.numClients, 7);
    assert.deepEqual(federated.sizes(), [43, 43, 43, 43, 43, 43, 42]);
    assert.equal(
      federated
        .labelHistogram()
        .flat()
        .reduce((a, b) => a + b, 0),
      300,
    );
    assert.equal(federated.describe().examples, 300);
    assert.ok(federated.indices.buffer instanceof SharedArrayBuffer);
    assert.deepEqual(Array.from(federated.clients[1]), Array.from(federated.indices.subarray(federated.offsets[1], federated.offsets[2])));
  });

  it('prints and serialises as a summary, not as every index', () => {
    const federated = partition(data, { clients: 7, scheme: 'iid', seed: 1 });
    const summary = { dataset: 'toy', scheme: 'iid', seed: 1, numClients: 7, examples: 300, minSize: 42, meanSize: 300 / 7, maxSize: 43, details: {} };
    assert.deepEqual(JSON.parse(JSON.stringify(federated)), summary);
    assert.equal(inspect(federated), `FederatedData ${JSON.stringify(summary)}`);
  });

  it("a client's indices reach a worker thread as views of the same shared memory", async () => {
    const federated = partition(data, { clients: 4, scheme: 'iid', seed: 1 });
    const view = federated.clients[2];
    const expected = Array.from(view);
    // The worker reads the view it was sent, then writes -1 into its first slot: shared memory shows the write here.
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const seen = Array.from(workerData.indices);
       workerData.indices[0] = -1;
       parentPort.postMessage(seen);`,
      { eval: true, workerData: { indices: view } },
    );
    const [seen] = await once(worker, 'message');
    await once(worker, 'exit');
    assert.deepEqual(seen, expected);
    assert.equal(federated.indices[federated.offsets[2]], -1);
  });

  it("client(c) is a dataset holding that client's examples", () => {
    const federated = partition(data, { clients: 10, scheme: 'shards', shardsPerClient: 1, seed: 2 });
    const client = federated.client(4);
    assert.equal(client.length, 30);
    assert.deepEqual(Array.from(client.x), Array.from(federated.clients[4]));
    assert.equal(new Set(client.y).size, 1);
    assert.throws(() => federated.client(10), { message: 'client must be an integer in 0..9 (got 10)' });
  });

  it('is deterministic for a seed and differs for another seed, for every scheme', () => {
    for (const scheme of ['iid', 'shards', 'dirichlet'] as const) {
      const a = partition(data, { clients: 10, scheme, seed: 5 }).clients;
      assert.deepEqual(partition(data, { clients: 10, scheme, seed: 5 }).clients, a, scheme);
      assert.notDeepEqual(partition(data, { clients: 10, scheme, seed: 6 }).clients, a, scheme);
    }
  });

  it('dirichlet records alpha, minSize, attempts and moved', () => {
    const federated = partition(data, { clients: 10, scheme: 'dirichlet', alpha: 0.05, minSize: 5, seed: 3 });
    assert.equal(federated.details.alpha, 0.05);
    assert.equal(federated.details.minSize, 5);
    assert.ok(Math.min(...federated.sizes()) >= 5);
  });

  it("natural uses the dataset's groups or a given by", () => {
    const grouped = toyDataset(2, 3, Int32Array.from([5, 5, 6, 6, 7, 7]));
    assert.deepEqual(partition(grouped, { scheme: 'natural' }).sizes(), [2, 2, 2]);
    assert.deepEqual(partition(grouped, { scheme: 'natural', by: [1, 1, 1, 1, 1, 2] }).sizes(), [5, 1]);
    assert.equal(partition(grouped, { scheme: 'natural', clients: 2, seed: 1 }).numClients, 2);
  });

  describe('natural, by a column name of a CSV dataset', () => {
    const csv = 'site,temp,label\nA,1.5,0\nB,2.5,1\nA,3.5,1\nC,1.5,0\nB,0.5,0\n';

    it('the group column: sites A, B, C hold rows {0, 2}, {1, 4}, {3}', () => {
      const data = csvToDataset(csv, { label: 'label', group: 'site', name: 'sites.csv' });
      const federated = partition(data, { scheme: 'natural', by: 'site' });
      assert.deepEqual(
        federated.clients.map((c) => Array.from(c)),
        [[0, 2], [1, 4], [3]],
      );
      assert.deepEqual(federated.sizes(), partition(data, { scheme: 'natural' }).sizes());
    });

    it('a feature column: temp 1.5, 2.5, 3.5, 0.5 make four owners, rows {0, 3}, {1}, {2}, {4}', () => {
      const data = csvToDataset(csv, { label: 'label', features: ['temp'], name: 'sites.csv' });
      assert.deepEqual(
        partition(data, { scheme: 'natural', by: 'temp' }).clients.map((c) => Array.from(c)),
        [[0, 3], [1], [2], [4]],
      );
    });

    it('a column the dataset did not keep: says which it has and how to keep it', () => {
      const data = csvToDataset(csv, { label: 'label', features: ['temp'], name: 'sites.csv' });
      assert.throws(() => partition(data, { scheme: 'natural', by: 'site' }), {
        message:
          "natural partition: by: 'site' is not a column of dataset 'sites.csv' (its columns are 'temp'). Load the CSV with { group: 'site' } and partition with { scheme: 'natural' }, or pass one group id per example (length 5)",
      });
    });
  });

  it('rejects bad options with exact messages', () => {
    const cases: [Parameters<typeof partition>[1], string][] = [
      [{ clients: 0, scheme: 'iid' }, 'clients must be an integer in 1..300 (there are 300 examples)'],
      [{ clients: 2.5, scheme: 'iid' }, 'clients must be an integer in 1..300 (there are 300 examples)'],
      [{ clients: 301, scheme: 'iid' }, 'clients must be an integer in 1..300 (there are 300 examples)'],
      [{ scheme: 'iid' }, 'partition needs clients: an integer in 1..300 (there are 300 examples)'],
      [{ clients: 200, scheme: 'shards' }, 'shards: 200 clients × 2 shards need at least 400 examples (there are 300)'],
      [{ clients: 10, scheme: 'shards', shardsPerClient: 0 }, 'shardsPerClient must be a positive integer (got 0)'],
      [{ clients: 10, scheme: 'dirichlet', alpha: 0 }, 'dirichlet needs alpha > 0 (got 0)'],
      [{ clients: 10, scheme: 'dirichlet', alpha: 1, minSize: 31 }, 'dirichlet: 10 clients × minSize 31 need at least 310 examples (there are 300)'],
      [{ clients: 10, scheme: 'dirichlet', minSize: 0 }, 'minSize must be a positive integer (got 0)'],
      [
        { scheme: 'natural' },
        "natural partition needs groups: the dataset has none; pass { by: 'column' } (a CSV column) or { by: Int32Array } (a group id per example)",
      ],
      [
        { scheme: 'natural', by: [1, 2] },
        'natural partition: by has 2 entries for 300 examples: pass one group id per example (an Int32Array or number[] of length 300), or a column name',
      ],
      [
        { scheme: 'natural', by: 'site' },
        "natural partition: by: 'site' is not a column of dataset 'toy' (it keeps no column names (only fed.datasets.csv datasets do)). Load the CSV with { group: 'site' } and partition with { scheme: 'natural' }, or pass one group id per example (length 300)",
      ],
      [
        { scheme: 'natural', by: 3 as never },
        'natural partition: by must be a column name of the dataset or one group id per example (an Int32Array or number[] of length 300); got number',
      ],
      [{ clients: 10, scheme: 'iid', alpha: 0.1 }, "alpha only applies to scheme 'dirichlet' (scheme is 'iid')"],
      [{ clients: 10, scheme: 'iid', seed: Number.NaN }, 'seed must be a finite number (got NaN)'],
      [{ clients: 10, scheme: 'random' as never }, "scheme must be one of 'iid', 'shards', 'dirichlet', 'natural' (got \"random\")"],
      [
        { clients: 10, scheme: 'shards', shardPerClient: 2 } as never,
        "partition: unknown option 'shardPerClient' (known: clients, scheme, seed, shardsPerClient, alpha, minSize, by)",
      ],
    ];
    for (const [options, message] of cases) assert.throws(() => partition(data, options), { message }, JSON.stringify(options));
  });
});
