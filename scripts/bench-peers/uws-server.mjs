// The uWebSockets.js peer of scripts/bench.sh: the Netty baseline's protocol behaviour
// (src/test/java/io/aphelion/loadtest/baseline/NettyBaselineServer.java) on uWebSockets.js, so the
// same load client measures both. Per websocket on /aphelion:
//   - a text frame, at any time: close 1003;
//   - before the init exchange: a binary frame of exactly 39 bytes (C2SInitPacket) gets 32 random
//     bytes back (S2CInitPacket, a new session's token); any other length: close 4003;
//   - then: an empty frame closes with 1002; an ack-only packet (1 byte) gets nothing; a packet
//     with a payload is echoed at once: its payload behind one byte carrying the acks owed
//     (ping C2S and S2C share field 1, client_time, so the echo is a valid ping answer).
// No sessions, no protobuf, no pings of its own, no idle timeout (idle sessions stay open).
// Answers written while uWS handles one read are sent together (uWS corks them).
// HTTP: GET /health answers "ok"; GET /gc runs V8's garbage collection (node --expose-gc) and
// answers process.memoryUsage() as JSON, for the resident memory per session read from /proc.
//
//   node --expose-gc uws-server.mjs PORT [HOST]        (default 8092 on 127.0.0.1)
//
// The native addon is loaded by its file name: the package's own entry point falls back silently
// to a pure-JS implementation when the addon does not load, which would measure something else.
import { randomFillSync } from "node:crypto";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const addon = `@trufflesuite/uws-js-unofficial/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
const uWS = require(addon);

/** The transport's sizes (src/main/java/io/aphelion/wire/WireFormat.java). */
const C2S_INIT_LENGTH = 2 + 4 + 1 + 32;
const S2C_INIT_LENGTH = 32;
const ACK_LENGTH = 1;
/** The largest ack one packet carries: the original client reads the byte as signed. */
const MAX_ACK = 127;
/** Same frame limit as the baseline (and the server's default max-message-size). */
const MAX_FRAME = 64 * 1024;

/** Close codes, as the baseline sends them. */
const CLOSE_PROTOCOL_ERROR = 1002;
const CLOSE_UNSUPPORTED_DATA = 1003;
const CLOSE_MALFORMED_INIT = 4003;

const port = Number(process.argv[2] ?? 8092);
const host = process.argv[3] ?? "127.0.0.1";

uWS.App()
  .ws("/aphelion", {
    compression: uWS.DISABLED,
    maxPayloadLength: MAX_FRAME,
    idleTimeout: 0,
    sendPingsAutomatically: false,
    maxBackpressure: 1024 * 1024,
    open(ws) {
      const state = ws.getUserData();
      state.open = false;
      /** Payload packets received and not yet acked. */
      state.owed = 0;
    },
    message(ws, message, isBinary) {
      if (!isBinary) {
        ws.end(CLOSE_UNSUPPORTED_DATA, "binary only");
        return;
      }
      const state = ws.getUserData();
      if (!state.open) {
        if (message.byteLength !== C2S_INIT_LENGTH) {
          ws.end(CLOSE_MALFORMED_INIT, "malformed init");
          return;
        }
        state.open = true;
        ws.send(randomFillSync(new Uint8Array(S2C_INIT_LENGTH)), true);
        return;
      }
      if (message.byteLength === 0) {
        ws.end(CLOSE_PROTOCOL_ERROR, "empty frame");
        return;
      }
      if (message.byteLength === ACK_LENGTH) {
        return;
      }
      state.owed++;
      const ack = Math.min(state.owed, MAX_ACK);
      state.owed -= ack;
      // The message's memory is uWS's own and valid only during this call: the answer is a copy.
      const out = new Uint8Array(message.byteLength);
      out.set(new Uint8Array(message, ACK_LENGTH), ACK_LENGTH);
      out[0] = ack;
      ws.send(out, true);
    },
  })
  .get("/health", (res) => {
    res.end("ok");
  })
  .get("/gc", (res) => {
    if (typeof globalThis.gc !== "function") {
      res.writeStatus("501 Not Implemented").end("start node with --expose-gc");
      return;
    }
    globalThis.gc();
    res.writeHeader("Content-Type", "application/json").end(JSON.stringify(process.memoryUsage()));
  })
  .listen(host, port, (listenSocket) => {
    if (!listenSocket) {
      console.error(`uWebSockets.js peer cannot listen on ${host}:${port}`);
      process.exit(1);
    }
    console.log(`uWebSockets.js peer listening on ws://${host}:${port}/aphelion`);
  });
