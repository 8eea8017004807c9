/**
 * Picks the JavaScript runtime that runs the kernel: the `fedbook.nodePath`
 * setting, else a Node ≥ 20 on PATH, else the editor's own runtime with
 * ELECTRON_RUN_AS_NODE=1.
 */
import { spawnSync } from 'node:child_process';

export interface NodeRuntime {
  command: string;
  /** Extra environment the runtime needs. */
  env: Record<string, string>;
  description: string;
}

/** Major version of a Node binary, or undefined when it cannot be run. */
export function nodeMajorVersion(command: string): number | undefined {
  const result = spawnSync(command, ['--version'], { encoding: 'utf8', timeout: 10_000, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  const match = /^v(\d+)\./.exec(result.stdout ?? '');
  return result.status === 0 && match ? Number(match[1]) : undefined;
}

/** Resolves the runtime; throws with an exact message when the configured path is unusable. */
export function resolveNodeRuntime(configuredPath: string | undefined, execPath = process.execPath): NodeRuntime {
  if (configuredPath) {
    const major = nodeMajorVersion(configuredPath);
    if (major === undefined) throw new Error(`fedbook.nodePath "${configuredPath}" is not a runnable Node binary`);
    if (major < 20) throw new Error(`fedbook.nodePath "${configuredPath}" is Node ${major}; the Fedbook kernel needs Node 20 or later`);
    return { command: configuredPath, env: {}, description: `Node ${major} (fedbook.nodePath)` };
  }
  const onPath = nodeMajorVersion('node');
  if (onPath !== undefined && onPath >= 20) return { command: 'node', env: {}, description: `Node ${onPath} on PATH` };
  return { command: execPath, env: { ELECTRON_RUN_AS_NODE: '1' }, description: "the editor's runtime (ELECTRON_RUN_AS_NODE)" };
}
