import { createSocket } from 'node:dgram';
import test from 'ava';
import { PacketCode } from '../../src/protocol/index.js';
import type { Gateway } from '../../src/serve/gateway.js';
import { MANY_FAILURES_POLICY } from '../../harness/config.js';
import { openPeer } from '../../harness/datagram-peer.js';
import { nextTurns } from '../../harness/kernel.js';
import { openNas } from '../../harness/nas.js';
import { accessRequest, statusServer } from '../../harness/packets.js';
import { patient, REPLY_WAIT_MS } from '../../harness/patience.js';
import { sendSpoofedUdp } from '../../harness/raw-udp.js';
import { startStack } from '../../harness/stack.js';
import { until } from '../../harness/until.js';
import { addUserWithToken, issue } from '../../harness/users.js';

// Datagrams whose source cannot be answered, sent through a raw socket
// (harness/raw-udp.ts) as a spoofer would. UDP source port 0 (RFC 768: no reply
// expected; node's dgram throws ERR_SOCKET_BAD_PORT on a send to it) is dropped and counted
// before anything is decided. A source the operating system refuses to send to (the
// limited broadcast address) makes the reply's send fail: dropped and counted too. Neither
// may take the process down.

// A NAS that sends no Message-Authenticator (pam_radius_auth): a request from it needs no secret.
const LEGACY_NAS = '  - name: legacy-nas\n    address: 127.0.0.2\n    secret_env: TEST_SECRET\n    require_message_authenticator: false\n';
const PIN = '2468';

test('the raw sender delivers a datagram whose UDP source port is 0', async (t) => {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const arrived = new Promise<{ port: number; address: string; text: string }>((resolve) =>
    socket.once('message', (datagram, remote) => resolve({ port: remote.port, address: remote.address, text: datagram.toString() })),
  );
  try {
    await sendSpoofedUdp({ source: '127.0.0.2', sourcePort: 0, destinationPort: socket.address().port }, [Buffer.from('from port zero')]);
    t.deepEqual(await arrived, { port: 0, address: '127.0.0.2', text: 'from port zero' });
  } finally {
    socket.close();
  }
});

function dropsFromPortZero(gateway: Gateway): number {
  return gateway.server.counters.get('dropped', 'source-port-zero');
}

test('an Access-Request from source port 0 is dropped and counted before it is decided; the gateway keeps answering', async (t) => {
  const stack = await startStack({ policy: MANY_FAILURES_POLICY, captureLevel: 'info', clients: LEGACY_NAS });
  try {
    await addUserWithToken(stack.admin, 'alice', PIN);
    const [code] = await issue(stack.admin, 'alice', { kind: 'emergency-passcode', uses: 1 });
    const gateway = await stack.startGateway();
    const port = gateway.server.addresses()[0]!.port;
    // The legacy NAS's address needs no secret: whatever the password, the request is
    // authentic to RFC 2865. Even the right passcode must not be spent on a request that
    // cannot be answered.
    const spoofed = accessRequest({ userName: 'alice', password: code!.code, messageAuthenticator: false });
    await sendSpoofedUdp({ source: '127.0.0.2', sourcePort: 0, destinationPort: port }, [spoofed]);
    await until('the gateway counts the datagram from port 0', REPLY_WAIT_MS, () => dropsFromPortZero(gateway) === 1, 10);
    await nextTurns(); // an unhandled rejection, had there been one, is reported by now
    t.false(stack.lines.some((line) => line.includes('"event":"decision"')), 'nothing was decided');
    t.is((await stack.admin.service.listCodes('alice'))[0]!.uses, 0, 'the passcode was not spent');
    t.true(stack.lines.some((line) => line.includes('source port 0')), 'a warning says why');

    // Both NASes are still served, the legacy one from an ordinary port.
    const legacy = await openPeer(port, '127.0.0.2');
    try {
      const reply = await legacy.exchange(accessRequest({ userName: 'alice', password: `${PIN}000000`, messageAuthenticator: false }), REPLY_WAIT_MS);
      t.is(reply?.[0], PacketCode.AccessReject);
    } finally {
      await legacy.close();
    }
    const nas = await openNas({ port });
    try {
      t.is((await nas.accessRequest('alice', code!.code)).reply?.code, PacketCode.AccessAccept, 'the passcode still works, once');
    } finally {
      await nas.close();
    }
  } finally {
    await stack.close();
  }
});

