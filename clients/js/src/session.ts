import { backoffDelay, backoffOptions, type BackoffOptions } from "./backoff.js";
import type { AphelionClient } from "./client.js";
import { CloseCodes, isRetryable } from "./close-codes.js";
import type { AphelionConnection, PingResult } from "./connection.js";
import { AphelionHandshakeError } from "./errors.js";
import { RoundTripTime } from "./rtt.js";
import { callSafely } from "./timers.js";
import { tokensEqual } from "./wire.js";

/** Options of {@link AphelionSession.open}. */
export interface SessionOptions {
  /** How many connections the session holds (the server allows up to its max-connections). Default 1. */
  connections?: number;
  /** A token to resume (e.g. kept across a page reload); without one the server starts a new session. */
  token?: Uint8Array;
  /** Whether the session's connections ack by themselves. Default: the client's autoAck. */
  autoAck?: boolean;
  /** A payload arrived on any connection of the current session. */
  onMessage?: (payload: Uint8Array, connection: AphelionConnection) => void;
  /**
   * The server started a new session (the old one expired, or the server restarted): every
   * connection has moved to `token`, and the game should authenticate again.
   */
  onNewSession?: (token: Uint8Array) => void;
  /** A dropped connection was replaced by one of the same session (the server kept its state). */
  onReconnect?: (connection: AphelionConnection) => void;
  /** One connection closed (`session` reconnects it unless the code is final or the session closed). */
  onConnectionClose?: (code: number, reason: string, connection: AphelionConnection) => void;
  /**
   * The session stopped for good without {@link AphelionSession.close}: every connection ended
   * with a code that reconnecting cannot fix (see {@link isRetryable}); the last one is given.
   */
  onClose?: (code: number, reason: string) => void;
  /** The server acked one of our payload packets, `rttMs` after we sent it. */
  onAck?: (rttMs: number, connection: AphelionConnection) => void;
  /** Spacing of reconnect attempts. */
  backoff?: BackoffOptions;
  /** Random numbers in [0, 1) for the backoff's jitter (tests pass their own). Default Math.random. */
  random?: () => number;
}

/** One of the session's connections, through its reconnects. */
interface Slot {
  /** The open connection, or undefined while it is being (re)connected or stopped. */
  connection: AphelionConnection | undefined;
  /** Failed attempts since the last success: the exponent of the next backoff delay. */
  attempt: number;
  /** The pending reconnect, or undefined. */
  timer: unknown;
  /** The token of the slot's last connection: its next one on that token is a reconnect. */
  lastToken: Uint8Array | undefined;
  /** Set once a final close ended the slot: it is not reconnected. */
  stopped: boolean;
}

/**
 * A player session held open by the client: several connections on one token, each reconnected
 * with the token after it drops (exponential backoff with jitter). Payloads go out on the open
 * connection with the fewest unacked packets, ties taken in turn, as the server routes its own.
 *
 * When a reconnect finds the session gone (it expired, or the server restarted), the server
 * answers with another token: the session takes it, closes its connections of the old session
 * with 4005 as the protocol says, reconnects them on the new one and calls `onNewSession` so the
 * game can authenticate again. No reconnect follows a close that another attempt cannot fix
 * ({@link isRetryable}), nor {@link close}.
 *
 * Single-threaded: all state belongs to the event loop; callbacks come from it.
 */
export class AphelionSession {
  readonly #client: AphelionClient;
  readonly #options: SessionOptions;
  readonly #backoff: Required<BackoffOptions>;
  readonly #random: () => number;
  readonly #slots: Slot[] = [];
  #token!: Uint8Array;
  #isNewSession = true;
  #autoAck: boolean;
  #closed = false;
  #ended = false;
  /** Where the search for the least-loaded connection starts next: ties rotate. */
  #rotation = 0;
  /** Round-trip times from payload packets to their acks, over all connections. */
  readonly ackRtt = new RoundTripTime();

  private constructor(client: AphelionClient, options: SessionOptions) {
    this.#client = client;
    this.#options = options;
    this.#backoff = backoffOptions(options.backoff);
    this.#random = options.random ?? Math.random;
    this.#autoAck = options.autoAck ?? client.autoAck;
  }

