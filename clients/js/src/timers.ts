/**
 * Where the client takes time from. The default is the host's monotonic clock and timers; tests
 * pass their own to run timeouts, ack delays and backoff without waiting.
 */
export interface Timers {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The globals the client uses, typed here so that it needs neither the DOM's nor Node's typings. */
export const host = globalThis as unknown as {
  performance?: { now(): number };
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
  queueMicrotask(callback: () => void): void;
  WebSocket?: unknown;
};

/** The host's clock (performance.now) and timers. */
export const realTimers: Timers = {
  now: () => (host.performance ? host.performance.now() : Date.now()),
  setTimeout: (callback, delayMs) => host.setTimeout(callback, delayMs),
  clearTimeout: (handle) => host.clearTimeout(handle),
};

/**
 * Calls an application callback; if it throws, the error is rethrown on its own (as an uncaught
 * error of the page or process) so that it neither breaks the client's bookkeeping nor goes unseen.
 */
export function callSafely(callback: () => void): void {
  try {
    callback();
  } catch (error) {
    host.queueMicrotask(() => {
      throw error;
    });
  }
}
