/**
 * Live progress of federated runs started by a cell: one output per run
 * (display_data with a display id) that is replaced after every round
 * (update_display_data), carrying a text line, a compact HTML line and the
 * `application/vnd.fedbook.run+json` bundle that the VS Code chart reads;
 * the runs of a sweep share one output for the whole sweep (sweep-progress.ts).
 * Updates are throttled; the last one is always sent.
 */
import type { ExecutionSink, MimeBundle } from './executor';
import {
  observeRuns,
  type RunClientStatesEvent,
  type RunEndedEvent,
  type RunRoundEvent,
  type RunStartedEvent,
  type SweepEndedEvent,
  type SweepStartedEvent,
} from '../simulation/run-events';
import { countClientStates, RUN_MIME, sweepIdOf, type RoundMetrics, type RunBundle, type SweepBundle } from '../contract';
import { loadRun } from '../simulation/run-records';
import { escapeHtml, formatNumber, formatSeconds } from './render';
import { sweepMimeBundle } from './sweep-progress';

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

/** One live output, replaced whole on each update (a run's, or a whole sweep's). */
interface LiveView {
  readonly displayId: string;
  readonly startedAt: number;
  lastSentAt: number;
  timer?: NodeJS.Timeout;
  dirty: boolean;
  render(now: number): MimeBundle;
  /** Rounds the output carries, which sets how often it may be resent. */
  roundCount(): number;
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

/** "round 3/20 · acc 0.912 · loss 0.31 · ε 1.2 · 12.3 s elapsed · ETA 70 s" (and "clients 2 done, 1 dropped" for a federation) */
export function progressLine(bundle: RunBundle, elapsedMs: number): string {
  const last: RoundMetrics | undefined = bundle.rounds[bundle.rounds.length - 1];
  const done = bundle.rounds.length;
  const ran = done - (bundle.replayedRounds ?? 0);
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
  parts.push(`${formatSeconds(elapsedMs, true)} elapsed`);
  if (bundle.status === 'running' && bundle.plannedRounds && ran > 0 && done < bundle.plannedRounds) {
    parts.push(`ETA ${formatSeconds((elapsedMs / ran) * (bundle.plannedRounds - done), false)}`);
  }
  if (bundle.status !== 'running') parts.push(bundle.status);
  return parts.join(' · ');
}

function runMimeBundle(bundle: RunBundle, elapsedMs: number): MimeBundle {
  const line = progressLine(bundle, elapsedMs);
  const data: RunBundle = { ...bundle, rounds: [...bundle.rounds] };
  return {
    'text/plain': `${bundle.label}: ${line}`,
    'text/html': `<div class="fedbook-run"><b>${escapeHtml(bundle.label)}</b> <code>${escapeHtml(line)}</code></div>`,
    [RUN_MIME]: data,
  };
}

/** The live bundle of a run that starts: empty, or holding a resumed run's replayed rounds. */
function runBundleOf(event: RunStartedEvent): RunBundle {
  const { strategy, name, ...hyperparameters } = event.config as Record<string, unknown>;
  return {
    runId: event.runId,
    label: event.label,
    strategy: String(strategy ?? name ?? event.label),
    hyperparameters,
    ...(event.rounds !== undefined ? { plannedRounds: event.rounds } : {}),
    ...(event.sweep ? { seed: event.sweep.seed, sweep: event.sweep.id } : seedAndSweep(event.runId)),
    status: 'running',
    rounds: (event.replayed ?? []).map((round) => displayRound(round as RoundMetrics)),
    ...(event.replayed?.length ? { replayedRounds: event.replayed.length } : {}),
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

/**
 * Shows the runs that start while a cell runs, through `currentSink()`: one output per run, except that the runs
 * of a sweep share the sweep's one output (a table of combinations × seeds, and every run for the chart).
 */
export function watchRuns(currentSink: () => ExecutionSink | undefined, now: () => number = Date.now): ProgressWatcher {
  /** Open outputs by run id or sweep id, and the output each live run updates. */
  const views = new Map<string, LiveView>();
  const runs = new Map<string, { bundle: RunBundle; view: LiveView }>();
  const sweeps = new Map<string, SweepBundle>();
  let onEmpty: (() => void) | undefined;

  const send = (view: LiveView): void => {
    if (view.timer) clearTimeout(view.timer);
    view.timer = undefined;
    view.dirty = false;
    view.lastSentAt = now();
    currentSink()?.updateDisplay(view.render(view.lastSentAt), view.displayId);
  };
  const schedule = (view: LiveView): void => {
    view.dirty = true;
    const wait = view.lastSentAt + progressIntervalMs(view.roundCount()) - now();
    if (wait <= 0) send(view);
    else view.timer ??= setTimeout(() => send(view), wait);
  };
  const open = (key: string, view: LiveView): void => {
    views.set(key, view);
    currentSink()?.display(view.render(view.startedAt), undefined, view.displayId);
  };
  const close = (key: string): void => {
    const view = views.get(key);
    if (!view) return;
    send(view);
    views.delete(key);
    if (views.size === 0) onEmpty?.();
  };
  const liveView = (displayId: string, render: (elapsedMs: number) => MimeBundle, roundCount: () => number): LiveView => {
    const startedAt = now();
    return { displayId, startedAt, lastSentAt: startedAt, dirty: false, render: (at) => render(at - startedAt), roundCount };
  };

  const unsubscribe = observeRuns({
    sweepStarted(event: SweepStartedEvent) {
      const sweep: SweepBundle = {
        sweepId: event.sweepId,
        keys: [...event.keys],
        combinations: event.combinations.map((c) => ({ index: c.index, params: { ...c.params } })),
        seeds: [...event.seeds],
        ...(event.rounds !== undefined ? { plannedRounds: event.rounds } : {}),
        status: 'running',
        runs: event.recorded.map((run) => ({
          runId: run.runId,
          label: run.label,
          strategy: run.strategy,
          hyperparameters: run.hyperparameters,
          seed: run.tag.seed,
          sweep: run.tag.id,
          combination: run.tag.combination,
          status: run.status,
          rounds: run.rounds.map(displayRound),
        })),
      };
      sweeps.set(event.sweepId, sweep);
      const roundCount = () => sweep.runs.reduce((sum, run) => sum + run.rounds.length, 0);
      open(
        `sweep:${event.sweepId}`,
        liveView(`fedbook-sweep-${event.sweepId}`, (elapsed) => sweepMimeBundle(sweep, elapsed), roundCount),
      );
    },
    sweepEnded(event: SweepEndedEvent) {
      const sweep = sweeps.get(event.sweepId);
      if (!sweep) return;
      sweep.status = 'ended';
      sweeps.delete(event.sweepId);
      close(`sweep:${event.sweepId}`);
    },
    runStarted(event: RunStartedEvent) {
      const bundle = runBundleOf(event);
      const sweep = event.sweep && sweeps.get(event.sweep.id);
      if (sweep && event.sweep) {
        sweep.runs.push({ ...bundle, combination: event.sweep.combination });
        const view = views.get(`sweep:${sweep.sweepId}`)!;
        // The run object in the sweep is the one its rounds go to.
        runs.set(event.runId, { bundle: sweep.runs[sweep.runs.length - 1], view });
        schedule(view);
        return;
      }
      const view = liveView(
        `fedbook-run-${event.runId}`,
        (elapsed) => runMimeBundle(bundle, elapsed),
        () => bundle.rounds.length,
      );
      runs.set(event.runId, { bundle, view });
      open(`run:${event.runId}`, view);
    },
    roundFinished(event: RunRoundEvent) {
      const run = runs.get(event.runId);
      if (!run) return;
      // Client states are shown for the newest round only: older rounds drop them from the bundle, which is re-sent whole
      // with every update (a hundred clients' states per round would grow it without end; the record keeps them all).
      const rounds = run.bundle.rounds;
      const previous = rounds[rounds.length - 1];
      if (previous?.clientStates) {
        const { clientStates: _older, ...rest } = previous;
        rounds[rounds.length - 1] = rest;
      }
      rounds.push(displayRound(event.metrics as RoundMetrics));
      if (run.bundle.liveClients && run.bundle.liveClients.round <= event.metrics.round) delete run.bundle.liveClients;
      schedule(run.view);
    },
    clientStates(event: RunClientStatesEvent) {
      const run = runs.get(event.runId);
      if (!run) return;
      run.bundle.liveClients = { round: event.round, clients: event.states };
      schedule(run.view);
    },
    runEnded(event: RunEndedEvent) {
      const run = runs.get(event.runId);
      if (!run) return;
      run.bundle.status = event.status;
      runs.delete(event.runId);
      if (views.get(`run:${event.runId}`) === run.view) close(`run:${event.runId}`);
      else send(run.view);
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
      runs.clear();
      sweeps.clear();
      unsubscribe();
    },
  };
}
