// An Aphelion client in Node.js on the aphelion-client package (clients/js), with the `ws`
// package as its WebSocket (Node.js 20 has none built in): handshake, protocol 1 (ping), acks
// both ways, and resuming the session with its token after the connection went away.
//   (cd ../../clients/js && npm ci && npm run build) && npm ci && node ping-client.js ws://127.0.0.1:8080/aphelion
// Prints one JSON line with what it saw; exits 0 when everything behaved as the protocol says.
import WebSocket from "ws";
import { AphelionClient, pingCodec, tokensEqual } from "aphelion-client";

const url = process.argv[2] || "ws://127.0.0.1:8080/aphelion";
const client = new AphelionClient(url, { protocol: 1, version: 1, WebSocket });

/** One connection: three pings of our own (client_time 1000, 2000, 3000), then it goes away. */
async function session(token) {
  const seen = { pongs: 0, echoed: true, serverTimes: true, acked: 0 };
  let answered;
  let ours = true; // until the three answers are in; then ping() sends its own
  const allAnswered = new Promise((resolve) => (answered = resolve));
  const connection = await client.connect({
    token,
    onMessage: (payload) => {
      if (!ours) {
        return;
      }
      const pong = pingCodec.decode(payload);
      seen.pongs++;
      seen.echoed &&= pong.clientTime === BigInt(1000 * seen.pongs);
      seen.serverTimes &&= pong.serverTime !== undefined && pong.serverTime > 0n;
      if (seen.pongs === 3) {
        answered();
      }
    },
    onAck: () => seen.acked++,
  });
  for (let n = 1; n <= 3; n++) {
    pingCodec.send(connection, { clientTime: BigInt(1000 * n) });
  }
  await allAnswered;
  ours = false;
  const { rtt } = await connection.ping(); // the package's own ping: a round-trip time in ms
  await until(() => connection.unacked === 0 && connection.owedAcks === 0);
  // 1001 ("going away", as a browser leaving a page): the server keeps the session for its token.
  // (1000 would end it at once.)
  await connection.close(1001, "going away");
  return { ...seen, rtt, token: connection.token, isNewSession: connection.isNewSession };
}

async function until(condition) {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error("timed out");
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

try {
  const first = await session(undefined);
  const second = await session(first.token);
  const summary = {
    pongs: first.pongs,
    echoed: first.echoed,
    serverTimes: first.serverTimes,
    acked: first.acked,
    rttMeasured: first.rtt >= 0,
    firstIsNewSession: first.isNewSession,
    resumedSameToken: tokensEqual(first.token, second.token) && !second.isNewSession,
    secondPongs: second.pongs,
  };
  console.log(JSON.stringify(summary));
  // 4 payload packets each (3 pings of our own + 1 of ping()), every one acked by the server.
  const ok = summary.pongs === 3 && summary.echoed && summary.serverTimes && summary.acked === 4
    && summary.rttMeasured && summary.firstIsNewSession && summary.resumedSameToken && summary.secondPongs === 3;
  process.exit(ok ? 0 : 1);
} catch (error) {
  console.error(error);
  process.exit(2);
}
