import { create, fromBinary, toBinary } from "@bufbuild/protobuf";

import { CloseCodes } from "./close-codes.js";
import { AphelionHandshakeError } from "./errors.js";
import { C2SSchema as PingC2SSchema, S2CSchema as PingS2CSchema } from "./gen/ping_pb.js";
import { RoundTripTime } from "./rtt.js";
import { callSafely, type Timers } from "./timers.js";
import {
  MAX_ACK,
  PROTOCOL_PING,
  decodeInitReply,
  encodeInitPacket,
  encodePacket,
  tokensEqual,
} from "./wire.js";

/**
 * The part of the WebSocket API the client uses: the browser's `WebSocket` and the `ws` package's
 * both have it.
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor: the browser's `WebSocket`, or `ws`'s default export in Node.js. */
export type WebSocketConstructor = new (url: string) => unknown;

/** WebSocket readyState OPEN. */
const OPEN = 1;

/** Ping answers waited for at once on one connection; {@link AphelionConnection.ping} refuses more. */
export const MAX_PENDING_PINGS = 64;

/** How a connection ended. */
export interface CloseInfo {
  /** The close code: the peer's, or 1006 when the connection dropped. */
  code: number;
  reason: string;
}

/** A ping answered by the server (protocol 1). */
export interface PingResult {
  /** Milliseconds from sending the ping to reading its answer. */
  rtt: number;
  /** The server's monotonic clock, in nanoseconds. */
  serverTime: bigint;
  /** Live game sessions on the server. */
  players: number;
  /** Game sessions that hold a connection now. */
  playing: number;
}

/** What a connection tells its owner. */
export interface ConnectionListener {
  /** A packet with a payload arrived (its ack byte already applied). */
  onMessage?: (payload: Uint8Array, connection: AphelionConnection) => void;
  /** The server acked one of our payload packets, `rttMs` after we sent it. */
  onAck?: (rttMs: number, connection: AphelionConnection) => void;
  /** The connection closed after its handshake. */
  onClose?: (code: number, reason: string, connection: AphelionConnection) => void;
}

/** What a connection is made with (by {@link AphelionClient.connect}). */
export interface ConnectionSettings {
  url: string;
  protocol: number;
  version: number;
  token: Uint8Array | undefined;
  WebSocket: WebSocketConstructor;
  autoAck: boolean;
  ackDelay: number;
  initTimeout: number;
  timers: Timers;
  listener: ConnectionListener;
}

type State = "handshake" | "open" | "closing" | "closed";

/**
 * One Aphelion connection: the handshake, then packets with the owed ack on them, an ack-only
 * packet within the ack delay when nothing else goes out, and the server's acks of our packets
 * (for routing and round-trip time). Made by {@link AphelionClient.connect}, which resolves once
 * the server has answered the init packet.
 *
 * Single-threaded like everything in JavaScript: all of its state belongs to the event loop that
 * made it, and callbacks come from that loop's websocket and timer events.
 */
export class AphelionConnection {
  readonly protocol: number;
  readonly version: number;
  /** The token sent in the init packet, if any. */
  readonly requestedToken: Uint8Array | undefined;
  /** Round-trip times from our payload packets to the server's acks of them. */
  readonly ackRtt = new RoundTripTime();
  /** Round-trip times of {@link ping} (protocol 1). */
  readonly pingRtt = new RoundTripTime();
  /** Settles when the connection has closed, with how it closed; never rejects. */
  readonly closed: Promise<CloseInfo>;

