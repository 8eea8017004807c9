/**
 * Native libraries for the compiled training step, found at run time and
 * loaded once per worker thread: BLAS (required) and oneDNN (optional, for
 * convolutions). Each is pinned to one thread, since a worker thread is one
 * client. Nothing here throws: what is missing comes back as one-line notes,
 * and the caller falls back to tfjs.
 */
import { openBlas, type Blas } from './blas';
import { openDnnl, type Dnnl } from './dnnl';
import { loadKoffi, pinNativeThreads } from './ffi';

export type { Blas, Saxpy, Sgemm } from './blas';
export type { Dnnl } from './dnnl';
export { checkGemm, blasCandidates } from './blas';
export { SUPPORTED_DNNL_MAJOR } from './dnnl';
export { ONE_THREAD_ENV } from './ffi';

export interface NativeLibs {
  blas?: Blas;
  dnnl?: Dnnl;
  /** One line per library that is missing, unsupported or failed its probe. */
  notes: string[];
}

let loaded: NativeLibs | undefined;

/**
 * BLAS and oneDNN for this thread, loaded on the first call.
 *
 * @example
 * const { blas, notes } = loadNativeLibs();
 * if (!blas) console.log(`training through tfjs: ${notes.join('; ')}`);
 */
export function loadNativeLibs(): NativeLibs {
  if (!loaded) loaded = openNativeLibs();
  return loaded;
}

function openNativeLibs(): NativeLibs {
  const { koffi, problem } = loadKoffi();
  if (!koffi) return { notes: [problem!] };
  pinNativeThreads(koffi);
  const notes: string[] = [];
  const { blas, problem: blasProblem } = openBlas(koffi);
  if (blasProblem) notes.push(blasProblem);
  const { dnnl, problem: dnnlProblem } = openDnnl(koffi);
  if (dnnlProblem) notes.push(dnnlProblem);
  return { blas, dnnl, notes };
}

/** One line for a run's backend report: what was loaded and what was not. */
export function describeNativeLibs(libs: NativeLibs): string {
  const parts: string[] = [];
  if (libs.blas) parts.push(`BLAS: ${libs.blas.describe}`);
  if (libs.dnnl) parts.push(libs.dnnl.describe);
  return [...parts, ...libs.notes].join('; ');
}
