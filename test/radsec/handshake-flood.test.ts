import { connect } from 'node:net';
import test from 'ava';
import { PacketCode } from '../../src/protocol/codes.js';
import type { Gateway } from '../../src/serve/gateway.js';
import { statusServer } from '../../harness/packets.js';
import { REPLY_WAIT_MS } from '../../harness/patience.js';
import { makeRadsecFiles, RADSEC_SECRET, radsecSection, TEST_PSK_HEX, tlsPeer } from '../../harness/radsec.js';
import { startStack, type Stack } from '../../harness/stack.js';
import { until } from '../../harness/until.js';

// A burst of connections from one address past radsec.max_handshakes_per_second_per_address
// is refused before TLS starts (no signature is spent on it), counted by its reason, and a
// NAS at another address connects and is answered meanwhile.

let stack: Stack;
let gateway: Gateway;
let port: number;
const PER_ADDRESS = 5;
const BURST = 60;

test.before(async () => {
  const files = await makeRadsecFiles();
  stack = await startStack({ extra: radsecSection(files, { lines: `  max_handshakes_per_second_per_address: ${PER_ADDRESS}\n  max_handshakes_per_address: 1000\n` }) });
  gateway = await stack.startGateway();
  port = gateway.radsec!.addresses()[0]!.port;
});

test.after.always(async () => {
  await stack?.close();
});

test('a burst of connections from one address over the rate is refused and counted; a NAS elsewhere is answered', async (t) => {
  const counters = gateway.radsec!.counters;
  const before = counters.get('handshakes', 'address-rate-limited');
  const closed: Promise<unknown>[] = [];
  for (let i = 0; i < BURST; i++) {
    const socket = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
    socket.on('error', () => undefined);
    closed.push(new Promise((resolve) => socket.once('close', resolve)));
  }
  // The burst's connections stay open to the handshake timeout at most; the refused ones end now.
  await until('burst refused by rate', REPLY_WAIT_MS, () => counters.get('handshakes', 'address-rate-limited') - before > 0);
  const peer = await tlsPeer(port, { pskCallback: () => ({ identity: 'fr-psk', psk: Buffer.from(TEST_PSK_HEX, 'hex') }), ciphers: 'TLS_AES_128_GCM_SHA256', checkServerIdentity: () => undefined });
  peer.write(statusServer({ secret: RADSEC_SECRET }));
  t.is((await peer.reply())?.code, PacketCode.AccessAccept, 'a NAS at 127.0.0.1 is answered');
  peer.close();
  await Promise.all(closed);
  const refused = counters.get('handshakes', 'address-rate-limited') - before;
  // Each second window admits PER_ADDRESS; the burst spans a few windows at most on a loaded host.
  t.true(refused >= BURST - PER_ADDRESS * 4, `${refused} of ${BURST} refused by rate`);
});
