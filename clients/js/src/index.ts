/**
 * aphelion-client: the Aphelion websocket transport for browsers and Node.js.
 *
 * ```ts
 * import { AphelionClient, AphelionSession } from "aphelion-client";
 * const client = new AphelionClient("ws://127.0.0.1:8080/aphelion", { protocol: 2, version: 1 });
 * const session = await AphelionSession.open(client, { connections: 2, onMessage, onNewSession });
 * ```
 */
export { AphelionClient, DEFAULT_ACK_DELAY_MS, DEFAULT_INIT_TIMEOUT_MS } from "./client.js";
export type { AphelionClientOptions, ConnectOptions } from "./client.js";
export { AphelionConnection, MAX_PENDING_PINGS } from "./connection.js";
export type { CloseInfo, ConnectionListener, PingResult, WebSocketConstructor, WebSocketLike } from "./connection.js";
export { AphelionSession } from "./session.js";
export type { SessionOptions } from "./session.js";
export { AphelionHandshakeError } from "./errors.js";
export { CloseCodes, isRetryable } from "./close-codes.js";
export { DEFAULT_BACKOFF, backoffDelay } from "./backoff.js";
export type { BackoffOptions } from "./backoff.js";
export { RoundTripTime } from "./rtt.js";
export type { Timers } from "./timers.js";
export { defineCodec, gameCodec, pingCodec, schemaCodec } from "./messages.js";
export type { MessageCodec, PayloadSender } from "./messages.js";
export {
  INIT_PACKET_LENGTH,
  MAX_ACK,
  PROTOCOL_GAME,
  PROTOCOL_PING,
  TOKEN_LENGTH,
  VERSION_ANY,
  decodeInitReply,
  encodeInitPacket,
  encodePacket,
  tokenFromHex,
  tokenToHex,
  tokensEqual,
} from "./wire.js";
/** Generated from proto/ping.proto (protocol 1): `ping.C2SSchema`, `ping.S2CSchema`, and their types. */
export * as ping from "./gen/ping_pb.js";
/** Generated from proto/game.proto (protocol 2): `game.C2SSchema`, `game.S2CSchema`, and the messages in them. */
export * as game from "./gen/game_pb.js";
