// The built package (dist/) from Node.js 20 with the `ws` package, against the real server jar.
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  AphelionClient,
  AphelionHandshakeError,
  AphelionSession,
  game,
  gameCodec,
  tokenToHex,
  type AphelionConnection,
} from "../../dist/index.js";
import { AphelionServer } from "../support/server.js";
import { TcpProxy } from "../support/tcp-proxy.js";
import { until } from "../support/wait.js";

let server: AphelionServer;
let proxy: TcpProxy;
const closers: (() => unknown)[] = [];

beforeAll(async () => {
  server = await AphelionServer.start();
  proxy = await TcpProxy.start(server.port);
});

afterAll(async () => {
  for (const close of closers.reverse()) {
    await close();
  }
  await proxy?.close();
  await server?.stop();
});

function client(protocol: number, options: { url?: string; version?: number } = {}): AphelionClient {
  return new AphelionClient(options.url ?? server.url, { protocol, version: options.version ?? 1, WebSocket });
}

/** A connection closed when the file's tests end. */
async function connect(c: AphelionClient, token?: Uint8Array, onMessage?: (payload: Uint8Array) => void): Promise<AphelionConnection> {
  const connection = await c.connect({ token, onMessage });
  closers.push(() => connection.close());
  return connection;
}

async function refusal(promise: Promise<unknown>): Promise<AphelionHandshakeError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(AphelionHandshakeError);
  return error as AphelionHandshakeError;
}

/** A game session that collects what it hears, closed when the file's tests end. */
async function gameSession(url: string, connections: number) {
  const chat: string[] = [];
  const events: string[] = [];
  const authenticated: number[] = [];
  const session = await AphelionSession.open(client(2, { url }), {
    connections,
    backoff: { initialDelay: 50, maxDelay: 500 },
    onMessage: gameCodec.handler((s2c) => {
      s2c.authenticateResponse.forEach((r) => authenticated.push(r.error ?? -1));
      s2c.localChatMessage.forEach((m) => chat.push(`${m.sender}: ${m.message}`));
    }),
    onReconnect: () => events.push("reconnect"),
    onNewSession: () => events.push("new-session"),
    onConnectionClose: (code) => events.push(`close ${code}`),
  });
  closers.push(() => session.close());
  return { session, chat, events, authenticated };
}

describe("protocol 1 (ping)", () => {
  it("answers pings with the time and player counts, and the round trip is measured", async () => {
    const connection = await connect(client(1));
    expect(connection.isNewSession).toBe(true);
    for (let i = 0; i < 3; i++) {
      const pong = await connection.ping();
      expect(pong.rtt).toBeGreaterThanOrEqual(0);
      expect(pong.serverTime).toBeGreaterThan(0n);
      expect(pong.players).toBeGreaterThanOrEqual(0);
    }
    expect(connection.pingRtt.samples).toBe(3);
  });

  it("acks our packets: nothing stays unacked and each ack gives a round-trip sample", async () => {
    const connection = await connect(client(1));
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => connection.ping()));
    expect(answers).toHaveLength(5);
    await until("the server acked all five", () => connection.unacked === 0);
    expect(connection.ackRtt.samples).toBe(5);
    expect(connection.ackRtt.smoothed).toBeGreaterThanOrEqual(0);
  });

  it("takes our acks: after many answers the connection is still open and owes nothing", async () => {
    const connection = await connect(client(1));
    for (let round = 0; round < 3; round++) {
      await Promise.all(Array.from({ length: 50 }, () => connection.ping()));
    }
    await until("our acks went out", () => connection.owedAcks === 0);
    expect(connection.isOpen).toBe(true);
    expect((await connection.ping()).rtt).toBeGreaterThanOrEqual(0);
  });
});

