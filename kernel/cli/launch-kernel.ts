/**
 * Starts a kernel process the way a Jupyter front end does: a connection file
 * with a random key and free loopback ports, then `fedbook kernel -f FILE`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ConnectionInfo } from '../contract';
import { createConnectionInfo } from '../protocol/connection';

export interface LaunchedKernel {
  connection: ConnectionInfo;
  connectionFile: string;
  child: ChildProcess;
  /** Everything the kernel wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  exited: Promise<number | string | null>;
  /** SIGTERM, then SIGKILL after a grace period; removes the connection file. */
  kill(): Promise<void>;
}

export interface LaunchOptions {
  /** The command before `-f FILE`; default: kernelCommand(). */
  command?: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Passes the kernel's stdout/stderr through to ours as well. */
  inheritOutput?: boolean;
  /** The process whose death ends the kernel (JPY_PARENT_PID); default: this one. */
  parentPid?: number;
}

/** The absolute path of bin/fedbook.js in this package. */
export const FEDBOOK_BIN = resolve(__dirname, '../../../bin/fedbook.js');

/**
 * Node flags the kernel process needs. Interrupting a loop that runs after an
 * `await` or in a timer terminates the main thread's script; Node's default
 * async-hooks checks would turn that into a fatal error inside timers.
 */
export const KERNEL_NODE_FLAGS = ['--no-force-async-hooks-checks'];

/** How to start a kernel (append `-f CONNECTION_FILE`): node, its flags, bin/fedbook.js, `kernel`. */
export function kernelCommand(nodePath = process.execPath, binPath = FEDBOOK_BIN): string[] {
  return [nodePath, ...KERNEL_NODE_FLAGS, binPath, 'kernel'];
}

export async function launchKernel(options: LaunchOptions = {}): Promise<LaunchedKernel> {
  const connection = await createConnectionInfo();
  const dir = mkdtempSync(join(tmpdir(), 'fedbook-kernel-'));
  const connectionFile = join(dir, 'connection.json');
  writeFileSync(connectionFile, JSON.stringify(connection, null, 1), { mode: 0o600 });
  const [command, ...args] = options.command ?? kernelCommand();
  const child = spawn(command!, [...args, '-f', connectionFile], {
    cwd: options.cwd,
    env: { ...(options.env ?? process.env), JPY_PARENT_PID: String(options.parentPid ?? process.pid) },
    stdio: ['ignore', options.inheritOutput ? 'inherit' : 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (options.inheritOutput) process.stderr.write(chunk);
  });
  child.stdout?.resume();
  const exited = new Promise<number | string | null>((done) => {
    child.once('exit', (code, signal) => {
      rmSync(dir, { recursive: true, force: true });
      done(code ?? signal);
    });
  });
  return {
    connection,
    connectionFile,
    child,
    stderr: () => stderr,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
