/**
 * How a cell's `require('pkg')` and `import … from 'pkg'` find modules:
 * packages installed next to the notebook (resolved from the kernel's cwd),
 * Node built-ins, and the packages the kernel itself ships (fedbook and the
 * one TensorFlow.js whose backend the kernel set up).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What `import` needs from a module: its namespace and its default export. */
export interface LoadedModule {
  namespace: Record<string, unknown>;
  default: unknown;
}

/** How a cell's `require` and `import` load modules. */
export interface ModuleLoader {
  /** `require` for cells: synchronous, CommonJS (and built-ins). */
  require(specifier: string): unknown;
  /** `import` for cells: tries require, then falls back to ESM `import()` for ESM-only packages. */
  load(specifier: string): Promise<LoadedModule>;
  /** `import('x')` in a cell: a namespace object, with `default` as Node gives CommonJS modules. */
  dynamicImport(specifier: string): Promise<Record<string, unknown>>;
}

/** Specifiers that always mean the kernel's own copy (a second TensorFlow.js would have no backend). */
const KERNEL_OWNED = new Map<string, string>([['fedbook', join(__dirname, '..', 'api', 'index')]]);

/** A real ESM `import()` (TypeScript's CommonJS output would turn `import()` into `require`). */
const importEsm = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;

/** A loader resolving from the notebook folder `cwd` first, then from the kernel itself. */
export function createModuleLoader(cwd: string): ModuleLoader {
  const notebookRequire = createRequire(join(cwd, '/'));
  const kernelRequire = createRequire(__filename);

  const requireModule = (specifier: string): unknown => {
    if (typeof specifier !== 'string') throw new TypeError(`require: the module name must be a string, got ${typeof specifier}`);
    const owned = KERNEL_OWNED.get(specifier);
    if (owned) return kernelRequire(owned);
    if (specifier === '@tensorflow/tfjs' || specifier.startsWith('@tensorflow/tfjs-')) return kernelRequire(specifier);
    try {
      return notebookRequire(specifier);
    } catch (error) {
      if ((error as { code?: string }).code !== 'MODULE_NOT_FOUND') throw error;
      try {
        return kernelRequire(specifier);
      } catch {
        throw error; // the notebook's resolution error names the notebook's folder
      }
    }
  };

  const load = async (specifier: string): Promise<LoadedModule> => {
    let exports: unknown;
    try {
      exports = requireModule(specifier);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ERR_REQUIRE_ESM') throw error;
      const resolved = notebookRequire.resolve(specifier);
      const namespace = (await importEsm(pathToFileURL(resolved).href)) as Record<string, unknown>;
      return { namespace, default: namespace.default };
    }
    const value = exports as Record<string, unknown> | null;
    const isEsModule = value !== null && typeof value === 'object' && value.__esModule === true;
    return {
      namespace: (value ?? {}) as Record<string, unknown>,
      default: isEsModule ? value.default : value,
    };
  };

  const dynamicImport = async (specifier: string): Promise<Record<string, unknown>> => {
    const { namespace, default: defaultExport } = await load(specifier);
    if (Object.prototype.toString.call(namespace) === '[object Module]') return namespace;
    return Object.freeze({ ...namespace, default: defaultExport });
  };

  return { require: requireModule, load, dynamicImport };
}
