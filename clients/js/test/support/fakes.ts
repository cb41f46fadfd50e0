import type { Timers, WebSocketLike } from "../../src/index.js";

/** A clock and timers that move only when the test says so. */
export class ManualTimers implements Timers {
  #now = 0;
  #nextId = 1;
  readonly #pending = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    const id = this.#nextId++;
    this.#pending.set(id, { at: this.#now + Math.max(0, delayMs), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number);
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Moves the clock forward, firing every timer that falls due, in order of their time. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      let next: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.#pending) {
        if (entry[1].at <= until && (next === undefined || entry[1].at < next[1].at)) {
          next = entry;
        }
      }
      if (next === undefined) {
        break;
      }
      this.#pending.delete(next[0]);
      this.#now = next[1].at;
      next[1].callback();
    }
    this.#now = until;
  }
}

/** A websocket whose far end is the test: it opens, answers and closes when told to. */
export class FakeWebSocket implements WebSocketLike {
  binaryType = "blob";
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  /** Every frame the client sent, copied. */
  readonly sent: Uint8Array[] = [];
  /** The client's close call, if any. */
  closedWith: { code: number | undefined; reason: string | undefined } | undefined;

  /** Whether close() refuses codes as a browser does (only 1000 and 3000-4999). */
  browser = false;

  constructor(readonly url: string) {}

  send(data: Uint8Array): void {
    if (this.readyState !== 1) {
      throw new Error(`send in readyState ${this.readyState}`);
    }
    this.sent.push(Uint8Array.from(data));
  }

  close(code?: number, reason?: string): void {
    if (this.browser && code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) {
      throw new Error(`InvalidAccessError: close code ${code} is neither 1000 nor in 3000-4999`);
    }
    if (this.closedWith === undefined) {
      this.closedWith = { code, reason };
    }
    this.readyState = 2;
  }

  // --- the far end -------------------------------------------------------------------------

  /** The websocket opens (the client then sends its init packet). */
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  /** A binary frame from the server. */
  receive(bytes: Uint8Array | number[]): void {
    const copy = Uint8Array.from(bytes);
    this.onmessage?.({ data: copy.buffer });
  }

  /** A text frame from the server. */
  receiveText(text: string): void {
    this.onmessage?.({ data: text });
  }

  /** The connection ends with this code (1006: it dropped). */
  closeFromServer(code: number, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  /** Completes a close the client started, as the server's echo would. */
  completeClose(): void {
    this.closeFromServer(this.closedWith?.code ?? 1005, this.closedWith?.reason ?? "");
  }

  /** Frames sent after the init packet. */
  get packets(): Uint8Array[] {
    return this.sent.slice(1);
  }
}

/** Hands out fake websockets and remembers them, newest last. */
export class FakeNetwork {
  readonly sockets: FakeWebSocket[] = [];
  readonly WebSocket: new (url: string) => FakeWebSocket;

  constructor() {
    const sockets = this.sockets;
    this.WebSocket = class extends FakeWebSocket {
      constructor(url: string) {
        super(url);
        sockets.push(this);
      }
    };
  }

  get last(): FakeWebSocket {
    const socket = this.sockets[this.sockets.length - 1];
    if (socket === undefined) {
      throw new Error("No websocket was opened");
    }
    return socket;
  }
}

/** A token of 32 bytes, all `fill`. */
export function token(fill: number): Uint8Array {
  return new Uint8Array(32).fill(fill);
}

/** Lets every pending promise callback run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Hex of some bytes, for readable assertions. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
