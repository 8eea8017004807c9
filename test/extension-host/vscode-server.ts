/**
 * The VS Code server inside the code-server package (.tools/, see
 * scripts/setup-code-server.sh), started bare on Node 24. Unlike code-server's
 * own front, it accepts an extension under development and a test runner
 * through the workbench page's `payload` (with --enable-smoke-test-driver).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { USER_SETTINGS as CODE_SERVER_SETTINGS, freePort, toolchain } from '../e2e/code-server';

export interface VscodeServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** The authority that `vscode-remote://` URIs of this server's files use. */
  authority: string;
  log(): string;
  stop(): Promise<void>;
}

/** The E2E's quiet editor settings; our chart opens beside a notebook on a run, and these tests do not look at it. */
const USER_SETTINGS = { ...CODE_SERVER_SETTINGS, 'fedbook.chart.openOnRun': false };

/** server-main.js of the VS Code build that code-server ships. */
export function serverMain(): { node: string; script: string } {
  const { node, entry } = toolchain();
  // entry is <code-server>/out/node/entry.js
  return { node, script: join(dirname(entry), '..', '..', 'lib', 'vscode', 'out', 'server-main.js') };
}

/** A `vscode-remote://` URI for a file on the server's machine. */
export function remoteUri(server: Pick<VscodeServer, 'authority'>, path: string): string {
  return `vscode-remote://${server.authority}${encodeURI(path)}`;
}

/** Starts the server on a free loopback port and resolves once it answers HTTP. */
export async function startVscodeServer(
  dirs: { userDataDir: string; serverDataDir: string; extensionsDir: string },
  env: Record<string, string>,
): Promise<VscodeServer> {
  const { node, script } = serverMain();
  mkdirSync(join(dirs.userDataDir, 'User'), { recursive: true });
  writeFileSync(join(dirs.userDataDir, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  mkdirSync(join(dirs.serverDataDir, 'data', 'Machine'), { recursive: true });
  writeFileSync(join(dirs.serverDataDir, 'data', 'Machine', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn(
    node,
    [
      script,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--without-connection-token',
      '--accept-server-license-terms',
      // Lets the page's `payload` name the extension under development and the test runner.
      '--enable-smoke-test-driver',
      '--user-data-dir',
      dirs.userDataDir,
      '--server-data-dir',
      dirs.serverDataDir,
      '--extensions-dir',
      dirs.extensionsDir,
      '--telemetry-level',
      'off',
    ],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the VS Code server exited (${child.exitCode}):\n${output}`);
    try {
      const response = await fetch(`${url}/version`);
      if (response.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the VS Code server did not answer on ${url} within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    authority: `127.0.0.1:${port}`,
    log: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      // detached: the server leads its own process group (extension host, kernels); end all of it.
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 5_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