  /**
   * Opens a session: one connection first (a new session, or the one of `options.token`), then
   * the others on its token. Resolves when every connection has had its first attempt; a failed
   * extra connection is retried like a dropped one. Rejects as {@link AphelionClient.connect}
   * when the first connection fails.
   */
  static async open(client: AphelionClient, options: SessionOptions = {}): Promise<AphelionSession> {
    const count = options.connections ?? 1;
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError("A session needs at least one connection");
    }
    const session = new AphelionSession(client, options);
    for (let i = 0; i < count; i++) {
      session.#slots.push({ connection: undefined, attempt: 0, timer: undefined, lastToken: undefined, stopped: false });
    }
    const first = session.#slots[0]!;
    const connection = await client.connect(session.#connectOptions(first, options.token));
    session.#token = connection.token;
    session.#isNewSession = connection.isNewSession;
    session.#attach(first, connection);
    await Promise.all(session.#slots.slice(1).map((slot) => session.#connect(slot)));
    return session;
  }

  /** The session's token; it changes when the server had to start a new session. */
  get token(): Uint8Array {
    return this.#token;
  }

  /** Whether {@link open} got a new session (always, unless it was given a token the server resumed). */
  get isNewSession(): boolean {
    return this.#isNewSession;
  }

  /** The connections open now. */
  get connections(): AphelionConnection[] {
    return this.#slots.flatMap((slot) => (slot.connection?.isOpen ? [slot.connection] : []));
  }

  /** Whether {@link close} was called, or every connection ended for good. */
  get isClosed(): boolean {
    return this.#closed || this.#ended;
  }

  /** Whether the session's connections ack by themselves; applies to the open ones and the next ones. */
  get autoAck(): boolean {
    return this.#autoAck;
  }

  set autoAck(on: boolean) {
    this.#autoAck = on;
    for (const slot of this.#slots) {
      if (slot.connection) {
        slot.connection.autoAck = on;
      }
    }
  }

  /**
   * Sends a payload on the open connection with the fewest unacked packets (ties in turn).
   *
   * @returns false when no connection is open (reconnecting, or closed): nothing was sent
   */
  send(payload: Uint8Array): boolean {
    const connection = this.#route();
    return connection !== undefined && connection.send(payload);
  }

  /** Pings on the least-loaded connection (protocol 1 sessions); rejects when none is open. */
  ping(): Promise<PingResult> {
    const connection = this.#route();
    return connection ? connection.ping() : Promise.reject(new Error("No open connection"));
  }

  /**
   * Closes every connection with 1000 (the server then ends the session at once) and stops
   * reconnecting. Resolves when every connection has closed.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const closing: Promise<unknown>[] = [];
    for (const slot of this.#slots) {
      this.#client.timers.clearTimeout(slot.timer);
      slot.timer = undefined;
      if (slot.connection) {
        closing.push(slot.connection.close(CloseCodes.NORMAL, "Session closed by the client"));
      }
    }
    await Promise.all(closing);
  }

  #route(): AphelionConnection | undefined {
    const slots = this.#slots;
    let best: AphelionConnection | undefined;
    let bestIndex = -1;
    for (let i = 0; i < slots.length; i++) {
      const index = (this.#rotation + i) % slots.length;
      const connection = slots[index]!.connection;
      if (connection?.isOpen && (best === undefined || connection.unacked < best.unacked)) {
        best = connection;
        bestIndex = index;
      }
    }
    if (best !== undefined) {
      this.#rotation = bestIndex + 1;
    }
    return best;
  }

  #connectOptions(slot: Slot, token: Uint8Array | undefined) {
    return {
      token,
      onMessage: (payload: Uint8Array, connection: AphelionConnection) => {
        // Late packets of a connection of an old session are not this session's.
        if (this.#options.onMessage && tokensEqual(connection.token, this.#token)) {
          this.#options.onMessage(payload, connection);
        }
      },
      onAck: (rtt: number, connection: AphelionConnection) => {
        this.ackRtt.update(rtt);
        this.#options.onAck?.(rtt, connection);
      },
      onClose: (code: number, reason: string, connection: AphelionConnection) => this.#lost(slot, connection, code, reason),
    };
  }

  #attach(slot: Slot, connection: AphelionConnection): void {
    connection.autoAck = this.#autoAck;
    slot.connection = connection;
    slot.attempt = 0;
    slot.lastToken = connection.token;
  }

  /** One attempt for a slot, on the session's current token; failures schedule the next one. */
  async #connect(slot: Slot): Promise<void> {
    slot.timer = undefined;
    if (this.#closed) {
      return;
    }
    const requested = this.#token;
    let connection: AphelionConnection;
    try {
      connection = await this.#client.connect(this.#connectOptions(slot, requested));
    } catch (error) {
      const code = error instanceof AphelionHandshakeError ? error.code : CloseCodes.ABNORMAL;
      const reason = error instanceof Error ? error.message : String(error);
      this.#failed(slot, code, reason);
      return;
    }
    if (this.#closed) {
      connection.close(CloseCodes.NORMAL, "Session closed by the client");
      return;
    }
    if (tokensEqual(connection.token, this.#token)) {
      const reconnect = tokensEqual(slot.lastToken, this.#token);
      this.#attach(slot, connection);
      if (reconnect) {
        callSafely(() => this.#options.onReconnect?.(connection));
      }
    } else if (tokensEqual(requested, this.#token)) {
      this.#adopt(slot, connection);
    } else {
      // Asked with a token the session has since left (another connection found the new
      // session first): this one started a session of its own. Close it, join the current one.
      connection.close(CloseCodes.NEW_SESSION_CLOSING_OLD, "The server started a new session");
      void this.#connect(slot);
    }
  }

  /** The server started a new session for `fresh`: move every connection onto it. */
  #adopt(slot: Slot, fresh: AphelionConnection): void {
    const old = this.#token;
    this.#token = fresh.token;
    this.#attach(slot, fresh);
    for (const other of this.#slots) {
      const connection = other.connection;
      if (other !== slot && connection !== undefined && tokensEqual(connection.token, old)) {
        other.connection = undefined;
        connection.close(CloseCodes.NEW_SESSION_CLOSING_OLD, "The server started a new session");
        void this.#connect(other);
      }
    }
    const token = fresh.token;
    callSafely(() => this.#options.onNewSession?.(token));
  }

  #lost(slot: Slot, connection: AphelionConnection, code: number, reason: string): void {
    if (slot.connection !== connection) {
      return; // one we closed ourselves (4005), already replaced
    }
    slot.connection = undefined;
    callSafely(() => this.#options.onConnectionClose?.(code, reason, connection));
    this.#failed(slot, code, reason);
  }

  #failed(slot: Slot, code: number, reason: string): void {
    if (this.#closed) {
      return;
    }
    if (!isRetryable(code)) {
      slot.stopped = true;
      if (!this.#ended && this.#slots.every((s) => s.stopped)) {
        this.#ended = true;
        callSafely(() => this.#options.onClose?.(code, reason));
      }
      return;
    }
    const delay = backoffDelay(slot.attempt, this.#backoff, this.#random());
    slot.attempt++;
    slot.timer = this.#client.timers.setTimeout(() => void this.#connect(slot), delay);
  }
}
