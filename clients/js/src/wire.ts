/**
 * The bytes of the Aphelion websocket transport (websocket-transport.txt): the init packet, its
 * reply, and the packets after the handshake (one ack byte, then a protobuf message or nothing).
 * Pure functions, no state.
 *
 * ```
 * C2SInitPacket, 39 bytes, big endian      S2CInitPacket, 32 bytes      ProtobufPacket, >= 1 byte
 * +-----+-------+-----+-----------+        +------------------+        +-----+---------------+
 * | i16 |  i32  | i8  |  u8[32]   |        |     u8[32]       |        | u8  |   u8[...]     |
 * |prot.|version|has  |  token    |        | your session     |        | ack | protobuf      |
 * |     |       |token|           |        | token            |        |     | (may be empty)|
 * +-----+-------+-----+-----------+        +------------------+        +-----+---------------+
 * ```
 */

/** Protocol 1: ping (round-trip time, player counts), served by the server itself. */
export const PROTOCOL_PING = 1;

/** Protocol 2: game, handed to the server's GameMessageService (the default one is a lobby). */
export const PROTOCOL_GAME = 2;

/** Version 0 asks the server to bypass its version check. */
export const VERSION_ANY = 0;

/** Length of C2SInitPacket: i16 protocol + i32 version + i8 has_token + u8[32] token. */
export const INIT_PACKET_LENGTH = 39;

/** Length of a session token, and so of S2CInitPacket. */
export const TOKEN_LENGTH = 32;

/**
 * The largest count one ack byte carries. The byte is unsigned in the protocol text, but the
 * original client reads it as a signed Java byte (PRODUCT.md), so neither side puts more than
 * 127 on one packet; larger counts are spread over several packets.
 */
export const MAX_ACK = 127;

/**
 * Encodes C2SInitPacket.
 *
 * @param token the token of the session to join or resume; none asks for a new session
 */
export function encodeInitPacket(protocol: number, version: number, token?: Uint8Array): Uint8Array {
  checkInteger("protocol", protocol, -0x8000, 0x7fff);
  checkInteger("version", version, -0x80000000, 0x7fffffff);
  if (token !== undefined) {
    checkToken(token);
  }
  const packet = new Uint8Array(INIT_PACKET_LENGTH);
  const view = new DataView(packet.buffer);
  view.setInt16(0, protocol); // DataView is big endian unless asked otherwise
  view.setInt32(2, version);
  if (token !== undefined) {
    view.setInt8(6, 1);
    packet.set(token, 7);
  }
  return packet;
}

/**
 * Decodes S2CInitPacket: the session token.
 *
 * @throws RangeError when the reply is not exactly 32 bytes
 */
export function decodeInitReply(reply: Uint8Array): Uint8Array {
  if (reply.length !== TOKEN_LENGTH) {
    throw new RangeError(`Init reply of ${reply.length} bytes, expected ${TOKEN_LENGTH}`);
  }
  return reply.slice();
}

/** Encodes a ProtobufPacket: the ack byte (0..127), then the payload (possibly empty). */
export function encodePacket(ack: number, payload: Uint8Array): Uint8Array {
  checkInteger("ack", ack, 0, MAX_ACK);
  const packet = new Uint8Array(1 + payload.length);
  packet[0] = ack;
  packet.set(payload, 1);
  return packet;
}

/** Whether two tokens hold the same bytes (false when either is missing). */
export function tokensEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) {
    return false;
  }
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      return false;
    }
  }
  return true;
}

/** A token as 64 lowercase hex digits (to keep it in sessionStorage, for instance). */
export function tokenToHex(token: Uint8Array): string {
  checkToken(token);
  return Array.from(token, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The token written by {@link tokenToHex}. */
export function tokenFromHex(hex: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new RangeError("A token is 64 hex digits");
  }
  const token = new Uint8Array(TOKEN_LENGTH);
  for (let i = 0; i < TOKEN_LENGTH; i++) {
    token[i] = parseInt(hex.substring(2 * i, 2 * i + 2), 16);
  }
  return token;
}

/** @throws RangeError unless the token is a Uint8Array of 32 bytes */
export function checkToken(token: Uint8Array): void {
  if (!(token instanceof Uint8Array) || token.length !== TOKEN_LENGTH) {
    throw new RangeError(`A session token is a Uint8Array of ${TOKEN_LENGTH} bytes`);
  }
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in ${min}..${max}, not ${value}`);
  }
}
