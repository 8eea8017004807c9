/**
 * The tasks the server has handed out and is waiting on. Each task id is valid
 * for one answer from one client in one round: an answer to a task that timed
 * out is late, a second answer is a replay, an answer from another client or
 * round is forged; each is turned away and recorded, never aggregated.
 */
import type { ClientFailure } from '../../federated/types';
import type { TaskReply } from './wire';

export type TaskAnswer =
  | { readonly ok: true; readonly reply: Exclude<TaskReply, { type: 'task-failed' }>; readonly bytes: number }
  | { readonly ok: false; readonly failure: ClientFailure };

interface OpenTask {
  readonly clientName: string;
  readonly clientId: number;
  readonly round: number;
  /** What the task is, in failure messages ('train', 'evaluate', 'share keys', ...). */
  readonly kind: string;
  /** The reply type that answers it. */
  readonly expects: TaskReply['type'];
  readonly settle: (answer: TaskAnswer) => void;
  timer?: NodeJS.Timeout;
}

/** How a closed task ended, kept so that a later answer can be told apart from a forged one. */
type ClosedAs = 'answered' | 'expired' | 'cancelled';

export interface RejectedMessage {
  readonly at: string;
  readonly client: string;
  readonly round: number;
  readonly reason: string;
}

const KEEP_CLOSED = 10_000;
const KEEP_REJECTED = 200;

export class TaskBook {
  private readonly open = new Map<string, OpenTask>();
  private readonly closed = new Map<string, ClosedAs>();
  readonly rejected: RejectedMessage[] = [];
  /** Rejections since the last call of takeRejectedCount (reported in the round's metrics). */
  private rejectedSinceTaken = 0;

  /** Registers a task; `timeoutMs` > 0 turns silence into a 'timeout' failure. */
  add(task: string, entry: Omit<OpenTask, 'timer'>, timeoutMs: number, timeoutMessage: string): void {
    const open: OpenTask = { ...entry };
    if (timeoutMs > 0) {
      open.timer = setTimeout(
        () => this.close(task, 'expired', { ok: false, failure: { clientId: entry.clientId, reason: 'timeout', message: timeoutMessage } }),
        timeoutMs,
      );
    }
    this.open.set(task, open);
  }

  /** An answer from `clientName` in `round`: settles its task, or records why it was turned away. */
  answer(clientName: string, round: number, reply: TaskReply, bytes: number): { accepted: boolean; reason?: string } {
    const open = this.open.get(reply.task);
    const reason = !open
      ? this.closed.get(reply.task) === 'answered'
        ? 'replayed: the task was already answered'
        : this.closed.get(reply.task) === 'expired'
          ? 'late: the task had passed its deadline'
          : this.closed.get(reply.task) === 'cancelled'
            ? 'cancelled: the run was aborted before this answer came'
            : 'unknown task id'
      : open.clientName !== clientName
        ? `the task belongs to client '${open.clientName}'`
        : open.round !== round
          ? `round ${round} does not match the task's round ${open.round}`
          : reply.type === 'task-failed'
            ? undefined
            : reply.type !== open.expects
              ? `a ${reply.type} does not answer a ${open.kind} task`
              : undefined;
    if (reason !== undefined || !open) {
      this.reject(clientName, round, `${reply.type} for task ${reply.task.slice(0, 16)}: ${reason}`);
      return { accepted: false, reason };
    }
    this.close(
      reply.task,
      'answered',
      reply.type === 'task-failed'
        ? {
            ok: false,
            failure: {
              clientId: open.clientId,
              reason: 'error',
              message: `client ${open.clientId} ('${clientName}') could not ${open.kind}: ${reply.message}`,
            },
          }
        : { ok: true, reply, bytes },
    );
    return { accepted: true };
  }

  /** Fails every open task of a client (it left, went silent or was replaced). */
  failClient(clientName: string, reason: ClientFailure['reason'], message: (clientId: number) => string): void {
    for (const [task, open] of this.open) {
      if (open.clientName === clientName)
        this.close(task, 'expired', { ok: false, failure: { clientId: open.clientId, reason, message: message(open.clientId) } });
    }
  }

  /** Fails the given tasks (an abort, the server closing); returns the ids that were still open. */
  failTasks(tasks: readonly string[], reason: ClientFailure['reason'], message: string): string[] {
    const still = tasks.filter((task) => this.open.has(task));
    for (const task of still) {
      const open = this.open.get(task)!;
      // An interrupted run's answers still come (the client stops between batches): say why they no longer count.
      this.close(task, reason === 'aborted' ? 'cancelled' : 'expired', {
        ok: false,
        failure: { clientId: open.clientId, reason, message: `client ${open.clientId} ('${open.clientName}'): ${message}` },
      });
    }
    return still;
  }

  openTasks(): string[] {
    return [...this.open.keys()];
  }

  reject(client: string, round: number, reason: string): void {
    this.rejected.push({ at: new Date().toISOString(), client, round, reason });
    if (this.rejected.length > KEEP_REJECTED) this.rejected.shift();
    this.rejectedSinceTaken++;
  }

  takeRejectedCount(): number {
    const count = this.rejectedSinceTaken;
    this.rejectedSinceTaken = 0;
    return count;
  }

  private close(task: string, as: ClosedAs, answer: TaskAnswer): void {
    const open = this.open.get(task);
    if (!open) return;
    clearTimeout(open.timer);
    this.open.delete(task);
    this.closed.set(task, as);
    if (this.closed.size > KEEP_CLOSED) this.closed.delete(this.closed.keys().next().value!);
    open.settle(answer);
  }
}
