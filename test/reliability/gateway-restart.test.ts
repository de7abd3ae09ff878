import type { Socket } from 'node:dgram';
import test from 'ava';
import { PacketCode } from '../../src/protocol/index.js';
import { MANY_FAILURES_POLICY } from '../../harness/config.js';
import { openPeer } from '../../harness/datagram-peer.js';
import { nextTurns, signalPending, udpReceiveQueueBytes } from '../../harness/kernel.js';
import { openNas, paced, tagged, type Tagged } from '../../harness/nas.js';
import { statusServer } from '../../harness/packets.js';
import { patient, REPLY_WAIT_MS } from '../../harness/patience.js';
import { startServer } from '../../harness/server.js';
import { startStack } from '../../harness/stack.js';
import { sleep, until } from '../../harness/until.js';
import { addUserWithToken, issue } from '../../harness/users.js';

// Gateway restart (SIGTERM) under load: `radgate serve` as a subprocess, as a service
// manager runs it, stopped while a NAS keeps sending. A graceful stop must answer every
// request it has taken in; none may be lost, and the exit code is 0.

for (const workers of [1, 2]) {
  test.serial(`radgate serve with workers: ${workers}, SIGTERM under load: every request sent before the signal is answered, exit 0`, async (t) => {
    const stack = await startStack({ policy: MANY_FAILURES_POLICY, workers });
    const serve = await stack.startServe();
    const nas = await openNas({ port: serve.port, sockets: 8, retransmitMs: patient(3000), transmissions: 1 });
    try {
      const users: { userName: string; password: string }[] = [];
      for (let u = 0; u < 10; u++) {
        await addUserWithToken(stack.admin, `nas${u}`, '2468');
        const [code] = await issue(stack.admin, `nas${u}`, { kind: 'emergency-tokencode' });
        users.push({ userName: `nas${u}`, password: `2468${code!.code}` });
      }
      const exchanges: Promise<Tagged<'valid' | 'wrong'>>[] = [];
      const send = (i: number) => {
        const target = users[i % users.length]!;
        exchanges.push(
          i % 2 === 0
            ? tagged(nas.send({ kind: 'access', ...target }), 'valid')
            : tagged(nas.send({ kind: 'access', userName: target.userName, password: '2468ZZZZZZZZ' }), 'wrong'),
        );
      };
      const loadEnd = Date.now() + 2000;
      const load = paced(300, () => Date.now() >= loadEnd, send);
      await sleep(1000);
      // A burst right before the signal, so that requests are being read and decided when it lands.
      for (let i = 0; i < 60; i++) send(10_000 + i);
      // Let any send deferred by dgram leave before the signal, so "sent before SIGTERM" is exact.
      await nextTurns();
      const sentBeforeSignal = exchanges.length;
      serve.process.child.kill('SIGTERM');
      const signalledAt = Date.now();
      await load;
      const settled = await Promise.all(exchanges);
      const exitCode = await serve.exited;
      const before = settled.slice(0, sentBeforeSignal);
      const after = settled.slice(sentBeforeSignal);
      const lost = before.filter((e) => e.reply === undefined);
      t.log(
        `workers ${workers}: ${before.length} requests sent before SIGTERM, ${before.length - lost.length} answered, ${lost.length} lost` +
          `${lost.length === 0 ? '' : ` (sent ${lost.map((e) => e.sentAt - signalledAt).join(', ')} ms from the signal)`}; ` +
          `${after.length} sent after it, ${after.filter((e) => e.reply !== undefined).length} answered; exit code ${exitCode}`,
      );
      t.is(lost.length, 0, 'every request sent before SIGTERM got its reply');
      t.is(before.filter((e) => e.reply !== undefined && e.reply.code !== (e.tag === 'valid' ? PacketCode.AccessAccept : PacketCode.AccessReject)).length, 0);
      t.is(exitCode, 0);
      t.true(serve.lines.some((line) => line.includes('"msg":"stopped"')));
    } finally {
      await nas.close();
      await serve.stop('SIGKILL');
      await stack.close();
    }
  });
}

test.serial('requests queued in the socket while the gateway is busy when SIGTERM lands are answered', async (t) => {
  // Deterministic version of what the load test above can hit on a busy host: the gateway
  // process is not running (SIGSTOP stands in for "descheduled" or "busy") while a NAS's
  // requests reach its socket and the service manager sends SIGTERM. The kernel has
  // accepted every one of those requests for the gateway before the signal; a graceful
  // stop must read and answer them rather than close the socket on them.
  const stack = await startStack({ policy: MANY_FAILURES_POLICY });
  const serve = await stack.startServe();
  const nas = await openNas({ port: serve.port, retransmitMs: patient(3000), transmissions: 1 });
  try {
    await addUserWithToken(stack.admin, 'queued', '2468');
    const [code] = await issue(stack.admin, 'queued', { kind: 'emergency-tokencode' });
    process.kill(serve.pid, 'SIGSTOP');
    const exchanges = Array.from({ length: 50 }, () => nas.send({ kind: 'access', userName: 'queued', password: `2468${code!.code}` }));
    // A connected socket's send reaches the kernel at once, and on loopback the kernel
    // queues it for the receiver within that same call; the turns let any deferred send go.
    await nextTurns();
    t.true(udpReceiveQueueBytes(serve.port) > 0, 'the requests wait in the stopped gateway\'s socket');
    serve.process.child.kill('SIGTERM');
    await until('SIGTERM is pending for the stopped gateway', REPLY_WAIT_MS, () => signalPending(serve.pid, 'SIGTERM'));
    process.kill(serve.pid, 'SIGCONT');
    const settled = await Promise.all(exchanges);
    const exitCode = await serve.exited;
    const answered = settled.filter((e) => e.reply?.code === PacketCode.AccessAccept).length;
    t.log(`50 requests reached the socket before SIGTERM; ${answered} answered; exit code ${exitCode}`);
    t.is(answered, 50, 'every request in the socket buffer at SIGTERM is answered');
    t.is(exitCode, 0);
  } finally {
    await nas.close();
    if (!serve.process.hasExited()) {
      process.kill(serve.pid, 'SIGCONT');
      await serve.stop('SIGKILL');
    }
    await stack.close();
  }
});

test.serial('a request read in the same event-loop turn as stop() is still answered (and nothing throws)', async (t) => {
  // RadiusServer reads datagrams into a batch and handles the batch on setImmediate. A stop
  // that lands between the two (SIGTERM handled in the same poll phase as the read, with no
  // other request in flight) must still answer what was read, as it does for requests
  // already being decided. To land exactly there, this test listens on the server's own
  // socket (a private field): its listener runs right after the server's, in the same turn.
  const gateway = await startServer();
  const peer = await openPeer(gateway.port);
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  let stopping: Promise<void> | undefined;
  const { socket } = (gateway.server as unknown as { listeners: { socket: Socket }[] }).listeners[0]!;
  socket.once('message', () => (stopping = gateway.server.stop()));
  try {
    peer.send(statusServer());
    const reply = await peer.receive(REPLY_WAIT_MS);
    await stopping;
    await nextTurns();
    t.truthy(stopping, 'stop() was called');
    t.truthy(reply, 'the request read before stop() got its reply');
    t.deepEqual(rejections.map(String), [], 'no unhandled rejection (a send on the closed socket)');
  } finally {
    process.off('unhandledRejection', onRejection);
    await peer.close();
    await gateway.server.stop();
  }
});
