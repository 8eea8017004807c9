/**
 * oneDNN found at run time (Debian's libdnnl2, or the library `FEDBOOK_DNNL`
 * names). Its C API changed between major versions and its structs have
 * version-specific sizes, so only the 2.x series is bound; any other version
 * is reported and left alone.
 */
import { openFirst, type Koffi, type NativeLibrary } from './ffi';

export interface Dnnl {
  koffi: Koffi;
  library: NativeLibrary;
  path: string;
  version: { major: number; minor: number; patch: number };
  /** e.g. 'oneDNN 2.6.3 (cpu runtime: OpenMP)'. */
  describe: string;
}

/** The oneDNN major versions whose C API Fedbook binds. */
export const SUPPORTED_DNNL_MAJOR = 2;

export function dnnlCandidates(platform: NodeJS.Platform = process.platform): string[] {
  switch (platform) {
    case 'linux':
      return ['libdnnl.so.2', 'libdnnl.so'];
    case 'darwin':
      return ['libdnnl.2.dylib', '/opt/homebrew/lib/libdnnl.2.dylib', '/usr/local/lib/libdnnl.2.dylib'];
    case 'win32':
      return ['dnnl.dll'];
    default:
      return [];
  }
}

let versionStruct: ReturnType<Koffi['struct']> | undefined;

const CPU_RUNTIMES: Record<number, string> = { 0: 'none', 1: 'sequential', 2: 'OpenMP', 4: 'TBB', 8: 'threadpool' };

/** Loads oneDNN, checks its version and creates a CPU engine as a probe; `problem` is a one-line reason otherwise. */
export function openDnnl(koffi: Koffi, env: NodeJS.ProcessEnv = process.env): { dnnl?: Dnnl; problem?: string } {
  const override = env.FEDBOOK_DNNL;
  const candidates = override ? [override] : dnnlCandidates();
  const { library, path, tried } = openFirst(koffi, candidates);
  if (!library || !path) {
    if (override) return { problem: `FEDBOOK_DNNL=${override} could not be loaded (${tried[0]?.reason ?? 'no such file'})` };
    return {
      problem: `oneDNN not found (tried ${candidates.join(', ') || 'nothing on this platform'}); ${process.platform === 'linux' ? 'install it with `apt-get install libdnnl2`' : 'set FEDBOOK_DNNL=/path/to/libdnnl'}`,
    };
  }
  try {
    versionStruct ??= koffi.struct('fedbook_dnnl_version_t', {
      major: 'int',
      minor: 'int',
      patch: 'int',
      hash: 'const char *',
      cpu_runtime: 'unsigned int',
      gpu_runtime: 'unsigned int',
    });
    const VersionStruct = versionStruct;
    const dnnlVersion = library.func('dnnl_version', koffi.pointer(VersionStruct), []);
    const version = koffi.decode(dnnlVersion(), VersionStruct) as { major: number; minor: number; patch: number; cpu_runtime: number };
    const label = `oneDNN ${version.major}.${version.minor}.${version.patch}`;
    if (version.major !== SUPPORTED_DNNL_MAJOR) return { problem: `${path} is ${label}; Fedbook binds oneDNN ${SUPPORTED_DNNL_MAJOR}.x only` };
    const engineCreate = library.func('int dnnl_engine_create(_Out_ void **engine, int kind, size_t index)');
    const engineDestroy = library.func('int dnnl_engine_destroy(void *engine)');
    const engine: unknown[] = [null];
    const status = engineCreate(engine, 1 /* dnnl_cpu */, 0) as number;
    if (status !== 0) return { problem: `${path} (${label}) failed its probe: dnnl_engine_create returned status ${status}` };
    engineDestroy(engine[0]);
    const runtime = CPU_RUNTIMES[version.cpu_runtime] ?? `runtime ${version.cpu_runtime}`;
    return {
      dnnl: {
        koffi,
        library,
        path,
        version: { major: version.major, minor: version.minor, patch: version.patch },
        describe: `${label} (cpu runtime: ${runtime})`,
      },
    };
  } catch (error) {
    return { problem: `${path} failed its probe: ${(error as Error).message.split('\n')[0]}` };
  }
}
