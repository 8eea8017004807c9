import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { buildKernelSpec, kernelsDir } from '../../../kernel/cli/install';
import { parseInstallScope, parseRunArgs } from '../../../kernel/cli/main';

test('kernelspec directories follow jupyter kernelspec install', () => {
  assert.equal(kernelsDir({ kind: 'user' }, {}, 'linux'), join(homedir(), '.local', 'share', 'jupyter', 'kernels'));
  assert.equal(kernelsDir({ kind: 'user' }, { XDG_DATA_HOME: '/xdg' }, 'linux'), join('/xdg', 'jupyter', 'kernels'));
  assert.equal(kernelsDir({ kind: 'user' }, { JUPYTER_DATA_DIR: '/jd' }, 'linux'), join('/jd', 'kernels'));
  assert.equal(kernelsDir({ kind: 'user' }, {}, 'darwin'), join(homedir(), 'Library', 'Jupyter', 'kernels'));
  assert.equal(kernelsDir({ kind: 'prefix', prefix: '/opt/env' }), join('/opt/env', 'share', 'jupyter', 'kernels'));
  assert.equal(kernelsDir({ kind: 'system' }, {}, 'linux'), '/usr/local/share/jupyter/kernels');
});

test('the kernelspec runs node with the kernel flags on bin/fedbook.js and interrupts by message', () => {
  const spec = buildKernelSpec('/usr/bin/node', '/pkg/bin/fedbook.js');
  assert.deepEqual(spec.argv, ['/usr/bin/node', '--no-force-async-hooks-checks', '/pkg/bin/fedbook.js', 'kernel', '-f', '{connection_file}']);
  assert.equal(spec.display_name, 'Fedbook (TypeScript)');
  assert.equal(spec.language, 'typescript');
  assert.equal(spec.interrupt_mode, 'message');
});

test('command-line options parse, and mistakes name the option', () => {
  assert.deepEqual(parseInstallScope([]), { kind: 'system' });
  assert.deepEqual(parseInstallScope(['--prefix=/p']), { kind: 'prefix', prefix: '/p' });
  assert.throws(() => parseInstallScope(['--usr']), { message: "unknown option '--usr' for 'fedbook kernel install'" });
  assert.throws(() => parseInstallScope(['--prefix']), { message: '--prefix needs a directory: --prefix DIR' });
  assert.deepEqual(parseRunArgs(['nb.ipynb', '--out', 'o.ipynb', '--timeout', '2.5']), { notebook: 'nb.ipynb', out: 'o.ipynb', timeoutS: 2.5 });
  assert.throws(() => parseRunArgs(['a.ipynb', 'b.ipynb']), { message: "'fedbook run' takes one notebook, got 'a.ipynb' and 'b.ipynb'" });
  assert.throws(() => parseRunArgs(['a.ipynb', '--timeout', '-1']), { message: "--timeout must be a positive number of seconds, got '-1'" });
});
