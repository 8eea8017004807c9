import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkKnownOptions, finiteNumber, integerIn, numberIn, oneOf, positiveNumber, requireObject } from '../../kernel/validate';

test('each check returns the value it accepts', () => {
  assert.equal(integerIn('clients', 300, 1, 300), 300);
  assert.equal(positiveNumber('clientLr', 0.1), 0.1);
  assert.equal(positiveNumber('noiseMultiplier', 0, true), 0);
  assert.equal(numberIn('beta', 0, 0, 0.5, false, true), 0);
  assert.equal(oneOf('backend', 'wasm', ['auto', 'wasm']), 'wasm');
  assert.equal(finiteNumber('seed', -3), -3);
});

test('messages name the option, what it must be, and the value as written', () => {
  assert.throws(() => integerIn('clients', 0, 1, 300, ' (there are 300 examples)'), {
    message: 'clients must be an integer in 1..300 (there are 300 examples) (got 0)',
  });
  assert.throws(() => integerIn('devices', 2.5, 1), { message: 'devices must be an integer ≥ 1 (got 2.5)' });
  assert.throws(() => positiveNumber('clientLr', Number.NaN), { message: 'clientLr must be a positive finite number (got NaN)' });
  assert.throws(() => positiveNumber('noiseMultiplier', -1, true), { message: 'noiseMultiplier must be a non-negative finite number (got -1)' });
  assert.throws(() => numberIn('delta', 1, 0, 1, true, true), { message: 'delta must be a number in (0, 1) (got 1)' });
  assert.throws(() => oneOf('backend', 'tpu', ['auto', 'wasm']), { message: `backend must be one of 'auto', 'wasm' (got "tpu")` });
  assert.throws(() => finiteNumber('seed', Number.POSITIVE_INFINITY), { message: 'seed must be a finite number (got Infinity)' });
  assert.throws(() => finiteNumber('seed', undefined), { message: 'seed must be a finite number (got undefined)' });
  assert.throws(() => checkKnownOptions('mnist', { trainlimit: 5 }, ['trainLimit', 'testLimit']), {
    message: "mnist: unknown option 'trainlimit' (known: trainLimit, testLimit)",
  });
  assert.throws(() => requireObject('dp.gaussian', null), { message: 'dp.gaussian needs an options object (got null)' });
  assert.throws(() => requireObject('dp.gaussian', [1]), { message: 'dp.gaussian needs an options object (got an array)' });
});
