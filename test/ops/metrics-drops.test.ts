import test from 'ava';
import { openPeer } from '../../harness/datagram-peer.js';
import { openNas } from '../../harness/nas.js';
import { deltas, scrape, series, type Samples } from '../../harness/ops.js';
import { accessRequest } from '../../harness/packets.js';
import { patient, REPLY_WAIT_MS } from '../../harness/patience.js';
import { sendSpoofedUdp } from '../../harness/raw-udp.js';
import { startStack } from '../../harness/stack.js';
import { until } from '../../harness/until.js';

// Issue 14: the drops metrics.test.ts cannot pin down with two workers (where a
// retransmission may reach either one), each made to happen exactly once against one
// gateway process: a datagram from port 0, a reply the kernel refuses, a retransmission
// while its request is decided, a request past its deadline, one while Redis is down.

// A catch-all entry without Message-Authenticator: a spoofed source needs no secret.
const CATCH_ALL = '  - name: everyone\n    address: 0.0.0.0/0\n    secret_env: TEST_SECRET\n    require_message_authenticator: false\n';
/** Shorter than the Redis command timeout (5000 ms, its most): a frozen Redis makes the deadline give up first. */
const REQUEST_TIMEOUT_MS = 1500;

test('workers: 1 — each kind of drop that needs a fault moves radgate_dropped_total by exactly one', async (t) => {
  const stack = await startStack({
    clients: CATCH_ALL,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    redis: '  command_timeout_ms: 5000\n',
  });
  const serve = await stack.startServe();
  const opsPort = serve.opsPort!;
  const dropped = (samples: Samples, reason: string): number => samples.get(series('radgate_dropped_total', { reason })) ?? 0;
  const droppedNow = async (reason: string): Promise<number> => dropped((await scrape(opsPort)).samples, reason);
  try {
    const before = (await scrape(opsPort)).samples;

    // From UDP source port 0, and from the limited broadcast address (the reply's send fails).
    await sendSpoofedUdp({ source: '127.0.0.3', sourcePort: 0, destinationPort: serve.port }, [accessRequest({ userName: 'nobody', messageAuthenticator: false })]);
    await until('the datagram from port 0 is counted', REPLY_WAIT_MS, async () => (await droppedNow('source-port-zero')) === 1);
    await sendSpoofedUdp({ source: '255.255.255.255', sourcePort: 1812, destinationPort: serve.port }, [accessRequest({ userName: 'nobody', messageAuthenticator: false })]);
    await until('the reply the kernel refused is counted', REPLY_WAIT_MS, async () => (await droppedNow('send-failed')) === 1);

    // Redis frozen: a request waits in decide.lua's round trip; its retransmission is a
    // duplicate in progress; at request_timeout_ms the first is given up.
    const peer = await openPeer(serve.port);
    stack.redis.freeze();
    try {
      const request = accessRequest({ userName: 'nobody' });
      peer.send(request);
      peer.send(request);
      await until('the retransmission is counted', REPLY_WAIT_MS, async () => (await droppedNow('duplicate-in-progress')) === 1);
      await until('the request is given up at its deadline', patient(REQUEST_TIMEOUT_MS * 3), async () => (await droppedNow('deadline')) === 1);
    } finally {
      stack.redis.thaw();
      await peer.close();
    }

    // Redis gone: the gateway stays silent (on_store_failure: drop), so the NAS fails over.
    await stack.redis.stop();
    const nas = await openNas({ port: serve.port, transmissions: 1, retransmitMs: REPLY_WAIT_MS });
    try {
      t.is((await nas.accessRequest('nobody', 'not-a-password')).reply, undefined, 'no answer without the store');
    } finally {
      await nas.close();
    }
    await until('the request without a store is counted', REPLY_WAIT_MS, async () => (await droppedNow('store-unavailable')) === 1);

    const after = (await scrape(opsPort)).samples;
    t.deepEqual(deltas(before, after, 'radgate_dropped_total'), {
      [series('radgate_dropped_total', { reason: 'source-port-zero' })]: 1,
      [series('radgate_dropped_total', { reason: 'send-failed' })]: 1,
      [series('radgate_dropped_total', { reason: 'duplicate-in-progress' })]: 1,
      [series('radgate_dropped_total', { reason: 'deadline' })]: 1,
      [series('radgate_dropped_total', { reason: 'store-unavailable' })]: 1,
    });
    t.is(after.get('radgate_redis_up'), 0, 'and the store is reported down');
  } finally {
    await serve.stop('SIGTERM');
    await stack.close();
  }
});
