// An Aphelion client written with the `ws` package, independent of the server's code:
// handshake, protocol 1 (ping) with hand-encoded protobuf, acks, and resuming with the token.
//   npm install && node ping-client.js ws://127.0.0.1:8080/aphelion
// Prints one JSON line with what it saw; exits 0 when everything behaved as the protocol says.
'use strict';
const WebSocket = require('ws');

const url = process.argv[2] || 'ws://127.0.0.1:8080/aphelion';

function initPacket(protocol, version, token) {
  const packet = Buffer.alloc(39);
  packet.writeInt16BE(protocol, 0);
  packet.writeInt32BE(version, 2);
  if (token) {
    packet[6] = 1;
    token.copy(packet, 7);
  }
  return packet;
}

// ping.proto C2S { sfixed64 client_time = 1; } : tag 0x09, then 8 bytes little endian.
function pingPayload(clientTime) {
  const payload = Buffer.alloc(9);
  payload[0] = 0x09;
  payload.writeBigInt64LE(BigInt(clientTime), 1);
  return payload;
}

// Reads field 1 (sfixed64) and field 2 (sfixed64) of ping.proto S2C; skips varint fields 3 and 4.
function decodePong(payload) {
  const fields = {};
  let i = 0;
  while (i < payload.length) {
    const tag = payload[i++];
    const field = tag >> 3;
    const wire = tag & 7;
    if (wire === 1) {
      fields[field] = payload.readBigInt64LE(i);
      i += 8;
    } else if (wire === 0) {
      let value = 0, shift = 0, b;
      do { b = payload[i++]; value += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
      fields[field] = value;
    } else {
      throw new Error('unexpected wire type ' + wire);
    }
  }
  return fields;
}

function session(token) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const result = { pongs: 0, echoed: true, serverTimes: true, acked: 0, ackOnly: 0 };
    let received = 0; // payload packets received since our last ack
    ws.on('open', () => ws.send(initPacket(1, 1, token)));
    ws.on('message', (data) => {
      if (!result.token) {
        if (data.length !== 32) return reject(new Error('init reply of ' + data.length + ' bytes'));
        result.token = data;
        for (let n = 1; n <= 3; n++) {
          ws.send(Buffer.concat([Buffer.from([received]), pingPayload(1000 * n)]));
          received = 0;
        }
        return;
      }
      result.acked += data[0];
      if (data.length === 1) { result.ackOnly++; return; }
      received++;
      const pong = decodePong(data.subarray(1));
      result.pongs++;
      result.echoed = result.echoed && pong[1] === BigInt(1000 * result.pongs);
      result.serverTimes = result.serverTimes && pong[2] !== undefined;
      if (result.pongs === 3) {
        ws.send(Buffer.from([received])); // ack-only packet
        setTimeout(() => ws.close(1001), 100); // 1001 keeps the session for a resume; 1000 would end it
      }
    });
    ws.on('close', (code) => { result.closeCode = code; resolve(result); });
    ws.on('error', reject);
  });
}

(async () => {
  const first = await session(null);
  const second = await session(first.token);
  const summary = {
    pongs: first.pongs,
    echoed: first.echoed,
    serverTimes: first.serverTimes,
    acked: first.acked,
    resumedSameToken: first.token.equals(second.token),
    secondPongs: second.pongs,
  };
  console.log(JSON.stringify(summary));
  const ok = summary.pongs === 3 && summary.echoed && summary.serverTimes && summary.acked === 3
    && summary.resumedSameToken && summary.secondPongs === 3;
  process.exit(ok ? 0 : 1);
})().catch((error) => { console.error(error); process.exit(2); });
