import { describe, expect, it } from "vitest";

import { AphelionClient, AphelionSession, type SessionOptions } from "../../src/index.js";
import { FakeNetwork, ManualTimers, hex, settle, token, type FakeWebSocket } from "../support/fakes.js";

/** The token in a socket's init packet (sent once it opens), or "none". */
function requested(socket: FakeWebSocket): string {
  if (socket.readyState === 0) {
    socket.open();
  }
  const init = socket.sent[0]!;
  return init[6] === 0 ? "none" : hex(init.subarray(7));
}

/** Opens the socket and answers its init packet with `reply`. */
function answer(socket: FakeWebSocket, reply: Uint8Array): void {
  if (socket.readyState === 0) {
    socket.open();
  }
  socket.receive(reply);
}

interface Setup {
  net: FakeNetwork;
  timers: ManualTimers;
  client: AphelionClient;
  events: string[];
  received: string[];
}

function setup(): Setup {
  const net = new FakeNetwork();
  const timers = new ManualTimers();
  const client = new AphelionClient("ws://127.0.0.1:1/aphelion", { protocol: 2, version: 1, WebSocket: net.WebSocket, timers });
  return { net, timers, client, events: [], received: [] };
}

/** A session of `connections` connections on token(1), every socket answered at once. */
async function opened(connections: number, options: SessionOptions = {}): Promise<Setup & { session: AphelionSession }> {
  const s = setup();
  const pending = AphelionSession.open(s.client, {
    connections,
    random: () => 0, // no jitter: delays are the backoff's exact values
    onMessage: (payload) => s.received.push(hex(payload)),
    onNewSession: (t) => s.events.push(`new-session ${hex(t).slice(0, 2)}`),
    onReconnect: () => s.events.push("reconnect"),
    onConnectionClose: (code) => s.events.push(`connection-close ${code}`),
    onClose: (code) => s.events.push(`close ${code}`),
    ...options,
  });
  answer(s.net.last, token(1));
  await settle();
  for (const socket of s.net.sockets.slice(1)) {
    answer(socket, token(1));
  }
  const session = await pending;
  return { ...s, session };
}

describe("opening", () => {
  it("opens the first connection without a token and the others with its token", async () => {
    const { net, session } = await opened(3);
    expect(net.sockets.map(requested)).toEqual(["none", hex(token(1)), hex(token(1))]);
    expect(session.connections.length).toBe(3);
    expect(session.connections.map((c) => c.isNewSession)).toEqual([true, false, false]);
    expect(hex(session.token)).toBe(hex(token(1)));
    expect(session.isNewSession).toBe(true);
  });

  it("resumes a given token", async () => {
    const s = setup();
    const pending = AphelionSession.open(s.client, { token: token(4) });
    answer(s.net.last, token(4));
    const session = await pending;
    expect(requested(s.net.last)).toBe(hex(token(4)));
    expect(session.isNewSession).toBe(false);
  });

  it("rejects when the first connection is refused", async () => {
    const s = setup();
    const pending = AphelionSession.open(s.client, {});
    s.net.last.open();
    s.net.last.closeFromServer(4000, "no such protocol");
    await expect(pending).rejects.toMatchObject({ name: "AphelionHandshakeError", code: 4000 });
  });
});

describe("routing", () => {
  it("sends on the connection with the fewest unacked packets", async () => {
    const { net, session } = await opened(2);
    const [a, b] = [net.sockets[0]!, net.sockets[1]!];
    session.send(Uint8Array.of(1)); // a: 1 unacked
    session.send(Uint8Array.of(2)); // b: 1
    session.send(Uint8Array.of(3)); // tie: a (2)
    a.receive([2]); // the server acks a's two: a 0, b 1
    session.send(Uint8Array.of(4)); // a
    session.send(Uint8Array.of(5)); // tie at 1: b
    expect(a.packets.map(hex)).toEqual(["0001", "0003", "0004"]);
    expect(b.packets.map(hex)).toEqual(["0002", "0005"]);
  });

  it("takes ties in turn", async () => {
    const { net, session } = await opened(3);
    for (let i = 1; i <= 6; i++) {
      session.send(new Uint8Array(0)); // ack-only packets are never unacked: always a tie
    }
    expect(net.sockets.map((s) => s.packets.length)).toEqual([2, 2, 2]);
  });

  it("returns false when no connection is open", async () => {
    const { net, session } = await opened(1);
    net.last.closeFromServer(1006);
    expect(session.send(Uint8Array.of(1))).toBe(false);
  });
});

