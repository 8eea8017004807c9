/**
 * Live progress of federated runs started by a cell: one output per run
 * (display_data with a display id) that is replaced after every round
 * (update_display_data), carrying a text line, a compact HTML line and the
 * `application/vnd.fedbook.run+json` bundle that the VS Code chart reads.
 * Updates are throttled; the last one is always sent.
 */
import type { ExecutionSink, MimeBundle } from './executor';
import { observeRuns, type RunClientStatesEvent, type RunEndedEvent, type RunRoundEvent, type RunStartedEvent } from '../simulation/run-events';
import { countClientStates, RUN_MIME, sweepIdOf, type RoundMetrics, type RunBundle } from '../contract';
import { loadRun } from '../simulation/run-records';
import { escapeHtml, formatNumber } from './render';

/** At most one update per run per this many milliseconds (the last one is never dropped). */
export const PROGRESS_INTERVAL_MS = 100;

/**
 * The interval for a run with `rounds` rounds: every update carries the whole
 * run (Jupyter replaces a display whole), ~300 bytes a round, so past 1,000
 * rounds the interval grows with the run (5,000 rounds: 500 ms) to keep the
 * kernel, the front end and the editor from re-reading megabytes ten times a
 * second.
 */
export function progressIntervalMs(rounds: number): number {
  return Math.max(PROGRESS_INTERVAL_MS, rounds * 0.1);
}

/** A round as the live display carries it: per-phase timings stay in the run record and the run's result. */
export function displayRound(metrics: RoundMetrics): RoundMetrics {
  const { phases: _phases, ...shown } = metrics;
  return shown;
}

interface RunView {
  readonly displayId: string;
  readonly startedAt: number;
  readonly bundle: RunBundle;
  lastSentAt: number;
  timer?: NodeJS.Timeout;
  dirty: boolean;
}

/** Live progress outputs of the runs a cell starts. */
export interface ProgressWatcher {
  /** Sends every pending update now (called before the cell's outcome is returned). */
  flush(): void;
  /** Resolves when every run shown has ended, or after `timeoutMs` (used after an interrupt, so the final status shows). */
  settle(timeoutMs: number): Promise<void>;
  /** Flushes and stops listening. */
  dispose(): void;
}

function seconds(ms: number, precise: boolean): string {
  const s = ms / 1000;
  return precise && s < 100 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
}

/** "round 3/20 · acc 0.912 · loss 0.31 · ε 1.2 · 12.3 s elapsed · ETA 70 s" (and "clients 2 done, 1 dropped" for a federation) */
export function progressLine(bundle: RunBundle, elapsedMs: number): string {
  const last: RoundMetrics | undefined = bundle.rounds[bundle.rounds.length - 1];
  const done = bundle.rounds.length;
  // A run may continue from an earlier state: count this run's rounds against its plan.
  const parts = [bundle.plannedRounds ? `round ${done}/${bundle.plannedRounds}` : `round ${last ? last.round : 0}`];
  const accuracy = last?.testAccuracy ?? last?.trainAccuracy;
  const loss = last?.testLoss ?? last?.trainLoss;
  if (accuracy !== undefined) parts.push(`acc ${formatNumber(accuracy, 3)}`);
  if (loss !== undefined) parts.push(`loss ${formatNumber(loss, 2)}`);
  if (last?.epsilon !== undefined) parts.push(`ε ${formatNumber(last.epsilon, 2)}`);
  // A federation across machines: where its clients stand, as the chart's strip shows them.
  if (last?.clientStates)
    parts.push(
      `clients ${
        countClientStates(last.clientStates)
          .map(({ state, count }) => `${count} ${state}`)
          .join(', ') || 'none'
      }`,
    );
  parts.push(`${seconds(elapsedMs, true)} elapsed`);
  if (bundle.status === 'running' && bundle.plannedRounds && done > 0 && done < bundle.plannedRounds) {
    parts.push(`ETA ${seconds((elapsedMs / done) * (bundle.plannedRounds - done), false)}`);
  }
  if (bundle.status !== 'running') parts.push(bundle.status);
  return parts.join(' · ');
}

