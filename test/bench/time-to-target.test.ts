/**
 * The lines bench/torch_fedavg.py prints, as the time-to-target bench reads
 * them (pure parsing; the script itself runs in the bench, not in tests).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTorchFedAvgLine } from '../../bench/time-to-target';

test('a round line and the summary line', () => {
  assert.deepEqual(parseTorchFedAvgLine('{"round": 3, "accuracy": 0.8667, "seconds": 1.39}'), {
    kind: 'round',
    round: 3,
    accuracy: 0.8667,
    seconds: 1.39,
  });
  assert.deepEqual(
    parseTorchFedAvgLine('{"done": true, "rounds": 41, "seconds": 18.5, "accuracy": 0.9702, "reached": true, "torch": "1.13.0a0", "threads": 2}'),
    { kind: 'done', rounds: 41, seconds: 18.5, accuracy: 0.9702, reached: true, torch: '1.13.0a0', threads: 2 },
  );
});

test('anything else is an error that quotes the line', () => {
  assert.throws(() => parseTorchFedAvgLine('Traceback (most recent call last):'), /torch_fedavg\.py printed a line that is not JSON: Traceback/);
  assert.throws(() => parseTorchFedAvgLine('{"round": 1, "accuracy": "high", "seconds": 1}'), /'accuracy' is not a number in \{"round": 1/);
  assert.throws(
    () => parseTorchFedAvgLine('{"done": true, "rounds": 1, "seconds": 1, "accuracy": 0.5, "torch": "x", "threads": 1}'),
    /'reached' is not a boolean/,
  );
  assert.throws(() => parseTorchFedAvgLine('null'), /'round' is not a number in null/);
});
