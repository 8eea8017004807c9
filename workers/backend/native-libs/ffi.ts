/**
 * The FFI under the native libraries: koffi, required lazily so that a missing
 * or broken koffi is a one-line note and a fallback, never a crash.
 */
import type * as koffiTypes from 'koffi';

export type Koffi = typeof koffiTypes;
export type NativeLibrary = ReturnType<Koffi['load']>;

let cached: { koffi?: Koffi; problem?: string } | undefined;

/** koffi, or a one-line reason why it cannot be used here. */
export function loadKoffi(): { koffi?: Koffi; problem?: string } {
  if (!cached) {
    try {
      const koffi = require('koffi') as Koffi;
      // koffi runs synchronous calls on its own stack (2 MiB by default, no guard page); oneDNN's JIT kernels
      // expect a thread's usual 8 MiB. 16 MiB is koffi's maximum (virtual memory: only touched pages count).
      koffi.config({ ...koffi.config(), sync_stack_size: 16 * 1024 * 1024 });
      cached = { koffi };
    } catch (error) {
      cached = { problem: `koffi (the FFI) failed to load: ${(error as Error).message.split('\n')[0]}; reinstall it with \`npm install koffi\`` };
    }
  }
  return cached;
}

/** Environment variables that pin BLAS and OpenMP runtimes to one thread: each worker thread is one client. */
export const ONE_THREAD_ENV: Readonly<Record<string, string>> = {
  OPENBLAS_NUM_THREADS: '1',
  OMP_NUM_THREADS: '1',
  VECLIB_MAXIMUM_THREADS: '1',
  MKL_NUM_THREADS: '1',
};

let pinned = false;

/**
 * Sets ONE_THREAD_ENV in the process's C environment before any native library
 * is loaded. A worker thread's `process.env` is a private copy that C code never
 * sees, so the variables go through libc's setenv as well.
 */
export function pinNativeThreads(koffi: Koffi): void {
  if (pinned) return;
  pinned = true;
  for (const [name, value] of Object.entries(ONE_THREAD_ENV)) process.env[name] = value;
  const libc = process.platform === 'linux' ? 'libc.so.6' : process.platform === 'darwin' ? '/usr/lib/libSystem.B.dylib' : undefined;
  if (!libc) return;
  try {
    const setenv = koffi.load(libc).func('int setenv(const char *name, const char *value, int overwrite)');
    for (const [name, value] of Object.entries(ONE_THREAD_ENV)) setenv(name, value, 1);
  } catch {
    // Without setenv the libraries are still pinned through their own calls (openblas_set_num_threads).
  }
}

/** Loads the first library of `candidates` that opens; the reasons of the others otherwise. */
export function openFirst(koffi: Koffi, candidates: readonly string[]): { library?: NativeLibrary; path?: string; tried: { path: string; reason: string }[] } {
  const tried: { path: string; reason: string }[] = [];
  for (const path of candidates) {
    try {
      return { library: koffi.load(path), path, tried };
    } catch (error) {
      tried.push({ path, reason: (error as Error).message.split('\n')[0] });
    }
  }
  return { tried };
}

/** Blocks every signal on this thread while `call` runs, then restores the previous mask. */
export type SignalGuard = <T>(call: () => T) => T;

/**
 * A signal delivered to a thread while it is inside one of oneDNN's AVX2 JIT
 * kernels, called through koffi, corrupted the heap here (V8's profiler's
 * SIGPROF made it reproducible; SIGINT to a worker thread could do the same).
 * Blocking signals around each oneDNN call (two pthread_sigmask calls, well
 * under a microsecond) defers them until the call returns.
 */
export function createSignalGuard(koffi: Koffi): SignalGuard {
  const libc = process.platform === 'linux' ? 'libc.so.6' : process.platform === 'darwin' ? '/usr/lib/libSystem.B.dylib' : undefined;
  const setBytes = process.platform === 'linux' ? 128 : 4; // sizeof(sigset_t)
  let sigmask: ((how: number, set: Uint8Array, old: Uint8Array | null) => number) | undefined;
  try {
    if (libc) sigmask = koffi.load(libc).func('int pthread_sigmask(int how, const uint8_t *set, _Out_ uint8_t *old)') as typeof sigmask;
  } catch {
    sigmask = undefined;
  }
  if (!sigmask) return (call) => call();
  const SIG_BLOCK = process.platform === 'linux' ? 0 : 1,
    SIG_SETMASK = process.platform === 'linux' ? 2 : 3;
  const all = new Uint8Array(setBytes).fill(0xff),
    previous = new Uint8Array(setBytes);
  const mask = sigmask;
  return (call) => {
    mask(SIG_BLOCK, all, previous);
    try {
      return call();
    } finally {
      mask(SIG_SETMASK, previous, null);
    }
  };
}