function bundleOf(view: RunView, now: number): MimeBundle {
  const line = progressLine(view.bundle, now - view.startedAt);
  const data: RunBundle = { ...view.bundle, rounds: [...view.bundle.rounds] };
  return {
    'text/plain': `${view.bundle.label}: ${line}`,
    'text/html': `<div class="fedbook-run"><b>${escapeHtml(view.bundle.label)}</b> <code>${escapeHtml(line)}</code></div>`,
    [RUN_MIME]: data,
  };
}

/**
 * The run's seed and sweep id from its record's config line (written before
 * the run starts), so that the chart can band a sweep's seeds while they run;
 * nothing when the record cannot be read.
 */
function seedAndSweep(runId: string): Pick<RunBundle, 'seed' | 'sweep'> {
  try {
    const { config } = loadRun(runId);
    const sweep = sweepIdOf((config as { sweep?: unknown }).sweep);
    return { ...(typeof config.seed === 'number' ? { seed: config.seed } : {}), ...(sweep !== undefined ? { sweep } : {}) };
  } catch {
    return {};
  }
}

/** Shows the runs that start while a cell runs, through `currentSink()`. */
export function watchRuns(currentSink: () => ExecutionSink | undefined, now: () => number = Date.now): ProgressWatcher {
  const views = new Map<string, RunView>();
  let onEmpty: (() => void) | undefined;

  const send = (view: RunView): void => {
    if (view.timer) clearTimeout(view.timer);
    view.timer = undefined;
    view.dirty = false;
    view.lastSentAt = now();
    currentSink()?.updateDisplay(bundleOf(view, view.lastSentAt), view.displayId);
  };
  const schedule = (view: RunView): void => {
    view.dirty = true;
    const wait = view.lastSentAt + progressIntervalMs(view.bundle.rounds.length) - now();
    if (wait <= 0) send(view);
    else view.timer ??= setTimeout(() => send(view), wait);
  };

  const unsubscribe = observeRuns({
    runStarted(event: RunStartedEvent) {
      const { strategy, name, ...hyperparameters } = event.config as Record<string, unknown>;
      const view: RunView = {
        displayId: `fedbook-run-${event.runId}`,
        startedAt: now(),
        lastSentAt: now(),
        dirty: false,
        bundle: {
          runId: event.runId,
          label: event.label,
          strategy: String(strategy ?? name ?? event.label),
          hyperparameters,
          ...(event.rounds !== undefined ? { plannedRounds: event.rounds } : {}),
          ...seedAndSweep(event.runId),
          status: 'running',
          rounds: [],
        },
      };
      views.set(event.runId, view);
      currentSink()?.display(bundleOf(view, view.startedAt), undefined, view.displayId);
    },
    roundFinished(event: RunRoundEvent) {
      const view = views.get(event.runId);
      if (!view) return;
      // Client states are shown for the newest round only: older rounds drop them from the bundle, which is re-sent whole
      // with every update (a hundred clients' states per round would grow it without end; the record keeps them all).
      const rounds = view.bundle.rounds;
      const previous = rounds[rounds.length - 1];
      if (previous?.clientStates) {
        const { clientStates: _older, ...rest } = previous;
        rounds[rounds.length - 1] = rest;
      }
      rounds.push(displayRound(event.metrics as RoundMetrics));
      if (view.bundle.liveClients && view.bundle.liveClients.round <= event.metrics.round) delete view.bundle.liveClients;
      schedule(view);
    },
    clientStates(event: RunClientStatesEvent) {
      const view = views.get(event.runId);
      if (!view) return;
      view.bundle.liveClients = { round: event.round, clients: event.states };
      schedule(view);
    },
    runEnded(event: RunEndedEvent) {
      const view = views.get(event.runId);
      if (!view) return;
      view.bundle.status = event.status;
      send(view);
      views.delete(event.runId);
      if (views.size === 0) onEmpty?.();
    },
  });

  const flush = (): void => {
    for (const view of views.values()) if (view.dirty) send(view);
  };
  return {
    flush,
    settle(timeoutMs) {
      if (views.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done(): void {
          clearTimeout(timer);
          onEmpty = undefined;
          resolve();
        }
        onEmpty = done;
      });
    },
    dispose() {
      flush();
      for (const view of views.values()) if (view.timer) clearTimeout(view.timer);
      views.clear();
      unsubscribe();
    },
  };
}
