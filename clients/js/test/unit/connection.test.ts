import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it, vi } from "vitest";

import {
  AphelionClient,
  AphelionHandshakeError,
  ping,
  type AphelionClientOptions,
  type AphelionConnection,
  type ConnectOptions,
} from "../../src/index.js";
import { FakeNetwork, ManualTimers, hex, settle, token, type FakeWebSocket } from "../support/fakes.js";

const URL = "ws://127.0.0.1:1/aphelion";

function setup(options: AphelionClientOptions = {}) {
  const net = new FakeNetwork();
  const timers = new ManualTimers();
  const client = new AphelionClient(URL, { protocol: 2, version: 1, WebSocket: net.WebSocket, timers, ...options });
  return { net, timers, client };
}

/** Connects and lets the fake server answer with `reply`. */
async function connected(
  options: AphelionClientOptions = {},
  connect: ConnectOptions = {},
  reply = token(9),
): Promise<{ net: FakeNetwork; timers: ManualTimers; connection: AphelionConnection; socket: FakeWebSocket; received: Uint8Array[] }> {
  const { net, timers, client } = setup(options);
  const received: Uint8Array[] = [];
  const pending = client.connect({ onMessage: (payload) => received.push(payload.slice()), ...connect });
  const socket = net.last;
  socket.open();
  socket.receive(reply);
  const connection = await pending;
  return { net, timers, connection, socket, received };
}

/** Catches a rejection as a value, to look at it. */
async function failure(promise: Promise<unknown>): Promise<AphelionHandshakeError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AphelionHandshakeError);
    return error as AphelionHandshakeError;
  }
  throw new Error("expected a rejection");
}

