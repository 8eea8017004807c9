/**
 * A connecting side's life with its server, alike for federation clients and
 * scale-out workers: the messages both answer the same way (welcome, refuse,
 * notice, shutdown, heartbeat), a heartbeat each second with a watchdog for a
 * silent server, and the wait for a welcome that ends in a diagnosis.
 */
import { readLoop } from '../../protocol/channels';
import { diagnose, type CurveDealer } from './curve-dealer';
import type { Envelope, Heartbeat, Notice, Refuse, Shutdown, Welcome } from './wire';

export class FederationConnectError extends Error {
  override name = 'FederationConnectError';
}

export type SessionOutcome = { ok: true; reason: string } | { ok: false; error: Error };

/** The server's messages a session answers itself. */
type Common = Welcome | Refuse | Notice | Shutdown | Heartbeat;

export interface ServerSessionOptions<M extends { readonly type: string }> {
  readonly server: string;
  readonly name: string;
  /** 'client' or 'worker', as the messages name it. */
  readonly who: string;
  /** What should run on the server, named when nothing answers ('fed.federation.listen'). */
  readonly listener: string;
  readonly connectTimeoutMs: number;
  readonly serverTimeoutMs: number;
  readonly dealer: CurveDealer;
  readonly log: (line: string) => void;
  readonly decode: (frames: Buffer[]) => Envelope<M>;
  /** The messages that are the caller's own (tasks, hello-again, ...). */
  readonly onMessage: (message: Envelope<Exclude<M, Common>>) => void;
  /** Sends one heartbeat. */
  readonly beat: () => void;
}

export interface ServerSession {
  /** True once welcomed. */
  readonly joined: boolean;
  /** Settles when the server ends the session, refuses it, falls silent, or `finish` is called. */
  readonly finished: Promise<SessionOutcome>;
  finish(outcome: SessionOutcome): void;
  /** Waits for the welcome; without one, runs `teardown` and throws a FederationConnectError that says why. */
  awaitWelcome(teardown: () => Promise<void>): Promise<void>;
  /** Stops the heartbeat, lets `sayBye`'s message leave (half a second at most), and closes the socket. */
  close(sayBye?: () => void): Promise<void>;
}

export function startServerSession<M extends { readonly type: string }>(options: ServerSessionOptions<M>): ServerSession {
  const { server, name, who, log } = options;
  let joined = false;
  let lastHeard = Date.now();
  let finish!: (outcome: SessionOutcome) => void;
  const finished = new Promise<SessionOutcome>((resolve) => {
    finish = resolve;
  });
  let welcomed!: (outcome: { ok: true } | { ok: false; reason: string }) => void;
  const welcome = new Promise<{ ok: true } | { ok: false; reason: string }>((resolve) => {
    welcomed = resolve;
  });

  const onFrames = (frames: Buffer[]): void => {
    lastHeard = Date.now();
    let message: Envelope<M>;
    try {
      message = options.decode(frames);
    } catch (error) {
      log(`ignored a malformed message from the server: ${(error as Error).message}`);
      return;
    }
    const common = message as unknown as Envelope<Common>;
    switch (common.type) {
      case 'welcome':
        if (joined) log(`joined ${server} again as '${name}'`);
        welcomed({ ok: true });
        return;
      case 'refuse':
        welcomed({ ok: false, reason: common.reason });
        finish({ ok: false, error: new FederationConnectError(`the server refused this ${who}: ${common.reason}`) });
        return;
      case 'notice':
        log(`server: ${common.message}`);
        return;
      case 'shutdown':
        finish({ ok: true, reason: common.reason });
        return;
      case 'heartbeat':
        return;
      default:
        options.onMessage(message as Envelope<Exclude<M, Common>>);
    }
  };
  void readLoop(options.dealer.socket, onFrames, (error) => log(`reader: ${error.message}`));

  const { serverTimeoutMs } = options;
  const heartbeat = setInterval(() => {
    options.beat();
    if (Date.now() - lastHeard > serverTimeoutMs)
      finish({ ok: false, error: new Error(`the server at ${server} stopped answering (nothing heard for ${serverTimeoutMs / 1000} s)`) });
  }, 1000);

  return {
    get joined() {
      return joined;
    },
    finished,
    finish: (outcome) => finish(outcome),
    async awaitWelcome(teardown) {
      const { connectTimeoutMs } = options;
      const timeout = new Promise<{ ok: false; reason: string }>((resolve) => setTimeout(() => resolve({ ok: false, reason: '' }), connectTimeoutMs).unref());
      const greeting = await Promise.race([welcome, timeout]);
      if (!greeting.ok) {
        await teardown();
        throw new FederationConnectError(
          greeting.reason
            ? `the server refused this ${who}: ${greeting.reason}`
            : diagnose(server, connectTimeoutMs, options.dealer.seen, { listener: options.listener, who }),
        );
      }
      joined = true;
    },
    async close(sayBye) {
      clearInterval(heartbeat);
      if (sayBye) {
        sayBye();
        await options.dealer.drain(500);
      }
      options.dealer.socket.close();
    },
  };
}
