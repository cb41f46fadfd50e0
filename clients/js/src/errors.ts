/**
 * The server refused or did not finish the handshake: `code` is the close code (4000-4004 from
 * the server; 4003 when the reply was malformed, 4004 when it did not come within the client's
 * init timeout; 1006 when the websocket could not be opened at all).
 */
export class AphelionHandshakeError extends Error {
  override readonly name = "AphelionHandshakeError";

  constructor(
    /** The websocket close code. */
    readonly code: number,
    /** The close reason the server gave, or the client's own description. */
    readonly reason: string,
  ) {
    super(`Aphelion handshake failed with close code ${code}${reason ? `: ${reason}` : ""}`);
  }
}
