import { connect, type Socket } from 'node:net';
import test from 'ava';
import { PacketCode } from '../../src/protocol/codes.js';
import type { Gateway } from '../../src/serve/gateway.js';
import type { CloseReason } from '../../src/transport/radsec-connection.js';
import { accessRequest, handBuilt, statusServer } from '../../harness/packets.js';
import { patient, REPLY_WAIT_MS } from '../../harness/patience.js';
import { makeRadsecFiles, RADSEC_SECRET, radsecSection, TEST_PSK_HEX, tlsPeer, type TlsPeer } from '../../harness/radsec.js';
import { startStack, type Stack } from '../../harness/stack.js';
import { until } from '../../harness/until.js';

// What a hostile or broken peer can send over RadSec (RFC 6614 §2.5, RFC 6613 §2.6.4):
// lengths that make the stream unreadable, a packet that never completes, a handshake that
// never happens, and a flood of connections. Each bad connection is closed and counted; a
// good peer on its own connection is answered throughout.

let stack: Stack;
let gateway: Gateway;
let port: number;

test.before(async () => {
  const files = await makeRadsecFiles();
  // Handshake rates out of the way: this file is about the connection and in-progress limits
  // (handshake-flood.test.ts is about the rates).
  const lines = '  handshake_timeout_ms: 1000\n  max_handshakes_per_address: 16\n  max_connections: 400\n  max_handshakes_per_second: 100000\n  max_handshakes_per_second_per_address: 100000\n';
  stack = await startStack({ extra: radsecSection(files, { lines }) });
  gateway = await stack.startGateway();
  port = gateway.radsec!.addresses()[0]!.port;
});

test.after.always(async () => {
  await stack?.close();
});

const psk = { pskCallback: () => ({ identity: 'fr-psk', psk: Buffer.from(TEST_PSK_HEX, 'hex') }), ciphers: 'TLS_AES_128_GCM_SHA256', checkServerIdentity: () => undefined };
const good = (): Promise<TlsPeer> => tlsPeer(port, psk);

/** A good peer's Status-Server is answered: the gateway is not blocked by the others. */
async function stillAnswers(t: { is: (a: unknown, b: unknown, m?: string) => void }): Promise<void> {
  const peer = await good();
  peer.write(statusServer({ secret: RADSEC_SECRET }));
  t.is((await peer.reply())?.code, PacketCode.AccessAccept, 'a good peer is answered');
  peer.close();
}

async function closedFor(t: { is: (a: unknown, b: unknown, m?: string) => void }, reason: CloseReason, bytes: Buffer): Promise<void> {
  const before = gateway.radsec!.counters.get('closed', reason);
  const peer = await good();
  peer.write(bytes);
  await peer.closed;
  await until(`closed as ${reason}`, REPLY_WAIT_MS, () => gateway.radsec!.counters.get('closed', reason) > before);
  await stillAnswers(t);
}

test.serial('partial and coalesced packets: one packet in 1-byte writes, three packets in one write, all answered', async (t) => {
  const peer = await good();
  const one = statusServer({ secret: RADSEC_SECRET, identifier: 1 });
  for (const byte of one) {
    peer.socket.write(Buffer.from([byte]));
    await new Promise((resolve) => setImmediate(resolve));
  }
  t.is((await peer.reply())?.identifier, 1);
  peer.write(Buffer.concat([2, 3, 4].map((identifier) => statusServer({ secret: RADSEC_SECRET, identifier }))));
  const ids = [(await peer.reply())?.identifier, (await peer.reply())?.identifier, (await peer.reply())?.identifier];
  t.deepEqual(ids.sort(), [2, 3, 4]);
  peer.close();
});

test.serial('256 Access-Requests in flight on one connection are all answered', async (t) => {
  const peer = await good();
  peer.write(Buffer.concat(Array.from({ length: 256 }, (_, identifier) => accessRequest({ secret: RADSEC_SECRET, identifier, userName: `nobody${identifier}`, password: 'x' }))));
  const answered = new Set<number>();
  for (let i = 0; i < 256; i++) {
    const reply = await peer.reply(patient(5000));
    if (reply === undefined) break;
    answered.add(reply.identifier);
  }
  t.is(answered.size, 256);
  peer.close();
});

