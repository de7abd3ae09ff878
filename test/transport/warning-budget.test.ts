import test from 'ava';
import { DEFAULT_WARNING_BUDGET } from '../../src/observability/rate-limited-log.js';
import { PacketCode } from '../../src/protocol/index.js';
import { openPeer } from '../../harness/datagram-peer.js';
import { openNas } from '../../harness/nas.js';
import { accessRequest } from '../../harness/packets.js';
import { REPLY_WAIT_MS } from '../../harness/patience.js';
import { startStack } from '../../harness/stack.js';
import { until } from '../../harness/until.js';

// Warnings about unknown clients are limited per source (one a minute) and, since a spoofer
// picks a new source for every packet, overall too: 2,000 sources must not make 2,000 log
// lines. Each source here is a real socket bound to its own loopback address (127.0.0.0/8
// is all loopback on Linux), none of them a configured client.

const SOURCES = 2000;
/** Sockets open at once, and datagrams in flight: well within the gateway's receive buffer. */
const BATCH = 100;

test(`${SOURCES} unknown sources make at most ${DEFAULT_WARNING_BUDGET} warning lines a minute, then one line saying how many were suppressed`, async (t) => {
  const stack = await startStack({ captureLevel: 'info' });
  try {
    const gateway = await stack.startGateway();
    const port = gateway.server.addresses()[0]!.port;
    const unknown = (): number => gateway.server.counters.get('dropped', 'unknown-client');
    for (let first = 0; first < SOURCES; first += BATCH) {
      const peers = await Promise.all(Array.from({ length: BATCH }, (_, i) => openPeer(port, `127.1.${(first + i) >> 8}.${(first + i) & 255}`)));
      for (const peer of peers) peer.send(accessRequest());
      await until(`the gateway drops the datagrams of sources ${first}–${first + BATCH - 1}`, REPLY_WAIT_MS, () => unknown() === first + BATCH, 10);
      await Promise.all(peers.map((peer) => peer.close()));
    }
    const warnings = (): string[] => stack.lines.filter((line) => line.includes('not a configured client'));
    t.is(unknown(), SOURCES, 'every datagram was read and counted');
    t.is(warnings().length, DEFAULT_WARNING_BUDGET);
    t.is(new Set(warnings().map((line) => (JSON.parse(line) as { source: string }).source)).size, DEFAULT_WARNING_BUDGET, 'one line per source');

    // The configured NAS is still served, and what it sends wrong is still logged: the
    // flood used up the budget of warnings about sources, not the one about clients.
    const nas = await openNas({ port });
    try {
      t.is((await nas.statusServer()).reply?.code, PacketCode.AccessAccept);
    } finally {
      await nas.close();
    }
    const legitimate = await openPeer(port);
    try {
      const malformed = accessRequest();
      malformed.writeUInt16BE(malformed.length + 1, 2);
      legitimate.send(malformed);
      await until('the malformed packet is counted', REPLY_WAIT_MS, () => gateway.server.counters.get('dropped', 'malformed') === 1, 10);
      t.true(stack.lines.some((line) => line.includes('dropped a malformed packet')));
    } finally {
      await legitimate.close();
    }

    // The summary is due when the minute ends, or at shutdown, whichever comes first.
    await gateway.server.stop();
    const summaries = stack.lines.filter((line) => line.includes('warnings suppressed'));
    t.is(summaries.length, 1);
    t.like(JSON.parse(summaries[0]!), { topic: 'sources', suppressed: SOURCES - DEFAULT_WARNING_BUDGET, budget: DEFAULT_WARNING_BUDGET });
  } finally {
    await stack.close();
  }
});
