/** Finding BLAS and oneDNN at run time: overrides, missing and wrong libraries become one-line notes. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBlas } from '../../../workers/backend/native-libs/blas';
import { openDnnl } from '../../../workers/backend/native-libs/dnnl';
import { loadKoffi } from '../../../workers/backend/native-libs/ffi';
import { describeNativeLibs, loadNativeLibs } from '../../../workers/backend/native-libs/index';

const { koffi } = loadKoffi();
const linux = process.platform === 'linux';
const hasCompiler = () => linux && spawnSync('cc', ['--version']).status === 0;

describe('native library discovery', { skip: !koffi && 'koffi does not load here' }, () => {
  it('FEDBOOK_BLAS and FEDBOOK_DNNL pointing nowhere give a note naming the variable, not a fallback to another library', () => {
    const blas = openBlas(koffi!, { FEDBOOK_BLAS: '/nowhere/libopenblas.so.0' });
    assert.equal(blas.blas, undefined);
    assert.match(blas.problem!, /^FEDBOOK_BLAS=\/nowhere\/libopenblas\.so\.0 could not be loaded \(.+\)$/);
    const dnnl = openDnnl(koffi!, { FEDBOOK_DNNL: '/nowhere/libdnnl.so.2' });
    assert.equal(dnnl.dnnl, undefined);
    assert.match(dnnl.problem!, /^FEDBOOK_DNNL=\/nowhere\/libdnnl\.so\.2 could not be loaded \(.+\)$/);
  });

  it('a library that is not a CBLAS, or not oneDNN, is refused with the reason', { skip: !linux && 'uses libc.so.6' }, () => {
    assert.match(openBlas(koffi!, { FEDBOOK_BLAS: 'libc.so.6' }).problem!, /^libc\.so\.6 has no cblas_sgemm/);
    assert.match(openDnnl(koffi!, { FEDBOOK_DNNL: 'libc.so.6' }).problem!, /^libc\.so\.6 failed its probe: /);
  });

  it('refuses a oneDNN of another major version, saying which', { skip: !hasCompiler() && 'no C compiler to build a stand-in library' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedbook-dnnl3-'));
    writeFileSync(
      join(dir, 'fake.c'),
      `
      typedef struct { int major, minor, patch; const char *hash; unsigned cpu_runtime, gpu_runtime; } version_t;
      static const version_t version = { 3, 1, 0, "stand-in", 2, 0 };
      const version_t *dnnl_version(void) { return &version; }`,
    );
    const library = join(dir, 'libdnnl.so.3');
    execFileSync('cc', ['-shared', '-fPIC', '-o', library, join(dir, 'fake.c')]);
    assert.deepEqual(openDnnl(koffi!, { FEDBOOK_DNNL: library }), { problem: `${library} is oneDNN 3.1.0; Fedbook binds oneDNN 2.x only` });
  });

  it('finds and probes the installed libraries, pinned to one thread', () => {
    const libs = loadNativeLibs();
    const line = describeNativeLibs(libs);
    if (!libs.blas) {
      assert.match(line, /no BLAS library found \(tried .*\); /);
      return;
    }
    assert.match(line, /^BLAS: /);
    if (libs.dnnl) assert.match(libs.dnnl.describe, /^oneDNN 2\.\d+\.\d+ \(cpu runtime: /);
    assert.equal(process.env.OPENBLAS_NUM_THREADS, '1');
    assert.equal(process.env.OMP_NUM_THREADS, '1');
  });
});