test.serial('a retransmission on the same connection gets the cached reply, not a second decision', async (t) => {
  const peer = await good();
  const request = accessRequest({ secret: RADSEC_SECRET, identifier: 9, userName: 'nobody', password: 'x' });
  peer.write(request);
  const first = await peer.reply();
  const hits = gateway.radsec!.counters.get('retransmissions');
  peer.write(request);
  const second = await peer.reply();
  t.deepEqual(second, first);
  t.is(gateway.radsec!.counters.get('retransmissions'), hits + 1);
  peer.close();
});

test.serial('a Length of 0 closes the connection', async (t) => closedFor(t, 'length-too-small', handBuilt(PacketCode.AccessRequest, Buffer.alloc(0), { length: 0 })));
test.serial('a Length of 19 closes the connection', async (t) => closedFor(t, 'length-too-small', handBuilt(PacketCode.AccessRequest, Buffer.alloc(0), { length: 19 })));
test.serial('a Length of 4097 closes the connection', async (t) => closedFor(t, 'length-too-large', handBuilt(PacketCode.AccessRequest, Buffer.alloc(0), { length: 4097 })));
test.serial('garbage that frames but does not decode closes the connection', async (t) => closedFor(t, 'malformed', handBuilt(PacketCode.AccessRequest, Buffer.from([1, 1]), { length: 22 })));

test.serial('a request failing the Message-Authenticator check (wrong secret) closes the connection', async (t) => closedFor(t, 'unauthentic', accessRequest({ secret: Buffer.from('not-the-radsec-secret'), userName: 'nobody', password: 'x' })));

test.serial('a Length longer than what arrives: closed once the packet has not completed in time', async (t) => {
  await closedFor(t, 'partial-packet-timeout', handBuilt(PacketCode.AccessRequest, Buffer.alloc(10), { length: 200 }).subarray(0, 30));
});

test.serial('packets split across writes for longer than the partial-packet timeout: each completes in time, the connection stays open', async (t) => {
  const peer = await good();
  const closedBefore = gateway.radsec!.counters.get('closed', 'partial-packet-timeout');
  // Each write ends half-way through the next packet, so some packet is always partial; each
  // packet completes within 300 ms, and the whole run lasts well past the 1000 ms bound.
  const packets = Array.from({ length: 12 }, (_, identifier) => statusServer({ secret: RADSEC_SECRET, identifier }));
  const stream = Buffer.concat(packets);
  const half = Math.floor(packets[0]!.length / 2);
  let at = 0;
  for (let i = 0; i < packets.length; i++) {
    const end = Math.min(stream.length, (i + 1) * packets[0]!.length + half);
    peer.write(stream.subarray(at, end));
    at = end;
    t.is((await peer.reply())?.identifier, i, `packet ${i} answered`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.false(peer.socket.destroyed, 'still open');
  t.is(gateway.radsec!.counters.get('closed', 'partial-packet-timeout'), closedBefore);
  peer.close();
});

test.serial('a slow-loris handshake (TCP open, nothing sent) is closed at the handshake timeout and counted', async (t) => {
  const before = gateway.radsec!.counters.get('handshakes', 'timeout');
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => socket.once('close', resolve));
  t.true(gateway.radsec!.counters.get('handshakes', 'timeout') > before);
  await stillAnswers(t);
});

test.serial('a thousand connections from one address: each is closed and counted, a good peer is answered meanwhile', async (t) => {
  const counters = gateway.radsec!.counters;
  const before = counters.get('handshakes', 'over-capacity') + counters.get('handshakes', 'timeout');
  const closed: Promise<unknown>[] = [];
  for (let i = 0; i < 1000; i++) {
    const socket: Socket = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
    socket.on('error', () => undefined);
    closed.push(new Promise((resolve) => socket.once('close', resolve)));
  }
  // From another address, during the flood: over the per-address limit the flood costs nothing.
  await stillAnswers(t);
  // The gateway ends every one of them: refused on arrival, or at the handshake timeout.
  await Promise.all(closed);
  await until('every flood connection counted', REPLY_WAIT_MS, () => counters.get('handshakes', 'over-capacity') + counters.get('handshakes', 'timeout') - before >= 1000);
  t.true(counters.get('handshakes', 'over-capacity') > 0);
  await stillAnswers(t);
});
