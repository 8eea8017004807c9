/**
 * `fedbook kernel install`: writes the `fedbook` kernelspec where Jupyter
 * looks for kernels, like `jupyter kernelspec install` does.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FEDBOOK_BIN, kernelCommand } from './launch-kernel';
import { installPlotlyAsset } from './plotly-asset';

export type InstallScope = { kind: 'user' } | { kind: 'prefix'; prefix: string } | { kind: 'sys-prefix' } | { kind: 'system' };

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: 'signal' | 'message';
  metadata: Record<string, unknown>;
}

/** The kernel.json content: absolute node and bin paths, so no PATH lookup is needed. */
export function buildKernelSpec(nodePath = process.execPath, binPath = FEDBOOK_BIN): KernelSpec {
  return {
    argv: [...kernelCommand(nodePath, binPath), '-f', '{connection_file}'],
    display_name: 'Fedbook (TypeScript)',
    language: 'typescript',
    // Both modes work; 'message' also works where the client cannot signal the process.
    interrupt_mode: 'message',
    metadata: { debugger: false, fedbook: { implementation: 'fedbook' } },
  };
}

/** The `kernels` directory for a scope, following Jupyter's data-dir rules. */
export function kernelsDir(scope: InstallScope, env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  switch (scope.kind) {
    case 'user': {
      if (env.JUPYTER_DATA_DIR) return join(env.JUPYTER_DATA_DIR, 'kernels');
      if (platform === 'darwin') return join(homedir(), 'Library', 'Jupyter', 'kernels');
      if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'jupyter', 'kernels');
      return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'jupyter', 'kernels');
    }
    case 'prefix':
      return join(scope.prefix, 'share', 'jupyter', 'kernels');
    case 'sys-prefix':
      return join(pythonSysPrefix(), 'share', 'jupyter', 'kernels');
    case 'system':
      return platform === 'win32' ? join(env.PROGRAMDATA ?? 'C:\\ProgramData', 'jupyter', 'kernels') : '/usr/local/share/jupyter/kernels';
  }
}

function pythonSysPrefix(): string {
  for (const python of ['python3', 'python']) {
    try {
      return execFileSync(python, ['-c', 'import sys; print(sys.prefix)'], { encoding: 'utf8' }).trim();
    } catch {
      // try the next one
    }
  }
  throw new Error('--sys-prefix needs python3 on PATH to find sys.prefix; use --user or --prefix DIR instead');
}

/**
 * Writes `<kernels>/fedbook/kernel.json`, and plotly.js beside it for the
 * html fallback of `display.plotly` when the package has it; returns the
 * kernelspec directory.
 */
export function installKernelSpec(scope: InstallScope): string {
  const dir = join(kernelsDir(scope), 'fedbook');
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'kernel.json'), JSON.stringify(buildKernelSpec(), null, 2) + '\n');
    installPlotlyAsset(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new Error(`cannot write ${dir} (permission denied): use --user, or --prefix DIR`);
    }
    throw error;
  }
  return dir;
}
