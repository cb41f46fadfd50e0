import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";

import { defineCodec, game, gameCodec, ping, pingCodec, type AphelionConnection } from "../../src/index.js";
import { hex } from "../support/fakes.js";

describe("game messages (protocol 2)", () => {
  it("encode as game.proto says: authenticate = 100, nickname = 1", () => {
    // field 100, length-delimited: tag (100 << 3 | 2) = 802 = varint a2 06; then 4 bytes: field 1 "Al"
    expect(hex(gameCodec.encode({ authenticate: [{ nickname: "Al" }] }))).toBe("a20604" + "0a02416c");
  });

  it("encode send_local_chat = 200 with its message = 1", () => {
    expect(hex(gameCodec.encode({ sendLocalChat: [{ message: "hi" }] }))).toBe("c20c04" + "0a026869");
  });

  it("decode the server's S2C", () => {
    const bytes = toBinary(game.S2CSchema, create(game.S2CSchema, {
      authenticateResponse: [{ error: game.AuthenticateResponse_Error.NICKNAME_IN_USE, errorDescription: "taken" }],
      localChatMessage: [{ sender: "Bob", message: "hello" }],
    }));
    const s2c = gameCodec.decode(bytes);
    expect(s2c.authenticateResponse[0]?.error).toBe(4);
    expect(s2c.localChatMessage[0]).toMatchObject({ sender: "Bob", message: "hello" });
  });

  it("send through anything with send(payload), and decode in onMessage", () => {
    const sent: string[] = [];
    expect(gameCodec.send({ send: (payload) => (sent.push(hex(payload)), true) }, { connectionReady: [{}] })).toBe(true);
    expect(sent).toEqual(["b20600"]); // field 102, empty message
    const seen: string[] = [];
    const onMessage = gameCodec.handler((s2c) => seen.push(s2c.localChatMessage[0]!.message ?? ""));
    onMessage(toBinary(game.S2CSchema, create(game.S2CSchema, { localChatMessage: [{ sender: "a", message: "m" }] })), {} as AphelionConnection);
    expect(seen).toEqual(["m"]);
  });
});

describe("ping messages (protocol 1)", () => {
  it("encode client_time as sfixed64 field 1", () => {
    expect(hex(pingCodec.encode({ clientTime: 1000n }))).toBe("09" + "e803000000000000");
  });

  it("decode players and playing, 0 included", () => {
    const bytes = toBinary(ping.S2CSchema, create(ping.S2CSchema, { clientTime: 1n, serverTime: 2n, players: 0, playing: 0 }));
    expect(pingCodec.decode(bytes)).toMatchObject({ clientTime: 1n, serverTime: 2n, players: 0, playing: 0 });
  });
});

describe("a game's own message types", () => {
  it("work through encode and decode functions", () => {
    const json = defineCodec<{ move: string }, { ok: boolean }>({
      encode: (message) => new TextEncoder().encode(JSON.stringify(message)),
      decode: (payload) => JSON.parse(new TextDecoder().decode(payload)) as { ok: boolean },
    });
    expect(new TextDecoder().decode(json.encode({ move: "e4" }))).toBe('{"move":"e4"}');
    expect(json.decode(new TextEncoder().encode('{"ok":true}'))).toEqual({ ok: true });
  });
});