  readonly #ws: WebSocketLike;
  readonly #settings: ConnectionSettings;
  readonly #timers: Timers;
  #state: State = "handshake";
  #token: Uint8Array | undefined;
  #autoAck: boolean;
  /** Payload packets received since our last ack; 0 when nothing is owed. */
  #owedAcks = 0;
  /** The pending ack-only flush, or undefined when none is scheduled. */
  #ackTimer: unknown = undefined;
  /** When each of our payload packets not acked yet was sent, oldest first. */
  readonly #unackedSentAt: number[] = [];
  /** Pings waiting for their answer, by the client_time they carry. */
  readonly #pendingPings = new Map<bigint, { sentAt: number; resolve(result: PingResult): void; reject(error: Error): void }>();
  /** The client_time of the last ping: each ping gets a larger one, so that answers match. */
  #lastPingTime = 0n;
  #initTimer: unknown = undefined;
  /** The close this side started for a violation of the server: reported instead of the websocket's. */
  #violationClose: CloseInfo | undefined;
  #handshakeDone!: { resolve(connection: AphelionConnection): void; reject(error: Error): void };
  #resolveClosed!: (info: CloseInfo) => void;

  /** @internal Use {@link AphelionClient.connect}. */
  constructor(settings: ConnectionSettings) {
    this.#settings = settings;
    this.#timers = settings.timers;
    this.protocol = settings.protocol;
    this.version = settings.version;
    this.requestedToken = settings.token?.slice();
    this.#autoAck = settings.autoAck;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#ws = new settings.WebSocket(settings.url) as WebSocketLike;
  }

