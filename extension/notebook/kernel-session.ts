/**
 * The kernel of one notebook: started on first use, restarted on request,
 * and reporting its state (starting, idle, busy, dead) to whoever listens.
 */
import * as vscode from 'vscode';
import { KernelProcess, describeExit, type KernelExit } from '../kernel/kernel-process';
import type { NodeRuntime } from '../kernel/node-runtime';
import { isMessageType } from '../../kernel/protocol/messages';

export type KernelState = 'not started' | 'starting' | 'idle' | 'busy' | 'dead';

export interface SessionOptions {
  resolveRuntime(): NodeRuntime;
  kernelEntry: string;
  env: Record<string, string>;
  log(text: string): void;
}

export class KernelSession {
  private kernel: KernelProcess | undefined;
  private starting: Promise<KernelProcess> | undefined;
  private _state: KernelState = 'not started';
  private readonly stateEmitter = new vscode.EventEmitter<KernelState>();
  private readonly deathEmitter = new vscode.EventEmitter<KernelExit>();
  /** Fires with every state change. */
  readonly onDidChangeState = this.stateEmitter.event;
  /** Fires when the kernel process dies on its own (not on restart or shutdown). */
  readonly onDidDie = this.deathEmitter.event;
  private expectedExit = false;

  constructor(
    readonly notebook: vscode.NotebookDocument,
    private readonly options: SessionOptions,
  ) {}

  get state(): KernelState {
    return this._state;
  }

  setState(state: KernelState): void {
    if (state === this._state) return;
    this._state = state;
    this.stateEmitter.fire(state);
  }

  /** The running kernel, started if needed. */
  async ensureStarted(): Promise<KernelProcess> {
    if (this.kernel && !this.kernel.exited) return this.kernel;
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async start(): Promise<KernelProcess> {
    this.setState('starting');
    const cwd =
      this.notebook.uri.scheme === 'file'
        ? vscode.Uri.joinPath(this.notebook.uri, '..').fsPath
        : (vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd());
    try {
      const runtime = this.options.resolveRuntime();
      this.options.log(`Starting the Fedbook kernel with ${runtime.description} in ${cwd}`);
      const kernel = await KernelProcess.launch({ runtime, kernelEntry: this.options.kernelEntry, cwd, env: this.options.env, log: this.options.log });
      this.kernel = kernel;
      this.expectedExit = false;
      kernel.onExit((exit) => {
        this.options.log(`The Fedbook kernel exited (${describeExit(exit)})`);
        if (this.kernel !== kernel) return;
        this.setState('dead');
        if (!this.expectedExit) this.deathEmitter.fire(exit);
      });
      kernel.client.onIopub((message) => {
        if (!isMessageType(message, 'status')) return;
        const state = message.content.execution_state;
        if (state === 'busy' || state === 'idle') this.setState(state);
      });
      this.setState('idle');
      return kernel;
    } catch (error) {
      this.setState('dead');
      throw error;
    }
  }

  /** The current kernel without starting one. */
  get current(): KernelProcess | undefined {
    return this.kernel && !this.kernel.exited ? this.kernel : undefined;
  }

  interrupt(): void {
    this.current?.interrupt();
  }

  /** Shuts the kernel down and starts a fresh one (all variables are lost). */
  async restart(): Promise<KernelProcess> {
    await this.shutdown();
    return this.ensureStarted();
  }

  async shutdown(): Promise<void> {
    const kernel = this.kernel;
    if (!kernel) return;
    this.expectedExit = true;
    await kernel.shutdown();
    this.kernel = undefined;
    this.setState('not started');
  }

  dispose(): void {
    void this.shutdown();
    this.stateEmitter.dispose();
    this.deathEmitter.dispose();
  }
}