test('a replayed signed Status-Server from source port 0 is dropped and counted; the gateway keeps answering', async (t) => {
  const stack = await startStack({ captureLevel: 'info' });
  try {
    const gateway = await stack.startGateway();
    const port = gateway.server.addresses()[0]!.port;
    // Captured on the wire from the real NAS (which requires Message-Authenticator), then
    // replayed with its source port set to 0.
    const captured = statusServer();
    const nas = await openPeer(port);
    try {
      t.is((await nas.exchange(captured, REPLY_WAIT_MS))?.[0], PacketCode.AccessAccept);
      await sendSpoofedUdp({ source: '127.0.0.1', sourcePort: 0, destinationPort: port }, [captured, captured]);
      await until('the gateway counts both replays from port 0', REPLY_WAIT_MS, () => dropsFromPortZero(gateway) === 2, 10);
      await nextTurns();
      t.is(gateway.server.counters.get('dropped', 'send-failed'), 0, 'nothing was even tried');
      t.is((await nas.exchange(statusServer({ identifier: 8 }), REPLY_WAIT_MS))?.[0], PacketCode.AccessAccept, 'still answering');
    } finally {
      await nas.close();
    }
  } finally {
    await stack.close();
  }
});

test('radgate serve does not exit on an Access-Request from source port 0', async (t) => {
  const stack = await startStack({ policy: MANY_FAILURES_POLICY, clients: LEGACY_NAS });
  try {
    await addUserWithToken(stack.admin, 'alice', PIN);
    const serve = await stack.startServe();
    let exitCode: number | null | undefined;
    void serve.exited.then((code) => (exitCode = code));
    const spoofed = accessRequest({ userName: 'alice', password: `${PIN}000000`, messageAuthenticator: false });
    await sendSpoofedUdp({ source: '127.0.0.2', sourcePort: 0, destinationPort: serve.port }, [spoofed, statusServer()]);
    // The gateway's own word that it read them: one warning line (the second is within the same minute for that source).
    const warned = serve.logged('the warning about port 0', (json) => typeof json.msg === 'string' && json.msg.includes('source port 0'), 1, patient(5000));
    await Promise.race([warned, serve.exited.then((code) => Promise.reject(new Error(`radgate serve exited (code ${code}):\n${serve.lines.join('\n')}`)))]);
    t.is(serve.countLogged((json) => json.event === 'decision'), 0, 'nothing was decided');
    const nas = await openNas({ port: serve.port });
    try {
      t.is((await nas.statusServer()).reply?.code, PacketCode.AccessAccept, 'still answering');
    } finally {
      await nas.close();
    }
    t.is(exitCode, undefined, 'still running');
  } finally {
    await stack.close();
  }
});

test('a reply the operating system refuses to send (a spoofed broadcast source) is dropped and counted; the gateway keeps answering', async (t) => {
  // A catch-all client entry, as some sites write one: a request claiming to come from the
  // limited broadcast address is then authentic to RFC 2865 and gets decided, but the
  // kernel refuses the reply (EACCES: the socket may not broadcast).
  const catchAll = '  - name: everyone\n    address: 0.0.0.0/0\n    secret_env: TEST_SECRET\n    require_message_authenticator: false\n';
  const stack = await startStack({ policy: MANY_FAILURES_POLICY, captureLevel: 'info', clients: catchAll });
  try {
    const gateway = await stack.startGateway();
    const port = gateway.server.addresses()[0]!.port;
    const spoofed = accessRequest({ userName: 'nobody', password: 'wrong', messageAuthenticator: false });
    await sendSpoofedUdp({ source: '255.255.255.255', sourcePort: 1812, destinationPort: port }, [spoofed]);
    await until('the gateway counts the reply it could not send', REPLY_WAIT_MS, () => gateway.server.counters.get('dropped', 'send-failed') === 1, 10);
    await nextTurns();
    t.true(stack.lines.some((line) => line.includes('could not send a reply') && line.includes('255.255.255.255')), 'a warning names the destination');
    const nas = await openNas({ port });
    try {
      t.is((await nas.statusServer()).reply?.code, PacketCode.AccessAccept, 'still answering');
    } finally {
      await nas.close();
    }
  } finally {
    await stack.close();
  }
});