  /** @internal Starts the handshake; resolves with this connection once the server answered. */
  handshake(): Promise<AphelionConnection> {
    const ws = this.#ws;
    const done = new Promise<AphelionConnection>((resolve, reject) => (this.#handshakeDone = { resolve, reject }));
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      if (this.#state === "handshake") {
        ws.send(encodeInitPacket(this.protocol, this.version, this.requestedToken));
      }
    };
    ws.onmessage = (event) => this.#received(event.data);
    ws.onclose = (event) => this.#finish(event.code, event.reason);
    // Errors are followed by a close event, which says what happened. A listener must stay
    // attached all the same: the `ws` package throws an error event that nobody listens to.
    ws.onerror = () => {};
    this.#initTimer = this.#timers.setTimeout(() => this.#initTimedOut(), this.#settings.initTimeout);
    return done;
  }

  /** The session token the server gave this connection. */
  get token(): Uint8Array {
    if (this.#token === undefined) {
      throw new Error("No token before the handshake completed");
    }
    return this.#token;
  }

  /** Whether the server started a new session: no token was sent, or another one came back. */
  get isNewSession(): boolean {
    return !tokensEqual(this.requestedToken, this.#token);
  }

  /** Whether packets can be sent: the handshake is done and no close has begun. */
  get isOpen(): boolean {
    return this.#state === "open" && this.#ws.readyState === OPEN;
  }

  /** Our payload packets the server has not acked yet. */
  get unacked(): number {
    return this.#unackedSentAt.length;
  }

  /** Payload packets received and not acked yet. */
  get owedAcks(): number {
    return this.#owedAcks;
  }

  /**
   * Whether received packets are acked by the client itself. Off, it behaves like a client that
   * never acks (the original 2015 client, or a stalled tab): every packet goes out with ack 0.
   * Turned on again, what is owed is acked within the ack delay.
   */
  get autoAck(): boolean {
    return this.#autoAck;
  }

  set autoAck(on: boolean) {
    this.#autoAck = on;
    if (on) {
      this.#scheduleAck();
    } else {
      this.#cancelAck();
    }
  }

  /**
   * Sends a payload (a serialized C2S of the connection's protocol) with the owed acks on it, at
   * most 127; the rest follows in ack-only packets within the ack delay.
   *
   * @returns false when the connection is not open (nothing was sent)
   */
  send(payload: Uint8Array): boolean {
    if (!this.isOpen) {
      return false;
    }
    const ack = this.#autoAck ? this.#takeAck() : 0;
    if (payload.length > 0) {
      this.#unackedSentAt.push(this.#timers.now());
    }
    this.#ws.send(encodePacket(ack, payload));
    if (this.#owedAcks === 0) {
      this.#cancelAck();
    }
    return true;
  }

  /** Sends every owed ack now, in ack-only packets of at most 127 (whether or not auto-ack is on). */
  sendAck(): void {
    this.#cancelAck();
    while (this.#owedAcks > 0 && this.isOpen) {
      this.#ws.send(encodePacket(this.#takeAck(), new Uint8Array(0)));
    }
  }

  /**
   * Pings the server (protocol 1 only): sends C2S{client_time} and resolves when the server echoes
   * it, with the round-trip time; rejects if the connection closes first.
   */
  ping(): Promise<PingResult> {
    if (this.protocol !== PROTOCOL_PING) {
      return Promise.reject(new Error(`ping() needs protocol ${PROTOCOL_PING}; this connection speaks ${this.protocol}`));
    }
    if (this.#pendingPings.size >= MAX_PENDING_PINGS) {
      return Promise.reject(new Error(`${MAX_PENDING_PINGS} pings are already waiting for an answer`));
    }
    const sentAt = this.#timers.now();
    const microseconds = BigInt(Math.round(sentAt * 1000));
    const clientTime = microseconds > this.#lastPingTime ? microseconds : this.#lastPingTime + 1n;
    const payload = toBinary(PingC2SSchema, create(PingC2SSchema, { clientTime }));
    return new Promise((resolve, reject) => {
      if (!this.send(payload)) {
        reject(new Error("The connection is not open"));
        return;
      }
      this.#lastPingTime = clientTime;
      this.#pendingPings.set(clientTime, { sentAt, resolve, reject });
    });
  }

  /**
   * Closes the connection (default 1000, normal closure) after the packets already sent.
   *
   * @returns {@link closed}
   */
  close(code: number = CloseCodes.NORMAL, reason = ""): Promise<CloseInfo> {
    if (this.#state === "handshake" || this.#state === "open") {
      this.#state = "closing";
      this.#cancelAck();
      this.#ws.close(code, reason);
    }
    return this.closed;
  }

  #received(data: unknown): void {
    if (this.#state === "closing" || this.#state === "closed") {
      return;
    }
    const bytes = asBytes(data);
    if (bytes === undefined) {
      this.#violation(CloseCodes.UNSUPPORTED_DATA, "Text frames are not supported");
      return;
    }
    if (this.#state === "handshake") {
      this.#initReply(bytes);
      return;
    }
    if (bytes.length === 0) {
      this.#violation(CloseCodes.PROTOCOL_ERROR, "Empty packet: a packet has at least its ack byte");
      return;
    }
    const ack = bytes[0]!;
    if (ack > this.#unackedSentAt.length) {
      this.#violation(CloseCodes.PROTOCOL_ERROR, `Ack ${ack} exceeds the ${this.#unackedSentAt.length} unacked packets`);
      return;
    }
    if (ack > 0) {
      this.#acked(ack);
    }
    if (bytes.length === 1) {
      return;
    }
    const payload = bytes.subarray(1);
    this.#owedAcks++;
    this.#scheduleAck();
    if (this.protocol === PROTOCOL_PING) {
      this.#maybePingAnswer(payload);
    }
    const onMessage = this.#settings.listener.onMessage;
    if (onMessage) {
      callSafely(() => onMessage(payload, this));
    }
  }

  #initReply(bytes: Uint8Array): void {
    let token: Uint8Array;
    try {
      token = decodeInitReply(bytes);
    } catch (error) {
      this.#refuse(CloseCodes.MALFORMED_INIT, (error as Error).message);
      return;
    }
    this.#timers.clearTimeout(this.#initTimer);
    this.#token = token;
    this.#state = "open";
    this.#handshakeDone.resolve(this);
  }