describe("reconnecting", () => {
  it("reconnects a dropped connection with the token after the backoff delay", async () => {
    const { net, timers, session, events } = await opened(2);
    net.sockets[0]!.closeFromServer(1006);
    expect(session.connections.length).toBe(1);
    timers.advance(99);
    expect(net.sockets.length).toBe(2);
    timers.advance(1);
    expect(net.sockets.length).toBe(3);
    expect(requested(net.last)).toBe(hex(token(1)));
    answer(net.last, token(1));
    await settle();
    expect(session.connections.length).toBe(2);
    expect(events).toEqual(["connection-close 1006", "reconnect"]);
  });

  it("backs off exponentially while attempts fail, up to the maximum, and starts over after a success", async () => {
    const { net, timers } = await opened(1, { backoff: { initialDelay: 100, maxDelay: 1000 } });
    net.last.closeFromServer(1006);
    const delays: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const before = net.sockets.length;
      let waited = 0;
      while (net.sockets.length === before) {
        timers.advance(1);
        waited++;
      }
      delays.push(waited);
      net.last.closeFromServer(1006); // the server is still down
      await settle();
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    timers.advance(1000);
    answer(net.last, token(1));
    await settle();
    net.last.closeFromServer(1006);
    timers.advance(99);
    const before = net.sockets.length;
    timers.advance(1);
    expect(net.sockets.length).toBe(before + 1);
  });

  it("jitters the delay", async () => {
    const { net, timers } = await opened(1, { random: () => 0.5 });
    net.last.closeFromServer(1006);
    timers.advance(74);
    expect(net.sockets.length).toBe(1);
    timers.advance(1);
    expect(net.sockets.length).toBe(2);
  });

  it.each([1001, 1006, 1011, 4004, 4102, 4103, 4104])("retries after close code %i", async (code) => {
    const { net, timers } = await opened(1);
    net.last.closeFromServer(code);
    timers.advance(100);
    expect(net.sockets.length).toBe(2);
  });

  it.each([1000, 1002, 1003, 1007, 1009, 4000, 4001, 4002, 4003, 4100, 4101])(
    "never retries after close code %i",
    async (code) => {
      const { net, timers, events } = await opened(1);
      net.last.closeFromServer(code, "final");
      timers.advance(60_000);
      expect(net.sockets.length).toBe(1);
      expect(events).toEqual([`connection-close ${code}`, `close ${code}`]);
    },
  );

  it("stops a connection whose reconnect is refused for good, and keeps the others", async () => {
    const { net, timers, session, events } = await opened(2);
    net.sockets[1]!.closeFromServer(1006);
    timers.advance(100);
    net.last.open();
    net.last.closeFromServer(4100, "session full");
    await settle();
    timers.advance(60_000);
    expect(net.sockets.length).toBe(3);
    expect(session.connections.length).toBe(1);
    expect(events).toEqual(["connection-close 1006"]);
  });
});

describe("a new session", () => {
  it("moves every connection to the new token, closing the old ones with 4005, and says so", async () => {
    const { net, timers, session, events, received } = await opened(2);
    const [a, b] = [net.sockets[0]!, net.sockets[1]!];
    a.closeFromServer(1006);
    timers.advance(100);
    const resumed = net.last;
    expect(requested(resumed)).toBe(hex(token(1)));
    answer(resumed, token(2)); // the old session was gone
    await settle();
    expect(hex(session.token)).toBe(hex(token(2)));
    expect(b.closedWith).toEqual({ code: 4005, reason: "The server started a new session" });
    expect(events).toEqual(["connection-close 1006", "new-session 02"]);
    const replacement = net.last;
    expect(replacement).not.toBe(resumed);
    expect(requested(replacement)).toBe(hex(token(2)));
    answer(replacement, token(2));
    await settle();
    b.receive([0, 0xee]); // a late packet of the old session is not the game's
    b.completeClose();
    expect(received).toEqual([]);
    expect(session.connections.length).toBe(2);
    expect(events).toEqual(["connection-close 1006", "new-session 02"]);
  });

  it("sends a connection that asked with the old token to the new session", async () => {
    const { net, timers, session, events } = await opened(2);
    net.sockets[0]!.closeFromServer(1001); // a restart: both go
    net.sockets[1]!.closeFromServer(1001);
    timers.advance(100);
    const [first, second] = net.sockets.slice(2);
    answer(first!, token(2));
    await settle();
    answer(second!, token(3)); // asked with token(1) as well: a session of its own
    await settle();
    expect(second!.closedWith?.code).toBe(4005);
    expect(requested(net.last)).toBe(hex(token(2)));
    answer(net.last, token(2));
    await settle();
    expect(hex(session.token)).toBe(hex(token(2)));
    expect(session.connections.map((c) => hex(c.token))).toEqual([hex(token(2)), hex(token(2))]);
    expect(events.filter((e) => e.startsWith("new-session"))).toEqual(["new-session 02"]);
  });
});

describe("closing and acks", () => {
  it("closes every connection with 1000 and stops reconnecting", async () => {
    const { net, timers, session } = await opened(2);
    net.sockets[1]!.closeFromServer(1006);
    const closed = session.close();
    expect(net.sockets[0]!.closedWith?.code).toBe(1000);
    net.sockets[0]!.completeClose();
    await closed;
    timers.advance(60_000);
    expect(net.sockets.length).toBe(2);
    expect(session.isClosed).toBe(true);
  });

  it("turns acks off and on for every connection, the next ones too", async () => {
    const { net, timers, session } = await opened(2, { autoAck: false });
    net.sockets[0]!.receive([0, 1]);
    timers.advance(100);
    expect(net.sockets[0]!.packets).toEqual([]);
    session.autoAck = true;
    timers.advance(5);
    expect(net.sockets[0]!.packets.map(hex)).toEqual(["01"]);
    session.autoAck = false;
    net.sockets[1]!.closeFromServer(1006);
    timers.advance(100);
    answer(net.last, token(1));
    await settle();
    expect(session.connections.map((c) => c.autoAck)).toEqual([false, false]);
  });

  it("hands every payload of the session's connections to onMessage", async () => {
    const { net, received } = await opened(2);
    net.sockets[0]!.receive([0, 0xaa]);
    net.sockets[1]!.receive([0, 0xbb]);
    expect(received).toEqual(["aa", "bb"]);
  });
});
