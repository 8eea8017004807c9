import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricValue, PLOTTED_METRICS, TABLE_METRICS, type RoundMetrics } from '../../../kernel/contract';

const round: RoundMetrics = { round: 3, trainLoss: 0.5, clients: 10, failures: 0, bytesDown: 1200, bytesUp: 300, ms: 41.7, testAccuracy: 0.91 };

test('one metric table gives the run table its columns and the chart its metrics, each in its order', () => {
  assert.deepEqual(
    TABLE_METRICS.map((m) => m.key),
    ['round', 'testAccuracy', 'testLoss', 'trainLoss', 'clients', 'failures', 'epsilon', 'ms'],
  );
  assert.deepEqual(
    TABLE_METRICS.map((m) => m.column),
    ['round', 'test acc', 'test loss', 'train loss', 'clients', 'failures', 'ε', 'ms'],
  );
  assert.deepEqual(
    PLOTTED_METRICS.map((m) => m.key),
    ['testAccuracy', 'testLoss', 'trainLoss', 'clientAccuracyMean', 'clientAccuracyP10', 'clientAccuracyWorst', 'attackSuccessRate', 'epsilon', 'bytes', 'ms'],
  );
  assert.deepEqual(
    PLOTTED_METRICS.map((m) => m.label),
    [
      'Test accuracy',
      'Test loss',
      'Train loss',
      'Client accuracy (mean)',
      'Client accuracy (10th percentile)',
      'Client accuracy (worst)',
      'Backdoor success rate',
      'Privacy ε',
      'Bytes per round',
      'Round time (ms)',
    ],
  );
});

test('a plotted metric reads the round; bytes is up plus down; missing and non-finite values are undefined', () => {
  assert.equal(metricValue(round, 'testAccuracy'), 0.91);
  assert.equal(metricValue(round, 'bytes'), 1500);
  assert.equal(metricValue(round, 'epsilon'), undefined);
  assert.equal(metricValue({ ...round, testLoss: Number.POSITIVE_INFINITY }, 'testLoss'), undefined);
});
