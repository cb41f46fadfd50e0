import { describe, expect, it } from "vitest";

import {
  MAX_ACK,
  decodeInitReply,
  encodeInitPacket,
  encodePacket,
  tokenFromHex,
  tokenToHex,
  tokensEqual,
} from "../../src/index.js";
import { hex, token } from "../support/fakes.js";

const ZEROS = "00".repeat(32);

describe("init packet", () => {
  it("is 39 big-endian bytes: i16 protocol, i32 version, i8 has_token, u8[32] token", () => {
    expect(hex(encodeInitPacket(1, 1))).toBe("0001" + "00000001" + "00" + ZEROS);
    expect(hex(encodeInitPacket(0x0102, 0x01020304))).toBe("0102" + "01020304" + "00" + ZEROS);
  });

  it("carries a token with has_token 1", () => {
    const t = Uint8Array.from({ length: 32 }, (_, i) => i);
    const packet = encodeInitPacket(2, 0, t);
    expect(packet.length).toBe(39);
    expect(hex(packet.subarray(0, 7))).toBe("0002" + "00000000" + "01");
    expect(hex(packet.subarray(7))).toBe(hex(t));
  });

  it("writes negative numbers in two's complement", () => {
    expect(hex(encodeInitPacket(-1, -2).subarray(0, 6))).toBe("ffff" + "fffffffe");
  });

  it("refuses tokens that are not 32 bytes, and numbers out of range", () => {
    expect(() => encodeInitPacket(1, 1, new Uint8Array(31))).toThrow(RangeError);
    expect(() => encodeInitPacket(0x8000, 1)).toThrow(RangeError);
    expect(() => encodeInitPacket(1, 1.5)).toThrow(RangeError);
  });
});

describe("init reply", () => {
  it("is the 32-byte token", () => {
    expect(tokensEqual(decodeInitReply(token(7)), token(7))).toBe(true);
  });

  it("of another length is refused", () => {
    expect(() => decodeInitReply(new Uint8Array(31))).toThrow(/31 bytes, expected 32/);
    expect(() => decodeInitReply(new Uint8Array(33))).toThrow(RangeError);
  });
});

describe("packets", () => {
  it("are the ack byte, then the payload", () => {
    expect(hex(encodePacket(3, Uint8Array.of(0x12, 0x34)))).toBe("031234");
    expect(hex(encodePacket(0, new Uint8Array(0)))).toBe("00");
  });

  it("never carry an ack above 127", () => {
    expect(MAX_ACK).toBe(127);
    expect(hex(encodePacket(127, new Uint8Array(0)))).toBe("7f");
    expect(() => encodePacket(128, new Uint8Array(0))).toThrow(RangeError);
  });
});

describe("tokens", () => {
  it("round-trip through hex", () => {
    const t = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
    expect(tokenToHex(t)).toBe(hex(t));
    expect(tokensEqual(tokenFromHex(tokenToHex(t)), t)).toBe(true);
    expect(() => tokenFromHex("abc")).toThrow(RangeError);
  });

  it("compare by content", () => {
    expect(tokensEqual(token(1), token(1))).toBe(true);
    expect(tokensEqual(token(1), token(2))).toBe(false);
    expect(tokensEqual(undefined, token(1))).toBe(false);
  });
});
