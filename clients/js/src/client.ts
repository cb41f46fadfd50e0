import {
  AphelionConnection,
  type ConnectionListener,
  type WebSocketConstructor,
} from "./connection.js";
import { host, realTimers, type Timers } from "./timers.js";
import { PROTOCOL_GAME, VERSION_ANY, checkToken } from "./wire.js";

/** Options of an {@link AphelionClient}; every one has a default. */
export interface AphelionClientOptions {
  /** The Aphelion protocol: 1 ping, 2 game. Default 2. */
  protocol?: number;
  /** The protocol version; 0 bypasses the server's version check. Default 0. */
  version?: number;
  /**
   * The WebSocket constructor. Default: the global `WebSocket` (browsers, Node.js 22+); in
   * Node.js 20 pass the `ws` package's.
   */
  WebSocket?: WebSocketConstructor;
  /** Whether connections ack received packets by themselves (false: a client that never acks, for tests). Default true. */
  autoAck?: boolean;
  /** Milliseconds an owed ack waits for a packet to ride on before it goes out alone. Default 5. */
  ackDelay?: number;
  /** Milliseconds from opening the websocket to the server's init reply, else 4004. Default 10000. */
  initTimeout?: number;
  /** Clock and timers (tests pass their own). Default: performance.now and the host's timers. */
  timers?: Timers;
}

/** Options of one {@link AphelionClient.connect}. */
export interface ConnectOptions extends ConnectionListener {
  /**
   * The token of a session to join (another connection of it) or resume (after a drop). Without
   * one the server starts a new session; with an unknown or expired one, too.
   */
  token?: Uint8Array;
}

/** Defaults of {@link AphelionClientOptions}. */
export const DEFAULT_ACK_DELAY_MS = 5;
export const DEFAULT_INIT_TIMEOUT_MS = 10_000;

/**
 * Opens Aphelion connections to one server endpoint, for one protocol and version. Holds no
 * connection itself: share one client for many connections and sessions.
 */
export class AphelionClient {
  readonly url: string;
  readonly protocol: number;
  readonly version: number;
  readonly autoAck: boolean;
  readonly ackDelay: number;
  readonly initTimeout: number;
  readonly timers: Timers;
  readonly #WebSocket: WebSocketConstructor | undefined;

  /** @param url the websocket endpoint, e.g. `ws://127.0.0.1:8080/aphelion` */
  constructor(url: string, options: AphelionClientOptions = {}) {
    this.url = String(url);
    this.protocol = options.protocol ?? PROTOCOL_GAME;
    this.version = options.version ?? VERSION_ANY;
    this.autoAck = options.autoAck ?? true;
    this.ackDelay = options.ackDelay ?? DEFAULT_ACK_DELAY_MS;
    this.initTimeout = options.initTimeout ?? DEFAULT_INIT_TIMEOUT_MS;
    this.timers = options.timers ?? realTimers;
    this.#WebSocket = options.WebSocket ?? (host.WebSocket as WebSocketConstructor | undefined);
    if (!(this.ackDelay >= 0) || !(this.initTimeout > 0)) {
      throw new RangeError("ackDelay must be >= 0 and initTimeout > 0 (milliseconds)");
    }
  }

  /**
   * Opens a connection and does the handshake. Resolves once the server sent its token; rejects
   * with an {@link AphelionHandshakeError} whose `code` is the close code when the server refuses
   * (4000-4004), when the reply is malformed (4003) or late (4004), or when the websocket cannot
   * be opened (1006).
   */
  async connect(options: ConnectOptions = {}): Promise<AphelionConnection> {
    if (options.token !== undefined) {
      checkToken(options.token);
    }
    const WebSocket = this.#WebSocket;
    if (WebSocket === undefined) {
      throw new TypeError("No global WebSocket here (Node.js 20): pass one as the WebSocket option, e.g. the ws package's");
    }
    const connection = new AphelionConnection({
      url: this.url,
      protocol: this.protocol,
      version: this.version,
      token: options.token,
      WebSocket,
      autoAck: this.autoAck,
      ackDelay: this.ackDelay,
      initTimeout: this.initTimeout,
      timers: this.timers,
      listener: { onMessage: options.onMessage, onAck: options.onAck, onClose: options.onClose },
    });
    return connection.handshake();
  }
}
