import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadMnist } from '../../../../kernel/data/mnist';
import { partition } from '../../../../kernel/federated/partition';

/** Number of distinct labels held by each client. */
const labelsPerClient = (histogram: number[][]): number[] => histogram.map((row) => row.filter((count) => count > 0).length);

describe('partitions of real MNIST (60,000 training digits)', () => {
  it("shards: the paper's 100 clients × 2 shards of 300, most clients holding two digits", async () => {
    const { train } = await loadMnist();
    const federated = partition(train, { clients: 100, scheme: 'shards', shardsPerClient: 2, seed: 7 });
    assert.deepEqual(federated.sizes(), new Array(100).fill(600));
    assert.equal(federated.details.shardSize, 300);
    const labels = labelsPerClient(federated.labelHistogram());
    // A shard of 300 may straddle two digits (class sizes are not multiples of 300), so a client holds 1 to 4 digits.
    assert.ok(Math.max(...labels) <= 4, `max labels per client ${Math.max(...labels)}`);
    assert.ok(labels.filter((k) => k <= 2).length >= 80, `clients with at most 2 digits: ${labels.filter((k) => k <= 2).length}`);
  });

  it('iid: 600 examples each and every client sees all ten digits', async () => {
    const { train } = await loadMnist();
    const federated = partition(train, { clients: 100, scheme: 'iid', seed: 1 });
    assert.deepEqual(federated.sizes(), new Array(100).fill(600));
    assert.deepEqual([...new Set(labelsPerClient(federated.labelHistogram()))], [10]);
  });

  it('dirichlet alpha 0.05 over 100 clients terminates with every client at minSize or more', async () => {
    const { train } = await loadMnist();
    const federated = partition(train, { clients: 100, scheme: 'dirichlet', alpha: 0.05, minSize: 10, seed: 3 });
    assert.ok(Math.min(...federated.sizes()) >= 10);
    assert.equal(
      federated.sizes().reduce((a, b) => a + b, 0),
      60000,
    );
    const labels = labelsPerClient(federated.labelHistogram());
    assert.ok(labels.reduce((a, b) => a + b, 0) / labels.length < 5, `mean digits per client ${labels}`);
  });
});
