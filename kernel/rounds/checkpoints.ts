/**
 * Checkpoints on disk: after each round the run writes its whole server state
 * to `.fedbook/runs/<runId>.ckpt/round-000012.bin`, atomically (a temporary
 * file, fsync, rename), and keeps the last few. Reading walks back from the
 * newest file and skips the ones that are torn or corrupt, saying so.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerState } from '../federated/server-state';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint-format';
import { checkpointDirectory } from '../contract/run-lock';

/** Where a run's checkpoints (and its lock) live: defined beside the lock, which the runs view also reads. */
export { checkpointDirectory };

/** What a checkpoint file says about itself, besides the state. */
export interface CheckpointMeta {
  readonly runId: string;
  readonly round: number;
  readonly savedAt: string;
}

export interface LoadedCheckpoint {
  readonly path: string;
  readonly meta: CheckpointMeta;
  readonly state: ServerState;
}

export interface WrittenCheckpoint {
  readonly path: string;
  readonly bytes: number;
  /** Encode + write + fsync + rename, ms. */
  readonly ms: number;
}

const FILE = /^round-(\d+)\.bin$/;

export function checkpointFileName(round: number): string {
  return `round-${String(round).padStart(6, '0')}.bin`;
}

/** Writes the state atomically, then removes all but the newest `keep` checkpoints. */
export function writeCheckpoint(directory: string, runId: string, state: ServerState, keep: number): WrittenCheckpoint {
  const started = performance.now();
  mkdirSync(directory, { recursive: true });
  const meta: CheckpointMeta = { runId, round: state.round, savedAt: new Date().toISOString() };
  const bytes = encodeCheckpoint(meta, state);
  const path = join(directory, checkpointFileName(state.round));
  const temporary = `${path}.tmp-${process.pid}`;
  const fd = openSync(temporary, 'w');
  try {
    for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  for (const old of checkpointRounds(directory).slice(keep)) unlinkSync(join(directory, checkpointFileName(old)));
  return { path, bytes: bytes.length, ms: performance.now() - started };
}

/** Round numbers of the checkpoints in a folder, newest first. */
export function checkpointRounds(directory: string): number[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .flatMap((name) => {
      const match = FILE.exec(name);
      return match ? [Number(match[1])] : [];
    })
    .sort((a, b) => b - a);
}

/**
 * The newest intact checkpoint at or before `atMostRound`, and a note for each newer one that could not be
 * read. Undefined when none is intact.
 */
export function readLatestCheckpoint(directory: string, runId: string, atMostRound = Infinity): { checkpoint?: LoadedCheckpoint; skipped: string[] } {
  const skipped: string[] = [];
  for (const round of checkpointRounds(directory).filter((r) => r <= atMostRound)) {
    const path = join(directory, checkpointFileName(round));
    try {
      const { meta, value } = decodeCheckpoint<CheckpointMeta, ServerState>(readFileSync(path));
      if (meta.round !== round || value.round !== round) throw new Error(`it holds round ${value.round}, not ${round}`);
      if (meta.runId !== runId) throw new Error(`it belongs to run ${meta.runId}`);
      return { checkpoint: { path, meta, state: value }, skipped };
    } catch (error) {
      skipped.push(`checkpoint ${path} is unusable (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  return { skipped };
}

/** Removes temporary files a killed process left behind. */
export function removeStaleTemporaries(directory: string): void {
  if (!existsSync(directory)) return;
  for (const name of readdirSync(directory)) if (/\.bin\.tmp-\d+$/.test(name)) unlinkSync(join(directory, name));
}
