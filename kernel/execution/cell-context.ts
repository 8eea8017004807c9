/**
 * The persistent `vm` context in which every cell runs, and what it holds
 * besides the user's variables: `fed` and `tf` (loaded on first use, so that
 * the kernel starts fast), `display`, `input`, `help`, `require`, a `console`
 * that writes to the running cell, and the kernel realm's typed arrays and
 * timers (so that a Float32Array made in a cell is the one the engine knows).
 */
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { createContext, runInContext, type Context } from 'node:vm';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ExecutionSink } from './executor';
import { createDisplay } from './display';
import { createModuleLoader, type LoadedModule } from './module-loader';
import { RUNTIME_GLOBAL } from './compile-cell';
import { describe } from './describe';
import { kernelDocs } from './docs';
import { resolvePath } from './completion';

/** Kernel-realm globals shared with cells (constructors whose identity engines check, and host APIs). */
const SHARED_GLOBALS = [
  'Float32Array',
  'Float64Array',
  'Int8Array',
  'Int16Array',
  'Int32Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Uint16Array',
  'Uint32Array',
  'BigInt64Array',
  'BigUint64Array',
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Atomics',
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'setImmediate',
  'clearImmediate',
  'queueMicrotask',
  'structuredClone',
  'process',
  'Buffer',
  'URL',
  'URLSearchParams',
  'TextEncoder',
  'TextDecoder',
  'AbortController',
  'AbortSignal',
  'Event',
  'EventTarget',
  'performance',
  'fetch',
  'Blob',
  'atob',
  'btoa',
  'crypto',
  'WebAssembly',
  'MessageChannel',
  'BroadcastChannel',
  'Headers',
  'Request',
  'Response',
  'FormData',
] as const;

/** Where the current cell's output goes; the executor swaps it per cell. */
export interface SinkSlot {
  current: ExecutionSink | undefined;
}

/** The persistent context and what the executor needs to reach in it. */
export interface CellContext {
  readonly context: Context;
  /** The context's global object, as seen from the kernel (user variables and builtins). */
  readonly global: Record<string, unknown>;
  /** True once `fed` was loaded in any way (so dispose knows whether a worker pool may exist). */
  fedLoaded(): boolean;
  /** The `fed` namespace (loads it). */
  fed(): Record<string, unknown>;
}

/** A stream for Console that forwards to the running cell (or to the kernel's own stream when none runs). */
function sinkStream(slot: SinkSlot, name: 'stdout' | 'stderr'): Writable {
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      if (slot.current) slot.current.stream(name, text);
      else process[name].write(text);
      callback();
    },
  });
}

/** A Console whose output goes to the running cell. */
export function createSinkConsole(slot: SinkSlot): Console {
  return new Console({ stdout: sinkStream(slot, 'stdout'), stderr: sinkStream(slot, 'stderr'), colorMode: false });
}