describe("handshake", () => {
  it("sends the 39-byte init packet on open, with binaryType arraybuffer", async () => {
    const { net, client } = setup({ protocol: 1, version: 1 });
    void client.connect();
    const socket = net.last;
    expect(socket.url).toBe(URL);
    expect(socket.binaryType).toBe("arraybuffer");
    expect(socket.sent).toEqual([]);
    socket.open();
    expect(socket.sent.map(hex)).toEqual(["0001" + "00000001" + "00" + "00".repeat(32)]);
  });

  it("takes the 32-byte reply as the token of a new session", async () => {
    const { connection } = await connected({}, {}, token(5));
    expect(hex(connection.token)).toBe(hex(token(5)));
    expect(connection.isNewSession).toBe(true);
    expect(connection.isOpen).toBe(true);
  });

  it("sends a given token and sees the same one come back as the same session", async () => {
    const { connection, socket } = await connected({}, { token: token(5) }, token(5));
    expect(hex(socket.sent[0]!.subarray(6))).toBe("01" + hex(token(5)));
    expect(connection.isNewSession).toBe(false);
  });

  it("sees another token come back as a new session", async () => {
    const { connection } = await connected({}, { token: token(5) }, token(6));
    expect(connection.isNewSession).toBe(true);
    expect(hex(connection.token)).toBe(hex(token(6)));
  });

  it("refuses a token that is not 32 bytes", async () => {
    const { client } = setup();
    await expect(client.connect({ token: new Uint8Array(16) })).rejects.toThrow(RangeError);
  });

  it.each([4000, 4001, 4002, 4003, 4004])("rejects a refusal with close code %i as a typed error", async (code) => {
    const { net, client } = setup();
    const pending = client.connect();
    net.last.open();
    net.last.closeFromServer(code, "refused");
    const error = await failure(pending);
    expect(error.code).toBe(code);
    expect(error.reason).toBe("refused");
  });

  it("rejects with 1006 when the websocket cannot open", async () => {
    const { net, client } = setup();
    const pending = client.connect();
    net.last.closeFromServer(1006);
    expect((await failure(pending)).code).toBe(1006);
  });

  it("refuses a reply that is not 32 bytes with 4003", async () => {
    const { net, client } = setup();
    const pending = client.connect();
    net.last.open();
    net.last.receive(new Uint8Array(31));
    const error = await failure(pending);
    expect(error.code).toBe(4003);
    expect(net.last.closedWith?.code).toBe(4003);
  });

  it("gives up after the init timeout with 4004", async () => {
    const { net, timers, client } = setup({ initTimeout: 3000 });
    let outcome: unknown;
    client.connect().then((value) => (outcome = value), (error) => (outcome = error));
    net.last.open();
    timers.advance(2999);
    await settle();
    expect(outcome).toBeUndefined();
    timers.advance(1);
    await settle();
    expect(outcome).toBeInstanceOf(AphelionHandshakeError);
    expect((outcome as AphelionHandshakeError).code).toBe(4004);
    expect(net.last.closedWith?.code).toBe(4004);
  });

  it("waits 10 s for the init reply by default", async () => {
    const { net, timers, client } = setup();
    let outcome: unknown;
    client.connect().catch((error) => (outcome = error));
    timers.advance(9999);
    await settle();
    expect(outcome).toBeUndefined();
    timers.advance(1);
    await settle();
    expect((outcome as AphelionHandshakeError).code).toBe(4004);
    expect(net.last.closedWith?.code).toBe(4004);
  });

  it("needs a WebSocket constructor where there is no global one (Node.js 20)", async () => {
    vi.stubGlobal("WebSocket", undefined);
    try {
      const client = new AphelionClient(URL);
      await expect(client.connect()).rejects.toThrow(/pass one as the WebSocket option/);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe("acks", () => {
  it("counts received packets with a payload and puts the count on the next packet", async () => {
    const { socket, connection, received } = await connected();
    socket.receive([0, 0xaa]);
    socket.receive([0]); // ack-only: not counted
    socket.receive([0, 0xbb, 0xcc]);
    expect(received.map(hex)).toEqual(["aa", "bbcc"]);
    expect(connection.owedAcks).toBe(2);
    connection.send(Uint8Array.of(0x01));
    connection.send(Uint8Array.of(0x02));
    expect(socket.packets.map(hex)).toEqual(["0201", "0002"]);
    expect(connection.owedAcks).toBe(0);
  });

  it("sends an ack-only packet after the ack delay when nothing else goes out", async () => {
    const { socket, timers } = await connected({ ackDelay: 5 });
    socket.receive([0, 0xaa]);
    socket.receive([0, 0xbb]);
    timers.advance(4);
    expect(socket.packets).toEqual([]);
    timers.advance(1);
    expect(socket.packets.map(hex)).toEqual(["02"]);
    timers.advance(100);
    expect(socket.packets.map(hex)).toEqual(["02"]);
  });

  it("sends no ack-only packet when a payload carried the ack first", async () => {
    const { socket, timers, connection } = await connected();
    socket.receive([0, 0xaa]);
    timers.advance(1);
    connection.send(Uint8Array.of(0x01));
    timers.advance(100);
    expect(socket.packets.map(hex)).toEqual(["0101"]);
    expect(timers.pending).toBe(0);
  });

  it("puts at most 127 on one packet and spreads the rest over ack-only packets", async () => {
    const { socket, timers, connection } = await connected();
    for (let i = 0; i < 300; i++) {
      socket.receive([0, i & 0xff]);
    }
    connection.send(Uint8Array.of(0x01));
    expect(socket.packets.map(hex)).toEqual(["7f01"]);
    timers.advance(5);
    expect(socket.packets.map(hex)).toEqual(["7f01", "7f", "2e"]); // 127 + 127 + 46 = 300
    expect(connection.owedAcks).toBe(0);
  });

  it("spreads a large count over ack-only packets of at most 127", async () => {
    const { socket, timers } = await connected();
    for (let i = 0; i < 254; i++) {
      socket.receive([0, 1]);
    }
    timers.advance(5);
    expect(socket.packets.map(hex)).toEqual(["7f", "7f"]);
  });

  it("never acks with autoAck off, and acks what is owed once it is on again", async () => {
    const { socket, timers, connection } = await connected({ autoAck: false });
    socket.receive([0, 0xaa]);
    socket.receive([0, 0xbb]);
    connection.send(Uint8Array.of(0x01));
    timers.advance(1000);
    expect(socket.packets.map(hex)).toEqual(["0001"]);
    connection.autoAck = true;
    timers.advance(5);
    expect(socket.packets.map(hex)).toEqual(["0001", "02"]);
  });

  it("sends owed acks at once on sendAck", async () => {
    const { socket, connection } = await connected({ autoAck: false });
    socket.receive([0, 0xaa]);
    connection.sendAck();
    expect(socket.packets.map(hex)).toEqual(["01"]);
  });

  it("tracks our payload packets until the server acks them, with their round-trip time", async () => {
    const rtts: number[] = [];
    const { socket, timers, connection } = await connected({}, { onAck: (rtt) => rtts.push(rtt) });
    connection.send(Uint8Array.of(0x01));
    timers.advance(10);
    connection.send(Uint8Array.of(0x02));
    connection.send(new Uint8Array(0)); // ack-only: not tracked
    connection.send(Uint8Array.of(0x03));
    expect(connection.unacked).toBe(3);
    timers.advance(20);
    socket.receive([2]);
    expect(connection.unacked).toBe(1);
    expect(rtts).toEqual([30, 20]);
    socket.receive([1, 0xaa]);
    expect(connection.unacked).toBe(0);
    expect(connection.ackRtt.samples).toBe(3);
    expect(connection.ackRtt.min).toBe(20);
  });

  it("closes with 1002 when the server acks more than we sent", async () => {
    const { socket, connection } = await connected();
    connection.send(Uint8Array.of(0x01));
    socket.receive([2]);
    expect(socket.closedWith).toEqual({ code: 1002, reason: "Ack 2 exceeds the 1 unacked packets" });
    expect(connection.isOpen).toBe(false);
  });
});

describe("frames the protocol forbids", () => {
  it("closes on a text frame with 1003", async () => {
    const { socket } = await connected();
    socket.receiveText("hello");
    expect(socket.closedWith?.code).toBe(1003);
  });

  it("closes on an empty frame with 1002", async () => {
    const { socket } = await connected();
    socket.receive([]);
    expect(socket.closedWith?.code).toBe(1002);
  });

  it("closes without a code where the WebSocket refuses 1003 (browsers), and reports 1003", async () => {
    const { socket, connection } = await connected();
    socket.browser = true;
    socket.receiveText("hello");
    expect(socket.closedWith).toEqual({ code: undefined, reason: undefined });
    expect(connection.isOpen).toBe(false);
    socket.completeClose(); // the server echoes 1005, no status
    expect(await connection.closed).toEqual({ code: 1003, reason: "Text frames are not supported" });
  });
});

describe("application callbacks", () => {
  it("that throw do not stop the acks; the error is rethrown on its own", async () => {
    const rethrown: (() => void)[] = [];
    vi.stubGlobal("queueMicrotask", (callback: () => void) => rethrown.push(callback));
    try {
      const { socket, timers } = await connected({}, {
        onMessage: () => {
          throw new Error("game bug");
        },
      });
      socket.receive([0, 0xaa]);
      timers.advance(5);
      expect(socket.packets.map(hex)).toEqual(["01"]);
      expect(rethrown).toHaveLength(1);
      expect(() => rethrown[0]!()).toThrow("game bug");
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe("closing", () => {
  it("closes with 1000 by default and reports how it closed", async () => {
    const closes: number[] = [];
    const { socket, connection } = await connected({}, { onClose: (code) => closes.push(code) });
    const closed = connection.close();
    expect(socket.closedWith).toEqual({ code: 1000, reason: "" });
    expect(connection.send(Uint8Array.of(1))).toBe(false);
    socket.completeClose();
    expect(await closed).toEqual({ code: 1000, reason: "" });
    expect(closes).toEqual([1000]);
  });

  it("reports a drop as the close code the websocket gives", async () => {
    const { socket, connection } = await connected();
    socket.closeFromServer(1006);
    expect((await connection.closed).code).toBe(1006);
    expect(connection.send(Uint8Array.of(1))).toBe(false);
  });
});

describe("ping (protocol 1)", () => {
  it("sends C2S{client_time} and resolves with the round-trip time when it is echoed", async () => {
    const { socket, timers, connection } = await connected({ protocol: 1 });
    const pong = connection.ping();
    const sent = socket.packets[0]!;
    expect(sent[0]).toBe(0);
    const request = fromBinary(ping.C2SSchema, sent.subarray(1));
    expect(request.clientTime).toBeTypeOf("bigint");
    timers.advance(12);
    const answer = create(ping.S2CSchema, { clientTime: request.clientTime, serverTime: 77n, players: 3, playing: 2 });
    socket.receive([1, ...toBinary(ping.S2CSchema, answer)]);
    expect(await pong).toEqual({ rtt: 12, serverTime: 77n, players: 3, playing: 2 });
    expect(connection.pingRtt.latest).toBe(12);
  });

  it("gives each ping its own client_time", async () => {
    const { socket, connection } = await connected({ protocol: 1 });
    void connection.ping();
    void connection.ping();
    const times = socket.packets.map((packet) => fromBinary(ping.C2SSchema, packet.subarray(1)).clientTime);
    expect(times[1]! > times[0]!).toBe(true);
  });

  it("rejects pending pings when the connection closes", async () => {
    const { socket, connection } = await connected({ protocol: 1 });
    const pong = connection.ping();
    socket.closeFromServer(1006);
    await expect(pong).rejects.toThrow(/closed \(1006\)/);
  });

  it("is refused on another protocol", async () => {
    const { connection } = await connected({ protocol: 2 });
    await expect(connection.ping()).rejects.toThrow(/needs protocol 1/);
  });
});
