// The lobby page's logic: everything Aphelion goes through the aphelion-client package.
import { AphelionClient, AphelionSession, game, gameCodec, tokenToHex } from "aphelion-client";

const url = new URLSearchParams(location.search).get("url") || "ws://127.0.0.1:8080/aphelion";
const client = new AphelionClient(url, { protocol: 2, version: 1 });
const $ = (id) => document.getElementById(id);

/** The page's state, also on window.lobby for the console (and for the end-to-end test). */
const lobby = {
  session: null,
  nickname: null,
  playing: false,
  /** The session token in hex. */
  token: null,
  /** What happened, in order: open, authenticated, reconnect, new-session, connection-close CODE, closed CODE. */
  events: [],
};
window.lobby = lobby;
$("server").textContent = url;

function status(text) {
  $("status").textContent = text;
}

function notice(text) {
  const item = document.createElement("li");
  item.className = "notice";
  item.textContent = text;
  $("chat").append(item);
}

function event(name) {
  lobby.events.push(name);
  $("connections").textContent = String(lobby.session ? lobby.session.connections.length : 0);
}

function playing(on) {
  lobby.playing = on;
  $("message").disabled = !on;
  $("send-button").disabled = !on;
  $("nickname").disabled = on;
  $("join-button").disabled = on;
}

async function join(nickname) {
  lobby.nickname = nickname;
  $("error").textContent = "";
  if (lobby.session === null) {
    status("connecting");
    try {
      lobby.session = await AphelionSession.open(client, {
        connections: 2,
        backoff: { initialDelay: 100, maxDelay: 2000 },
        onMessage: gameCodec.handler(received),
        onReconnect: () => {
          event("reconnect");
          status(lobby.playing ? `playing as ${lobby.nickname}` : "connected");
        },
        onNewSession: (token) => {
          // The server forgot us (it restarted, or the session expired): join again.
          lobby.token = tokenToHex(token);
          event("new-session");
          playing(false);
          notice("The server started a new session; joining again.");
          authenticate();
        },
        onConnectionClose: (code) => {
          event(`connection-close ${code}`);
          if (lobby.session !== null && lobby.session.connections.length === 0) {
            status(`reconnecting (closed with ${code})`);
          }
        },
        onClose: (code, reason) => {
          event(`closed ${code}`);
          playing(false);
          status(`disconnected: ${code} ${reason}`);
        },
      });
    } catch (error) {
      status(`cannot connect: ${error.message}`);
      return;
    }
    lobby.token = tokenToHex(lobby.session.token);
    event("open");
  }
  authenticate();
}

function authenticate() {
  status(`joining as ${lobby.nickname}`);
  gameCodec.send(lobby.session, { authenticate: [{ nickname: lobby.nickname }] });
}

function received(s2c) {
  for (const response of s2c.authenticateResponse) {
    if (response.error === game.AuthenticateResponse_Error.OK) {
      playing(true);
      status(`playing as ${lobby.nickname}`);
      event("authenticated");
    } else {
      $("error").textContent = response.errorDescription || `refused (${response.error})`;
      status("pick another nickname");
    }
  }
  for (const chat of s2c.localChatMessage) {
    const item = document.createElement("li");
    item.textContent = `${chat.sender}: ${chat.message ?? ""}`;
    $("chat").append(item);
    $("chat").scrollTop = $("chat").scrollHeight;
  }
  for (const time of s2c.timeResponse) {
    const rtt = performance.now() - Number(time.clientTime) / 1000;
    $("rtt").textContent = `${rtt.toFixed(1)} ms`;
  }
}

// Time requests once a second: the answer echoes our clock (microseconds), giving the round trip.
setInterval(() => {
  if (lobby.session !== null) {
    gameCodec.send(lobby.session, { timeRequest: [{ clientTime: BigInt(Math.round(performance.now() * 1000)) }] });
    const smoothed = lobby.session.ackRtt.smoothed;
    $("ack-rtt").textContent = smoothed === undefined ? "-" : `${smoothed.toFixed(1)} ms`;
    $("connections").textContent = String(lobby.session.connections.length);
  }
}, 1000);

$("join").addEventListener("submit", (e) => {
  e.preventDefault();
  const nickname = $("nickname").value.trim();
  if (nickname) {
    void join(nickname);
  }
});

$("say").addEventListener("submit", (e) => {
  e.preventDefault();
  const message = $("message").value;
  if (!message) {
    return;
  }
  if (gameCodec.send(lobby.session, { sendLocalChat: [{ message }] })) {
    $("message").value = "";
  } else {
    $("error").textContent = "Not sent: reconnecting";
  }
});