describe("refused handshakes", () => {
  it("rejects an unknown protocol with a typed error carrying 4000", async () => {
    const error = await refusal(client(9).connect());
    expect(error.code).toBe(4000);
    expect(error.name).toBe("AphelionHandshakeError");
  });

  it("rejects a version above the served ones with 4002", async () => {
    expect((await refusal(client(1, { version: 99 }).connect())).code).toBe(4002);
  });

  it("rejects with 1006 when nothing listens", async () => {
    const error = await refusal(client(1, { url: "ws://127.0.0.1:1/aphelion" }).connect());
    expect(error.code).toBe(1006);
  });
});

describe("sessions", () => {
  it("holds two connections on one token", async () => {
    const c = client(2);
    const first = await connect(c);
    const second = await connect(c, first.token);
    expect(second.isNewSession).toBe(false);
    expect(tokenToHex(second.token)).toBe(tokenToHex(first.token));

    const { session } = await gameSession(server.url, 2);
    expect(session.connections).toHaveLength(2);
    expect(session.connections.map((c) => tokenToHex(c.token))).toEqual([tokenToHex(session.token), tokenToHex(session.token)]);
    expect(session.connections.map((c) => c.isNewSession)).toEqual([true, false]);
  });

  it("chats through the lobby, spreading packets over both connections", async () => {
    const alice = await gameSession(server.url, 2);
    gameCodec.send(alice.session, { authenticate: [{ nickname: "NodeAlice" }] });
    await until("authenticated", () => alice.authenticated.length === 1);
    expect(alice.authenticated).toEqual([game.AuthenticateResponse_Error.OK]);
    for (let i = 0; i < 4; i++) {
      gameCodec.send(alice.session, { sendLocalChat: [{ message: `line ${i}` }] });
    }
    await until("four chat lines back", () => alice.chat.length === 4);
    // Two connections: the server may read them in either order.
    expect([...alice.chat].sort()).toEqual(["NodeAlice: line 0", "NodeAlice: line 1", "NodeAlice: line 2", "NodeAlice: line 3"]);
    expect(alice.session.connections.every((c) => c.ackRtt.samples > 0)).toBe(true);
  });

  it("resumes after a drop with the same token, keeping the session's state", async () => {
    const bob = await gameSession(`ws://127.0.0.1:${proxy.port}/aphelion`, 1);
    const token = tokenToHex(bob.session.token);
    gameCodec.send(bob.session, { authenticate: [{ nickname: "NodeBob" }] });
    await until("authenticated", () => bob.authenticated.length === 1);

    proxy.cut();
    await until("reconnected", () => bob.events.includes("reconnect"));
    expect(bob.events).toEqual(["close 1006", "reconnect"]);
    expect(tokenToHex(bob.session.token)).toBe(token);

    gameCodec.send(bob.session, { sendLocalChat: [{ message: "still me" }] });
    await until("chat after the resume", () => bob.chat.includes("NodeBob: still me"));
  });
});

describe("a server restart", () => {
  it("gives the session a new token on every connection and calls onNewSession once", async () => {
    const carol = await gameSession(server.url, 2);
    const old = tokenToHex(carol.session.token);
    await server.stop();
    await server.restart();
    await until("a new session", () => carol.events.includes("new-session"), 60_000);
    await until("both connections on it", () => carol.session.connections.length === 2, 30_000);
    expect(tokenToHex(carol.session.token)).not.toBe(old);
    expect(new Set(carol.session.connections.map((c) => tokenToHex(c.token)))).toEqual(new Set([tokenToHex(carol.session.token)]));
    expect(carol.events.filter((e) => e === "new-session")).toHaveLength(1);
    expect(carol.events.filter((e) => e.startsWith("close")).sort()).toEqual(["close 1001", "close 1001"]);

    gameCodec.send(carol.session, { authenticate: [{ nickname: "NodeCarol" }] });
    await until("authenticated again", () => carol.authenticated.length === 1);
    expect(carol.authenticated).toEqual([game.AuthenticateResponse_Error.OK]);
  }, 120_000);
});