/** Finds a dotted name for a value among the context's globals (for help(fed.fedAvg)). */
function nameOf(value: unknown, global: Record<string, unknown>, roots: readonly string[]): string[] {
  const seen = new Set<unknown>();
  const search = (object: unknown, path: string[], depth: number): string[] | undefined => {
    if (object === null || (typeof object !== 'object' && typeof object !== 'function') || seen.has(object) || depth > 3) return undefined;
    seen.add(object);
    // Getters may throw; such members are skipped. Direct members first, then one level deeper.
    const children: [string, unknown][] = [];
    for (const key of Object.keys(object as object)) {
      try {
        children.push([key, (object as Record<string, unknown>)[key]]);
      } catch {
        // a throwing getter: skipped
      }
    }
    for (const [key, child] of children) if (child === value) return [...path, key];
    for (const [key, child] of children) {
      const found = search(child, [...path, key], depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  for (const root of roots) {
    const rootValue = global[root];
    if (rootValue === value) return [root];
    const found = search(rootValue, [root], 1);
    if (found) return found;
  }
  return [];
}

/** Creates the context every cell of one kernel session runs in. */
export function createCellContext(options: { cwd: string; slot: SinkSlot; tf: () => unknown }): CellContext {
  const { slot } = options;
  const loader = createModuleLoader(options.cwd);
  const kernelRequire = createRequire(__filename);
  let fedModule: Record<string, unknown> | undefined;
  const loadFed = (): Record<string, unknown> => {
    fedModule ??= (kernelRequire(join(__dirname, '..', 'api', 'index')) as { fed: Record<string, unknown> }).fed;
    return fedModule;
  };
  const currentSink = (): ExecutionSink | undefined => slot.current;
  const display = createDisplay(currentSink);

  const sandbox: Record<string, unknown> = {};
  for (const name of SHARED_GLOBALS) {
    const value = (globalThis as Record<string, unknown>)[name];
    if (value !== undefined) sandbox[name] = value;
  }
  const hidden = (name: string, value: unknown): void => {
    Object.defineProperty(sandbox, name, { value, writable: true, configurable: true, enumerable: false });
  };
  // A getter until first use; a cell that declares the same name replaces it with its own value.
  const lazy = (name: string, get: () => unknown): void => {
    const set = (value: unknown): void => {
      Object.defineProperty(sandbox, name, { value, writable: true, configurable: true, enumerable: true });
    };
    Object.defineProperty(sandbox, name, { get, set, configurable: true, enumerable: false });
  };
  sandbox.console = createSinkConsole(slot);
  sandbox.require = Object.assign((specifier: string) => loader.require(specifier), { resolve: (s: string) => require.resolve(s, { paths: [options.cwd] }) });
  sandbox.display = display;
  sandbox.input = async (prompt = '', inputOptions?: { password?: boolean }): Promise<string> => {
    const sink = currentSink();
    if (!sink) throw new Error('input: no cell is running');
    return sink.input(String(prompt), Boolean(inputOptions?.password));
  };
  lazy('fed', loadFed);
  lazy('tf', options.tf);
  const runtime = {
    $m: undefined as LoadedModule | undefined,
    load: (specifier: string) => loader.load(specifier),
    dynamicImport: (specifier: string) => loader.dynamicImport(specifier),
  };
  hidden(RUNTIME_GLOBAL, runtime);

  const context = createContext(sandbox, { name: 'fedbook cells' });
  const global = runInContext('globalThis', context) as Record<string, unknown>;

  /** Shows the signature and documentation of a value (or of a dotted name such as 'fed.fedAvg'). */
  const help = (...args: unknown[]): void => {
    const sink = currentSink();
    if (!sink) throw new Error('help: no cell is running');
    const value = args[0];
    let path: string[];
    let target = value;
    if (args.length === 0) {
      sink.page({ 'text/plain': HELP_TEXT });
      return;
    }
    if (typeof value === 'string' && /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(value)) {
      path = value.split('.');
      target = resolvePath(global, path).value;
    } else {
      path = nameOf(value, global, ['fed', 'tf', 'display', ...Object.keys(sandbox)]);
    }
    sink.page({ 'text/plain': describe(target, path, kernelDocs(), 1) });
  };
  sandbox.help = help;

  // Loaded by the `fed` getter or by a cell's `require('fedbook')` / `import … from 'fedbook'`.
  const fedLoaded = (): boolean => fedModule !== undefined || require.cache[kernelRequire.resolve(join(__dirname, '..', 'api', 'index'))] !== undefined;
  return { context, global, fedLoaded, fed: loadFed };
}

const HELP_TEXT = `Fedbook cells are TypeScript (or JavaScript) with top-level await.
In scope in every cell:
  fed              the federated-learning API (fed.datasets, fed.partition, fed.models, fed.fedAvg, …)
  tf               TensorFlow.js, with the kernel's backend set
  display(value)   rich output; also display.html, display.markdown, display.plotly, display.clear,
                   display(value, { id }), display.update(id, value), and display.runs(runs) to compare runs
  await input(p)   asks the user for a line
  help(value)      signature and documentation, e.g. help(fed.fedAvg) or help('fed.partition')
  require(name)    packages next to the notebook and Node built-ins (import … from '…' works too)`;
