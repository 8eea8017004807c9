/**
 * The round chart's data: runs keyed by id, rounds appended in order,
 * series per metric, CSV export and run-record parsing. Pure: shared by the
 * extension host and the chart webview.
 */
import { metricValue, PLOTTED_METRICS, sweepIdOf, type MetricKey, type RoundMetrics, type RunBundle, type RunRecordLine } from '../../kernel/contract';

/** A run as the chart holds it. */
export type ChartRun = Omit<RunBundle, 'rounds'> & { rounds: RoundMetrics[] };

/** Legend text: the run's label, else strategy plus key hyperparameters. */
export function legendLabel(run: Pick<ChartRun, 'label' | 'strategy' | 'hyperparameters' | 'runId'>): string {
  if (run.label) return run.label;
  const params = Object.entries(run.hyperparameters ?? {})
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return [run.strategy || run.runId, params].filter(Boolean).join(' ');
}

/** One plotted line. */
export interface Series {
  runId: string;
  name: string;
  x: number[];
  y: number[];
}

/** Points of `rounds` for `metric`, skipping rounds without it. */
export function points(rounds: readonly RoundMetrics[], metric: MetricKey): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  for (const round of rounds) {
    const value = metricValue(round, metric);
    if (value === undefined) continue;
    x.push(round.round);
    y.push(value);
  }
  return { x, y };
}

export class RunStore {
  private readonly byId = new Map<string, ChartRun>();
  /** The round each run was last seen resuming from, so that one resume rewinds a run once. */
  private readonly resumedFrom = new Map<string, number>();

  /**
   * A resumed run's first bundle (its recorded rounds up to the checkpoint, `replayedRounds`) supersedes the
   * rounds the chart drew past that checkpoint before the run stopped: drops them and returns true (the chart
   * must then redraw the run whole); false when there is nothing to drop.
   */
  rewind(bundle: RunBundle): boolean {
    const run = this.byId.get(bundle.runId);
    const from = bundle.replayedRounds ? bundle.rounds[bundle.replayedRounds - 1]?.round : undefined;
    if (!run || from === undefined || this.resumedFrom.get(bundle.runId) === from) return false;
    this.resumedFrom.set(bundle.runId, from);
    const kept = run.rounds.filter((round) => round.round <= from);
    if (kept.length === run.rounds.length) return false;
    run.rounds = kept;
    return true;
  }

  /**
   * Merges a run bundle (the run so far) and returns the rounds not seen
   * before, in round order: what the chart must append.
   */
  upsert(bundle: RunBundle): RoundMetrics[] {
    let run = this.byId.get(bundle.runId);
    if (!run) {
      run = { ...bundle, rounds: [] };
      this.byId.set(bundle.runId, run);
    } else {
      run.status = bundle.status;
      run.label = bundle.label;
      if (bundle.liveClients) run.liveClients = bundle.liveClients;
      else delete run.liveClients;
      if (bundle.plannedRounds !== undefined) run.plannedRounds = bundle.plannedRounds;
    }
    const last = run.rounds.length > 0 ? run.rounds[run.rounds.length - 1].round : -Infinity;
    const fresh = bundle.rounds.filter((r) => r.round > last).sort((a, b) => a.round - b.round);
    run.rounds.push(...fresh);
    return fresh;
  }

  /** Appends rounds already known to be new (the webview side of `upsert`). */
  append(runId: string, rounds: readonly RoundMetrics[]): void {
    const run = this.byId.get(runId);
    if (!run) throw new Error(`unknown run "${runId}"`);
    run.rounds.push(...rounds);
  }

  has(runId: string): boolean {
    return this.byId.has(runId);
  }

  get(runId: string): ChartRun | undefined {
    return this.byId.get(runId);
  }

  runs(): ChartRun[] {
    return [...this.byId.values()];
  }

  remove(runId: string): void {
    this.byId.delete(runId);
    this.resumedFrom.delete(runId);
  }

  /** One series per run for `metric`, runs in insertion order. */
  series(metric: MetricKey): Series[] {
    return this.runs().map((run) => ({ runId: run.runId, name: legendLabel(run), ...points(run.rounds, metric) }));
  }

  /** Long-format CSV of every run and round: run, label, round, then every metric column. */
  toCsv(): string {
    const columns: MetricKey[] = PLOTTED_METRICS.map((m) => m.key);
    const lines = [['runId', 'label', 'round', ...columns].join(',')];
    for (const run of this.runs()) {
      for (const round of run.rounds) {
        const values = columns.map((key) => metricValue(round, key) ?? '');
        lines.push([csvField(run.runId), csvField(legendLabel(run)), round.round, ...values].join(','));
      }
    }
    return lines.join('\n') + '\n';
  }
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Parses a `.fedbook/runs/<runId>.jsonl` record into a chart run. Blank lines
 * are skipped; a malformed line throws with its line number.
 */
export function parseRunRecord(text: string, source = 'run record'): ChartRun {
  let run: ChartRun | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let record: RunRecordLine;
    try {
      record = JSON.parse(line) as RunRecordLine;
    } catch {
      if (i === lines.length - 1) break; // A half-written last line of a running or killed run.
      throw new Error(`${source}: line ${i + 1} is not valid JSON`);
    }
    if (record.type === 'config') {
      run = { runId: record.runId, label: record.label, strategy: record.strategy, hyperparameters: record.hyperparameters, status: 'running', rounds: [] };
      if (record.plannedRounds !== undefined) run.plannedRounds = record.plannedRounds;
      if (typeof record.seed === 'number') run.seed = record.seed;
      // A sweep's runs carry its id (a string, or a tag { id, … }): read it whichever, since older records have none.
      const sweep = sweepIdOf((record as { sweep?: unknown }).sweep);
      if (sweep !== undefined) run.sweep = sweep;
    } else if (!run) {
      throw new Error(`${source}: line ${i + 1} comes before the config line`);
    } else if (record.type === 'round') {
      const { type: _type, ...round } = record;
      run.rounds.push(round);
    } else if (record.type === 'end') {
      run.status = record.status;
    } else if (record.type === 'resume') {
      // The run continued from the checkpoint of `fromRound`: rounds above it written before were redone.
      const fromRound = record.fromRound;
      run.rounds = run.rounds.filter((round) => round.round <= fromRound);
      run.status = 'running';
    }
  }
  if (!run) throw new Error(`${source}: no config line`);
  return run;
}
