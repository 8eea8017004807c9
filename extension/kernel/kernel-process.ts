/**
 * One kernel process: writes its connection file, spawns `fedbook kernel -f`,
 * connects the shared Jupyter client (kernel/protocol/client), and reports
 * when the process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectKernel, type KernelClient } from '../../kernel/protocol/client';
import { KERNEL_NODE_FLAGS } from '../../kernel/cli/launch-kernel';
import type { ConnectionInfo } from '../../kernel/contract';
import { createConnectionInfo } from '../../kernel/protocol/connection';
import type { NodeRuntime } from './node-runtime';

export interface KernelLaunchOptions {
  runtime: NodeRuntime;
  /** Path of `bin/fedbook.js`. */
  kernelEntry: string;
  /** Working directory of the kernel (the notebook's folder). */
  cwd: string;
  env?: Record<string, string>;
  /** Receives the kernel's own stderr/stdout (diagnostics, not cell output). */
  log(text: string): void;
}

export interface KernelExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Last lines the process wrote to stderr, for the error shown to the user. */
  stderrTail: string;
}

/** Describes an exit for a person: "exit code 1" or "signal SIGKILL". */
export function describeExit(exit: Pick<KernelExit, 'code' | 'signal'>): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

/** The message shown in a cell whose kernel process died under it. */
export function kernelDiedMessage(exit: KernelExit): string {
  const tail = exit.stderrTail.trim().split('\n').slice(-8).join('\n');
  return `The Fedbook kernel died (${describeExit(exit)}) while this cell was running. Restart the kernel to continue; its variables are lost.${tail ? `\n\nLast kernel output:\n${tail}` : ''}`;
}

export class KernelProcess {
  private readonly exitListeners = new Set<(exit: KernelExit) => void>();
  exited: KernelExit | undefined;
  /** Resolves when the process exits. */
  readonly exit: Promise<KernelExit>;

  private constructor(
    readonly child: ChildProcess,
    readonly client: KernelClient,
    readonly connection: ConnectionInfo,
    exit: Promise<KernelExit>,
  ) {
    this.exit = exit.then((info) => {
      this.exited = info;
      void Promise.race([client.close(), new Promise((r) => setTimeout(r, 500))]).catch(() => undefined);
      for (const listener of this.exitListeners) listener(info);
      return info;
    });
  }

  /** Starts a kernel and resolves once it answers on shell and IOPub. */
  static async launch(options: KernelLaunchOptions): Promise<KernelProcess> {
    const connection = await createConnectionInfo();
    const dir = mkdtempSync(join(tmpdir(), 'fedbook-kernel-'));
    const file = join(dir, 'connection.json');
    writeFileSync(file, JSON.stringify(connection, null, 2), { mode: 0o600 });
    // The flag lets an interrupt stop a loop running inside a timer without crashing Node.
    const child = spawn(options.runtime.command, [...KERNEL_NODE_FLAGS, options.kernelEntry, 'kernel', '-f', file], {
      cwd: options.cwd,
      env: { ...process.env, ...options.runtime.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Training saturates every core; a lower priority keeps the editor, the chart and interrupts responsive.
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, 10);
      } catch {
        /* not permitted here: run at normal priority */
      }
    }
    let stderrTail = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stderrTail = (stderrTail + text).slice(-2000);
      options.log(text.trimEnd());
    });
    child.stdout?.on('data', (chunk: Buffer) => options.log(chunk.toString('utf8').trimEnd()));
    const exit = new Promise<KernelExit>((resolve) => {
      child.once('error', (error) => {
        stderrTail += `\ncould not start ${options.runtime.command}: ${error.message}`;
        resolve({ code: null, signal: null, stderrTail });
      });
      child.once('exit', (code, signal) => {
        rmSync(dir, { recursive: true, force: true });
        resolve({ code, signal, stderrTail });
      });
    });
    const died = exit.then((info): never => {
      throw new Error(`the kernel exited while starting (${describeExit(info)})${info.stderrTail ? `:\n${info.stderrTail.trim()}` : ''}`);
    });
    let client: KernelClient;
    try {
      client = await Promise.race([connectKernel(connection, { username: 'fedbook-vscode' }), died]);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    died.catch(() => undefined);
    return new KernelProcess(child, client, connection, exit);
  }

  onExit(listener: (exit: KernelExit) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** Sends interrupt_request on the control channel (the kernel's interrupt_mode is 'message'). */
  interrupt(): void {
    if (!this.exited) this.client.send('control', 'interrupt_request', {});
  }

  /** Asks the kernel to shut down, then kills it if it lingers. */
  async shutdown(): Promise<void> {
    if (this.exited) return;
    this.client.send('control', 'shutdown_request', { restart: false });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await this.exit;
    clearTimeout(timer);
  }
}
