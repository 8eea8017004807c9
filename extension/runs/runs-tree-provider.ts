/**
 * The runs view's TreeDataProvider: reads `.fedbook/runs/*.jsonl` in the
 * workspace and hands them to buildRunsTree (run-tree-items.ts), which makes
 * every decision. It refreshes when a record is created, changed or deleted
 * (a FileSystemWatcher), when a live run starts or ends (the extension calls
 * noteLiveRun), and when a run guessed 'running' would turn 'interrupted'.
 */
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as vscode from 'vscode';
import type { RunBundle, RunStatus } from '../../kernel/contract';
import { RUN_GLOB, findRunFiles } from '../chart/run-files';
import { checkpointDirectory, isRunLockOwnerAlive, LOCK_FILE, parseRunLockOwner } from '../../kernel/contract/run-lock';
import { buildRunsTree, hasEndLine, type RunFile, type RunsTreeNode } from './run-tree-items';

/** Changes to a record arrive once a round; the view reads them at most this often. */
const REFRESH_DELAY_MS = 500;
/** How often the runs folders' listings are compared, for the file events a watcher misses. */
const LISTING_POLL_MS = 3000;

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly live = new Map<string, RunStatus>();
  /** Which notebook's kernel each live run runs in (a string key). */
  private readonly liveIn = new Map<string, string>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private nodes: Promise<RunsTreeNode[]> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private recheckTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly log: (text: string) => void = () => undefined) {
    // The workspace-wide glob finds runs folders anywhere. Each runs folder the view has read from is also
    // watched directly (a non-recursive watcher, made once the folder exists): in code-server the recursive
    // workspace watcher missed new records, and a watcher on a folder not yet created missed them sometimes.
    this.watch(RUN_GLOB);
    // Watchers in code-server still drop a creation now and then (the extension-host test saw it 1 run in 3):
    // a cheap listing of the folders already known is the backstop, so a new record always shows up.
    const poll = setInterval(() => void this.compareListings(), LISTING_POLL_MS);
    this.disposables.push({ dispose: () => clearInterval(poll) });
  }

  private listing = '';

  /** Refreshes when the set of files in the watched runs folders changed since the last look. */
  private async compareListings(): Promise<void> {
    const names: string[] = [];
    for (const folder of this.watchedFolders) {
      try {
        for (const [name] of await vscode.workspace.fs.readDirectory(vscode.Uri.parse(folder))) names.push(`${folder}/${name}`);
      } catch {
        // A folder deleted meanwhile: its watcher reports that.
      }
    }
    const listing = names.sort().join('\n');
    if (listing === this.listing) return;
    // The first look after a folder becomes known refreshes once more than needed: harmless, and no creation is lost.
    this.listing = listing;
    this.refreshSoon();
  }

  /** Runs folders watched directly, by URI. */
  private readonly watchedFolders = new Set<string>();

  private watchFolderOf(record: vscode.Uri): void {
    const folder = vscode.Uri.joinPath(record, '..');
    if (this.watchedFolders.has(folder.toString())) return;
    this.watchedFolders.add(folder.toString());
    this.watch(new vscode.RelativePattern(folder, '*.jsonl'));
  }

  private watch(pattern: vscode.GlobPattern): void {
    const watcher = vscode.workspace.createFileSystemWatcher(pattern);
    this.disposables.push(
      watcher,
      // A new record is read a moment later: a watcher reports its creation before its first line is written.
      watcher.onDidCreate(() => this.refreshSoon()),
      watcher.onDidDelete(() => this.refresh()),
      watcher.onDidChange(() => this.refreshSoon()),
    );
  }

  /** A live run's bundle from the kernel of `notebook`: the view refreshes when the run is new to it or its status changes. */
  noteLiveRun(bundle: Pick<RunBundle, 'runId' | 'status'>, notebook: string): void {
    if (this.live.get(bundle.runId) === bundle.status) return;
    this.live.set(bundle.runId, bundle.status);
    this.liveIn.set(bundle.runId, notebook);
    this.refresh();
  }

  /**
   * The kernel of `notebook` died or restarts: its runs that never said they
   * ended are no longer known to be running, and fall back to their records
   * (no end line and no longer growing: interrupted).
   */
  kernelGone(notebook: string): void {
    let changed = false;
    for (const [runId, status] of this.live) {
      if (status !== 'running' || this.liveIn.get(runId) !== notebook) continue;
      this.live.delete(runId);
      this.liveIn.delete(runId);
      changed = true;
    }
    if (changed) this.refresh();
  }

  /** Reads the records again and redraws the whole tree. */
  refresh(): void {
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.nodes = undefined;
    this.changed.fire(undefined);
  }

  private refreshSoon(): void {
    this.refreshTimer ??= setTimeout(() => this.refresh(), REFRESH_DELAY_MS);
  }

  /** The top-level nodes as the view shows them (read once per refresh). */
  roots(): Promise<RunsTreeNode[]> {
    this.nodes ??= this.read();
    return this.nodes;
  }

  async getChildren(node?: RunsTreeNode): Promise<RunsTreeNode[]> {
    if (node) return node.kind === 'sweep' ? node.children : [];
    return this.roots();
  }

  getTreeItem(node: RunsTreeNode): vscode.TreeItem {
    const item = new vscode.TreeItem(node.label, node.kind === 'sweep' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = node.kind === 'sweep' ? `sweep:${node.sweepId}` : node.runId;
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.iconPath = new vscode.ThemeIcon(node.icon);
    item.contextValue = node.contextValue;
    return item;
  }

  dispose(): void {
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    if (this.recheckTimer !== undefined) clearTimeout(this.recheckTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private async read(): Promise<RunsTreeNode[]> {
    const files = await findRunFiles();
    for (const file of files) this.watchFolderOf(file);
    const records = await Promise.all(
      files.map(async (uri): Promise<RunFile | undefined> => {
        try {
          const [bytes, stat] = await Promise.all([vscode.workspace.fs.readFile(uri), vscode.workspace.fs.stat(uri)]);
          const text = new TextDecoder().decode(bytes);
          // A record with its end line is decided whatever its lock says: read the lock only for the others.
          const lock = hasEndLine(text) ? undefined : await lockState(uri);
          return { file: uri.toString(), text, mtimeMs: stat.mtime, ...(lock ? { lock } : {}) };
        } catch {
          return undefined; // Deleted between the listing and the read.
        }
      }),
    );
    const { nodes, unreadable } = buildRunsTree(
      records.filter((r): r is RunFile => r !== undefined),
      { now: Date.now(), live: this.live },
    );
    for (const { file, reason } of unreadable) this.log(`runs view: skipped ${file}: ${reason}`);
    this.scheduleRecheck(nodes);
    return nodes;
  }

  /** Looks again when the first run guessed 'running' from its file's age would be stale. */
  private scheduleRecheck(nodes: readonly RunsTreeNode[]): void {
    if (this.recheckTimer !== undefined) clearTimeout(this.recheckTimer);
    this.recheckTimer = undefined;
    const runs = nodes.flatMap((n) => (n.kind === 'sweep' ? n.children : [n]));
    const next = Math.min(...runs.map((r) => r.recheckAt ?? Infinity));
    if (Number.isFinite(next)) this.recheckTimer = setTimeout(() => this.refresh(), Math.max(1000, next - Date.now() + 100));
  }
}

/** The run's lock as this machine sees it; undefined where it cannot tell (no lock, a remote workspace, another host's process). */
async function lockState(record: vscode.Uri): Promise<RunFile['lock']> {
  if (record.scheme !== 'file') return undefined;
  let text: string;
  try {
    text = await readFile(`${checkpointDirectory(record.fsPath)}/${LOCK_FILE}`, 'utf8');
  } catch {
    return undefined;
  }
  const owner = parseRunLockOwner(text);
  if (!owner || owner.hostname !== hostname()) return undefined;
  return isRunLockOwnerAlive(owner) ? 'held' : 'stale';
}
