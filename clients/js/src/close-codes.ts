/**
 * Every websocket close code the client knows, in one place, and whether a session should
 * reconnect after it.
 *
 * 4000-4005 are defined by websocket-transport.txt; 4100 and up are the server's own
 * (PRODUCT.md: the server never sends 4006-4099); the 1xxx codes are RFC 6455's.
 */
export const CloseCodes = {
  /** 1000: normal closure. From the server: the application closed the session. */
  NORMAL: 1000,
  /** 1001: going away: the server is shutting down or restarting. */
  GOING_AWAY: 1001,
  /** 1002: a protocol violation (an empty frame, an ack larger than outstanding, bad framing). */
  PROTOCOL_ERROR: 1002,
  /** 1003: a text frame; the transport uses binary frames only. */
  UNSUPPORTED_DATA: 1003,
  /** 1005: the close frame had no code (reported locally, never sent). */
  NO_STATUS: 1005,
  /** 1006: the connection dropped without a close frame, or never opened (reported locally, never sent). */
  ABNORMAL: 1006,
  /** 1007: a payload that is not a valid message of the protocol. */
  INVALID_PAYLOAD: 1007,
  /** 1009: a frame larger than the server's max-message-size. */
  MESSAGE_TOO_BIG: 1009,
  /** 1011: the server met an unexpected condition. */
  INTERNAL_ERROR: 1011,
  /** 4000: the init packet names a protocol that is unknown or not served. */
  INVALID_PROTOCOL: 4000,
  /** 4001: the requested protocol version is too old. */
  VERSION_TOO_OLD: 4001,
  /** 4002: the requested protocol version is too new. */
  VERSION_TOO_NEW: 4002,
  /** 4003: the init packet was malformed (not 39 bytes), or the server's init reply was (not 32 bytes). */
  MALFORMED_INIT: 4003,
  /** 4004: the init packet came too late, or the init reply did (the client's init timeout). */
  INIT_TIMEOUT: 4004,
  /** 4005: sent by a client that was given a new session and closes its connections of the old one. */
  NEW_SESSION_CLOSING_OLD: 4005,
  /** 4100: the session already holds the server's max-connections; this connection is refused. */
  SESSION_FULL: 4100,
  /** 4101: the session's send buffer overflowed (the client could not keep up); the session ended. */
  SEND_BUFFER_OVERFLOW: 4101,
  /** 4102: packets stayed unacked longer than the server's ack timeout. */
  ACK_TIMEOUT: 4102,
  /** 4103: no pong in time for a websocket ping of the server. */
  PONG_TIMEOUT: 4103,
  /** 4104: the connection sent faster than the server's inbound rate limit allows; the session lives on (retried). */
  RATE_LIMITED: 4104,
  /** 4105: cluster mode: the cluster's directory or the session's node could not be reached; nothing changed (retried). */
  CLUSTER_UNAVAILABLE: 4105,
} as const;

/**
 * Closes after which another attempt cannot go better: a refused handshake that would be refused
 * again, the session ended or full, a protocol error of this client, or a normal closure.
 */
const FINAL: ReadonlySet<number> = new Set<number>([
  CloseCodes.NORMAL,
  CloseCodes.PROTOCOL_ERROR,
  CloseCodes.UNSUPPORTED_DATA,
  CloseCodes.INVALID_PAYLOAD,
  CloseCodes.MESSAGE_TOO_BIG,
  CloseCodes.INVALID_PROTOCOL,
  CloseCodes.VERSION_TOO_OLD,
  CloseCodes.VERSION_TOO_NEW,
  CloseCodes.MALFORMED_INIT,
  CloseCodes.SESSION_FULL,
  CloseCodes.SEND_BUFFER_OVERFLOW,
]);

/**
 * Whether a session reconnects after a close with this code. Drops (1006), a server going away
 * (1001), 1011, ack and pong timeouts (4102, 4103), the rate limit (4104: the server keeps the
 * session, so the connection comes back after a backoff), a cluster that could not answer (4105),
 * an init timeout (4004) and any code not listed
 * in {@link CloseCodes} are retried with backoff; the final ones never are.
 */
export function isRetryable(code: number): boolean {
  return !FINAL.has(code);
}