  #initTimedOut(): void {
    if (this.#state === "handshake") {
      this.#refuse(CloseCodes.INIT_TIMEOUT, `No init reply within ${this.#settings.initTimeout} ms`);
    }
  }

  /** Ends a handshake that failed on our side: the caller gets the code, the server a close with it. */
  #refuse(code: number, reason: string): void {
    this.#timers.clearTimeout(this.#initTimer);
    this.#handshakeDone.reject(new AphelionHandshakeError(code, reason));
    this.#state = "closing";
    closeQuietly(this.#ws, code, reason);
  }

  /**
   * The server broke the protocol: close with the code that names it, and report that code
   * whatever the websocket says (a browser may only send 1000 and 3000-4999 itself).
   */
  #violation(code: number, reason: string): void {
    if (this.#state === "handshake") {
      this.#refuse(code, reason);
    } else if (this.#state === "open") {
      this.#violationClose = { code, reason };
      this.#state = "closing";
      this.#cancelAck();
      closeQuietly(this.#ws, code, reason);
    }
  }

  #acked(ack: number): void {
    const now = this.#timers.now();
    const sentAt = this.#unackedSentAt.splice(0, ack);
    const onAck = this.#settings.listener.onAck;
    for (const time of sentAt) {
      const rtt = now - time;
      this.ackRtt.update(rtt);
      if (onAck) {
        callSafely(() => onAck(rtt, this));
      }
    }
  }

  #maybePingAnswer(payload: Uint8Array): void {
    let answer;
    try {
      answer = fromBinary(PingS2CSchema, payload);
    } catch {
      return; // not a ping answer; the application's onMessage sees it anyway
    }
    const pending = answer.clientTime === undefined ? undefined : this.#pendingPings.get(answer.clientTime);
    if (pending === undefined || answer.clientTime === undefined) {
      return;
    }
    this.#pendingPings.delete(answer.clientTime);
    const rtt = this.#timers.now() - pending.sentAt;
    this.pingRtt.update(rtt);
    pending.resolve({ rtt, serverTime: answer.serverTime ?? 0n, players: answer.players ?? 0, playing: answer.playing ?? 0 });
  }

  #takeAck(): number {
    const ack = Math.min(this.#owedAcks, MAX_ACK);
    this.#owedAcks -= ack;
    return ack;
  }

  #scheduleAck(): void {
    if (this.#autoAck && this.#owedAcks > 0 && this.#ackTimer === undefined && this.isOpen) {
      this.#ackTimer = this.#timers.setTimeout(() => {
        this.#ackTimer = undefined;
        if (this.#autoAck) {
          this.sendAck();
        }
      }, this.#settings.ackDelay);
    }
  }

  #cancelAck(): void {
    if (this.#ackTimer !== undefined) {
      this.#timers.clearTimeout(this.#ackTimer);
      this.#ackTimer = undefined;
    }
  }

  #finish(wireCode: number, wireReason: string): void {
    if (this.#state === "closed") {
      return;
    }
    const { code, reason } = this.#violationClose ?? { code: wireCode, reason: wireReason };
    const wasOpen = this.#state !== "handshake" && this.#token !== undefined;
    this.#state = "closed";
    this.#timers.clearTimeout(this.#initTimer);
    this.#cancelAck();
    for (const pending of this.#pendingPings.values()) {
      pending.reject(new Error(`The connection closed (${code}) before the ping was answered`));
    }
    this.#pendingPings.clear();
    this.#resolveClosed({ code, reason });
    if (!wasOpen) {
      // No-op when the handshake already failed on our side.
      this.#handshakeDone.reject(new AphelionHandshakeError(code, reason));
      return;
    }
    const onClose = this.#settings.listener.onClose;
    if (onClose) {
      callSafely(() => onClose(code, reason, this));
    }
  }
}

/** The bytes of a binary message (binaryType "arraybuffer"), or undefined for a text message. */
function asBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer || Object.prototype.toString.call(data) === "[object ArrayBuffer]") {
    return new Uint8Array(data as ArrayBuffer);
  }
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  return undefined;
}

/**
 * Closes with a code of the protocol, or without a code where the WebSocket refuses that one
 * (browsers let a page send only 1000 and 3000-4999: 1002 and 1003 throw there).
 */
function closeQuietly(ws: WebSocketLike, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    ws.close();
  }
}
