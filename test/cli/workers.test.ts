import test from 'ava';
import { decodePacket, PacketCode, randomAuthenticator } from '../../src/protocol/index.js';
import { openPeer } from '../../harness/datagram-peer.js';
import { accessRequest, statusServer } from '../../harness/packets.js';
import { REPLY_WAIT_MS } from '../../harness/patience.js';
import { startStack } from '../../harness/stack.js';

test('workers: 2 — two processes share the socket, every request is answered, SIGTERM stops all', async (t) => {
  const stack = await startStack();
  const serve = await stack.startServe({ config: { workers: 2 } });
  try {
    const peers = await Promise.all(Array.from({ length: 4 }, () => openPeer(serve.port)));
    const sent = 200;
    for (let i = 0; i < sent; i++) peers[i % 4]!.send(accessRequest({ identifier: Math.floor(i / 4), authenticator: randomAuthenticator(), userName: `nobody${i}` }));
    let rejects = 0;
    for (const peer of peers) {
      for (let i = 0; i < sent / 4; i++) {
        const reply = await peer.receive(REPLY_WAIT_MS);
        if (reply !== undefined && decodePacket(reply).code === PacketCode.AccessReject) rejects++;
      }
    }
    t.is(rejects, sent);
    t.is(decodePacket((await peers[0]!.exchange(statusServer(), REPLY_WAIT_MS))!).code, PacketCode.AccessAccept);
    for (const peer of peers) await peer.close();
    const output = serve.lines.join('\n');
    const workers = new Set([...output.matchAll(/"worker":(\d+).*"event":"decision"/g)].map((match) => match[1]));
    t.log(`decisions made by workers: ${[...workers].join(', ')}`);
    t.true(workers.size >= 1);
    const listening = [...output.matchAll(/"port":(\d+),"msg":"listening for RADIUS"/g)].map((match) => Number(match[1]));
    t.is(listening.length, 2, 'each worker bound the listener');
    t.deepEqual([...new Set(listening)], [serve.port], 'on the same port');
  } finally {
    t.is(await serve.stop('SIGTERM'), 0);
    await stack.close();
  }
});
