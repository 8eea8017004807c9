/**
 * Run records: one JSON line per round in `.fedbook/runs/<runId>.jsonl`, the
 * config line first. Each line is appended synchronously as the round ends, so
 * a killed process loses at most the round in flight.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { RoundMetrics, RunConfigRecord, RunEndRecord, RunRecordLine, RunResumeRecord } from '../contract';

/** Folder of run records: `$FEDBOOK_RUNS_DIR`, else `.fedbook/runs` under the working directory. */
export function runsDirectory(): string {
  return resolve(process.env.FEDBOOK_RUNS_DIR ?? join(process.cwd(), '.fedbook', 'runs'));
}

/** A sortable, unique run id: date, time and a random suffix. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export interface RunRecorder {
  readonly runId: string;
  readonly path: string;
  round(metrics: RoundMetrics): void;
  end(status: RunEndRecord['status'], message?: string): void;
}

export function startRunRecord(config: Omit<RunConfigRecord, 'type'>, directory = runsDirectory()): RunRecorder {
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `${config.runId}.jsonl`);
  writeFileSync(path, JSON.stringify({ type: 'config', ...config }) + '\n');
  return appendingRecorder(config.runId, path);
}

/** Continues an existing record: writes the resume line, then rounds and the end as usual. */
export function resumeRunRecord(run: LoadedRun, resume: Omit<RunResumeRecord, 'type' | 'resumedAt'>): RunRecorder {
  const recorder = appendingRecorder(run.config.runId, run.path);
  appendFileSync(run.path, JSON.stringify({ type: 'resume', ...resume, resumedAt: new Date().toISOString() } satisfies RunResumeRecord) + '\n');
  return recorder;
}

function appendingRecorder(runId: string, path: string): RunRecorder {
  const append = (line: RunRecordLine): void => appendFileSync(path, JSON.stringify(line) + '\n');
  return {
    runId,
    path,
    round: (metrics) => append({ type: 'round', ...metrics }),
    end: (status, message) => append({ type: 'end', status, ...(message ? { message } : {}), endedAt: new Date().toISOString() }),
  };
}

export interface LoadedRun {
  config: RunConfigRecord;
  rounds: RoundMetrics[];
  /** Absent when the process ended before the run did (or the run was resumed and has not ended since). */
  end?: RunEndRecord;
  /** Each time the run was resumed, in order. */
  resumes: RunResumeRecord[];
  path: string;
}

/**
 * Reads one run record; a truncated last line (killed mid-write) is ignored. A resume line supersedes the
 * round lines above its `fromRound` and any end line written before it.
 */
export function loadRun(runIdOrPath: string, directory = runsDirectory()): LoadedRun {
  const path = runIdOrPath.endsWith('.jsonl') ? resolve(runIdOrPath) : join(directory, `${runIdOrPath}.jsonl`);
  if (!existsSync(path)) throw new Error(`no run record at ${path}`);
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
  const parsed: RunRecordLine[] = [];
  lines.forEach((line, i) => {
    try {
      parsed.push(JSON.parse(line));
    } catch {
      if (i !== lines.length - 1) throw new Error(`${path}: line ${i + 1} is not valid JSON`);
    }
  });
  const config = parsed[0];
  if (config?.type !== 'config') throw new Error(`${path}: the first line is not a config record`);
  let rounds: RoundMetrics[] = [];
  let end: RunEndRecord | undefined;
  const resumes: RunResumeRecord[] = [];
  for (const line of parsed.slice(1)) {
    if (line.type === 'round') {
      const { type: _type, ...metrics } = line;
      rounds.push(metrics as RoundMetrics);
    } else if (line.type === 'end') {
      end = line;
    } else if (line.type === 'resume') {
      rounds = rounds.filter((round) => round.round <= line.fromRound);
      end = undefined;
      resumes.push(line);
    }
  }
  return { config, rounds, end, resumes, path };
}

/** Every run in the folder, newest first, with its config and round count. */
export function listRuns(
  directory = runsDirectory(),
): { runId: string; label: string; strategy: string; rounds: number; status: string; startedAt: string; path: string }[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((name) => name.endsWith('.jsonl'))
    .map((name) => join(directory, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    .flatMap((path) => {
      try {
        const run = loadRun(path);
        return [
          {
            runId: run.config.runId,
            label: run.config.label,
            strategy: run.config.strategy,
            rounds: run.rounds.length,
            status: run.end?.status ?? 'unfinished',
            startedAt: run.config.startedAt,
            path,
          },
        ];
      } catch {
        return [];
      }
    });
}
