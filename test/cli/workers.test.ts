import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { decodePacket, PacketCode, randomAuthenticator } from '../../src/protocol/index.js';
import { startServe } from '../helpers/cli.js';
import { accessRequest, statusServer, TEST_SECRET } from '../helpers/packets.js';
import { startTestRedis } from '../helpers/redis.js';
import { UdpPeer } from '../helpers/udp.js';

test('workers: 2 — two processes share the socket, every request is answered, SIGTERM stops all', async (t) => {
  const redis = await startTestRedis();
  const directory = mkdtempSync(join(tmpdir(), 'radgate-workers-'));
  const config = join(directory, 'radgate.yaml');
  writeFileSync(
    config,
    `listen: ["127.0.0.1:0"]\nworkers: 2\nclients:\n  - name: local\n    address: 127.0.0.1\n    secret_env: RADGATE_TEST_SECRET\nredis:\n  url: ${redis.url}\nkeys:\n  file: ./radgate.key\n  create_if_missing: true\npolicy:\n  reject_delay_ms: 0\n`,
  );
  const serve = await startServe(['--config', config], { RADGATE_TEST_SECRET: TEST_SECRET.toString() });
  try {
    const [port] = serve.ports;
    const peers = await Promise.all(Array.from({ length: 4 }, () => UdpPeer.open('127.0.0.1', port!)));
    const sent = 200;
    for (let i = 0; i < sent; i++) peers[i % 4]!.send(accessRequest({ identifier: Math.floor(i / 4), authenticator: randomAuthenticator(), userName: `nobody${i}` }));
    let rejects = 0;
    for (const peer of peers) {
      for (let i = 0; i < sent / 4; i++) {
        const reply = await peer.receive(3000);
        if (reply !== undefined && decodePacket(reply).code === PacketCode.AccessReject) rejects++;
      }
    }
    t.is(rejects, sent);
    t.is(decodePacket((await peers[0]!.exchange(statusServer()))!).code, PacketCode.AccessAccept);
    for (const peer of peers) peer.close();
    const workers = new Set([...serve.output().matchAll(/"worker":(\d+).*"event":"decision"/g)].map((match) => match[1]));
    t.log(`decisions made by workers: ${[...workers].join(', ')}`);
    t.true(workers.size >= 1);
    const listening = [...serve.output().matchAll(/"port":(\d+),"msg":"listening for RADIUS"/g)].map((match) => Number(match[1]));
    t.is(listening.length, 2, 'each worker bound the listener');
    t.deepEqual([...new Set(listening)], [port], 'on the same port');
  } finally {
    const exited = new Promise<number | null>((resolve) => serve.child.once('exit', resolve));
    serve.child.kill('SIGTERM');
    t.is(await exited, 0);
    await redis.stop();
  }
});
