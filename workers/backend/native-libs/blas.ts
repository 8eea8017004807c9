/**
 * CBLAS found at run time: OpenBLAS on Linux, Accelerate on macOS, or the
 * library `FEDBOOK_BLAS` names. Only `cblas_sgemm` is bound, behind a wrapper
 * that checks every dimension and buffer length before calling into C.
 */
import { openFirst, type Koffi } from './ffi';

/** C = alpha·op(A)·op(B) + beta·C on row-major Float32Arrays (zero copy; subarrays keep their offsets). */
export type Sgemm = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  alpha: number,
  beta: number,
) => void;

/** y ← alpha·x + y over n values (zero copy). */
export type Saxpy = (n: number, alpha: number, x: Float32Array, y: Float32Array) => void;

export interface Blas {
  sgemm: Sgemm;
  saxpy: Saxpy;
  /** The library file that was loaded. */
  path: string;
  /** e.g. 'OpenBLAS 0.3.21 (Haswell)'. */
  describe: string;
}

/** Where to look, in order, when FEDBOOK_BLAS is not set. */
export function blasCandidates(platform: NodeJS.Platform = process.platform): string[] {
  switch (platform) {
    case 'linux':
      return [
        'libopenblas.so.0',
        '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0',
        '/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0',
        'libopenblas.so',
      ];
    case 'darwin':
      return [
        '/System/Library/Frameworks/Accelerate.framework/Accelerate',
        '/opt/homebrew/opt/openblas/lib/libopenblas.dylib',
        '/usr/local/opt/openblas/lib/libopenblas.dylib',
      ];
    case 'win32':
      return ['libopenblas.dll'];
    default:
      return [];
  }
}

export const BLAS_INSTALL_HINT: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'install it with `apt-get install libopenblas0-pthread` (or set FEDBOOK_BLAS=/path/to/libopenblas.so.0)',
  darwin: 'Accelerate should be there; or set FEDBOOK_BLAS=/path/to/libopenblas.dylib',
  win32: 'set FEDBOOK_BLAS=C:\\path\\to\\libopenblas.dll',
};

const ROW_MAJOR = 101,
  NO_TRANS = 111,
  TRANS = 112;

/** Loads, binds and probes BLAS; `problem` is a one-line reason when it cannot be used. */
export function openBlas(koffi: Koffi, env: NodeJS.ProcessEnv = process.env): { blas?: Blas; problem?: string } {
  const override = env.FEDBOOK_BLAS;
  const candidates = override ? [override] : blasCandidates();
  const hint = BLAS_INSTALL_HINT[process.platform] ?? 'set FEDBOOK_BLAS=/path/to/a CBLAS library';
  const { library, path, tried } = openFirst(koffi, candidates);
  if (!library || !path) {
    if (override) return { problem: `FEDBOOK_BLAS=${override} could not be loaded (${tried[0]?.reason ?? 'no such file'})` };
    return { problem: `no BLAS library found (tried ${candidates.join(', ') || 'nothing on this platform'}); ${hint}` };
  }
  let raw: (...args: unknown[]) => void;
  try {
    raw = library.func(
      'void cblas_sgemm(int order, int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb, float beta, _Inout_ float *C, int ldc)',
    );
  } catch (error) {
    return { problem: `${path} has no cblas_sgemm (${(error as Error).message.split('\n')[0]})` };
  }
  let rawSaxpy: (...args: unknown[]) => void;
  try {
    rawSaxpy = library.func('void cblas_saxpy(int n, float alpha, const float *x, int incx, _Inout_ float *y, int incy)');
  } catch (error) {
    return { problem: `${path} has no cblas_saxpy (${(error as Error).message.split('\n')[0]})` };
  }
  const saxpy: Saxpy = (n, alpha, x, y) => {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`saxpy: n must be a non-negative 32-bit integer, got ${n}`);
    if (!(x instanceof Float32Array) || !(y instanceof Float32Array) || x.length < n || y.length < n)
      throw new RangeError(`saxpy: x and y must be Float32Arrays of at least ${n} values`);
    if (n > 0) rawSaxpy(n, alpha, x, 1, y, 1);
  };
  const setThreads = optionalFunc(library, 'void openblas_set_num_threads(int n)');
  setThreads?.(1);
  const corename = optionalFunc(library, 'const char *openblas_get_corename()');
  const config = optionalFunc(library, 'const char *openblas_get_config()');

  const sgemm: Sgemm = (transA, transB, m, n, k, a, b, c, alpha, beta) => {
    checkGemm(transA, transB, m, n, k, a, b, c);
    if (m === 0 || n === 0) return;
    raw(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha, a, transA ? m : k, b, transB ? k : n, beta, c, n);
  };
  const problem = probeSgemm(sgemm);
  if (problem) return { problem: `${path} failed its probe: ${problem}` };
  const version = (config?.() as string | undefined)?.match(/OpenBLAS [\d.]+/)?.[0];
  const name = version ?? (path.includes('Accelerate') ? 'Accelerate' : path);
  const core = corename?.() as string | undefined;
  return { blas: { sgemm, saxpy, path, describe: core ? `${name} (${core} kernels)` : name } };
}

function optionalFunc(library: ReturnType<Koffi['load']>, signature: string): ((...args: unknown[]) => unknown) | undefined {
  try {
    return library.func(signature);
  } catch {
    return undefined;
  }
}

/** Throws a RangeError unless op(A) is m×k, op(B) is k×n and C is m×n, all inside their buffers. */
export function checkGemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  for (const [name, value] of [
    ['m', m],
    ['n', n],
    ['k', k],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) throw new RangeError(`sgemm: ${name} must be a non-negative 32-bit integer, got ${value}`);
  }
  if (k === 0 && m > 0 && n > 0) throw new RangeError('sgemm: k must be positive');
  if (!(a instanceof Float32Array) || !(b instanceof Float32Array) || !(c instanceof Float32Array))
    throw new TypeError('sgemm: A, B and C must be Float32Arrays');
  if (a.length < m * k) throw new RangeError(`sgemm: A${transA ? 'ᵀ' : ''} is ${m}×${k} but holds ${a.length} values`);
  if (b.length < k * n) throw new RangeError(`sgemm: B${transB ? 'ᵀ' : ''} is ${k}×${n} but holds ${b.length} values`);
  if (c.length < m * n) throw new RangeError(`sgemm: C is ${m}×${n} but holds ${c.length} values`);
}

/** A 2×3 by 3×2 product, plain and transposed, with integer results that must be exact. */
function probeSgemm(sgemm: Sgemm): string | undefined {
  try {
    const a = Float32Array.of(1, 2, 3, 4, 5, 6); // 2×3
    const b = Float32Array.of(7, 8, 9, 10, 11, 12); // 3×2
    const c = new Float32Array(4).fill(1);
    sgemm(false, false, 2, 2, 3, a, b, c, 1, 1);
    const aT = Float32Array.of(1, 4, 2, 5, 3, 6); // Aᵀ stored 3×2
    const d = new Float32Array(4);
    sgemm(true, false, 2, 2, 3, aT, b, d, 1, 0);
    const expected = [58, 64, 139, 154];
    if (!expected.every((v, i) => c[i] === v + 1 && d[i] === v))
      return `2×3·3×2 gave [${Array.from(c)}] and [${Array.from(d)}], expected [59,65,140,155] and [${expected}]`;
    return undefined;
  } catch (error) {
    return (error as Error).message.split('\n')[0];
  }
}
