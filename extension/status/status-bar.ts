/**
 * The status-bar item: kernel state of the active notebook and, during a
 * run, "round 12/50".
 */
import * as vscode from 'vscode';
import type { RunBundle } from '../../kernel/contract';
import type { KernelState } from '../notebook/kernel-session';

/** Status text for a kernel state and the latest run bundle (pure). */
export function statusText(state: KernelState, run: Pick<RunBundle, 'rounds' | 'plannedRounds' | 'status'> | undefined): string {
  const icon = state === 'busy' ? '$(sync~spin)' : state === 'dead' ? '$(error)' : state === 'starting' ? '$(loading~spin)' : '$(circle-outline)';
  let text = `${icon} Fedbook: ${state}`;
  if (run && run.status === 'running') {
    // Count this run's rounds: a run that continues from an earlier state starts past round 1.
    text += ` · round ${run.rounds.length}${run.plannedRounds ? `/${run.plannedRounds}` : ''}`;
  }
  return text;
}

/**
 * Least time between two round counts shown: each change is a message to the
 * window, and the kernel publishes up to ten a second while a busy window is
 * what delays the round chart.
 */
const ROUND_TEXT_INTERVAL_MS = 500;

export class KernelStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('fedbook.kernelStatus', vscode.StatusBarAlignment.Left, 100);
  private state: KernelState = 'not started';
  private run: RunBundle | undefined;
  private renderedAt = 0;
  private pendingRender: NodeJS.Timeout | undefined;

  constructor() {
    this.item.name = 'Fedbook Kernel';
    this.item.command = 'fedbook.showChart';
    this.item.tooltip = 'Fedbook kernel state; click to show the round chart';
    this.render();
    this.item.show();
  }

  setState(state: KernelState): void {
    this.state = state;
    if (state === 'dead' || state === 'not started') this.run = undefined;
    this.render();
  }

  setRun(run: RunBundle): void {
    this.run = run;
    // A run's end and kernel states show at once; round counts at most every ROUND_TEXT_INTERVAL_MS.
    const wait = this.renderedAt + ROUND_TEXT_INTERVAL_MS - Date.now();
    if (run.status !== 'running' || wait <= 0) this.render();
    else this.pendingRender ??= setTimeout(() => this.render(), wait);
  }

  private render(): void {
    clearTimeout(this.pendingRender);
    this.pendingRender = undefined;
    this.renderedAt = Date.now();
    const text = statusText(this.state, this.run);
    if (this.item.text !== text) this.item.text = text;
  }

  dispose(): void {
    clearTimeout(this.pendingRender);
    this.item.dispose();
  }
}
