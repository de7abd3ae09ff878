import test from 'ava';
import { PacketCode } from '../../src/protocol/index.js';
import { INDEX_BYTES_PER_USER_COPY } from '../../src/observability/gateway-metrics.js';
import { openPeer } from '../../harness/datagram-peer.js';
import { openNas } from '../../harness/nas.js';
import { totpAt } from '../../harness/otp.js';
import { accessRequest, handBuilt, TEST_SECRET } from '../../harness/packets.js';
import { patient, REPLY_WAIT_MS } from '../../harness/patience.js';
import { deltas, scrape, series } from '../../harness/ops.js';
import { OPERATOR, startStack } from '../../harness/stack.js';
import { until } from '../../harness/until.js';
import { addUserWithToken, issue } from '../../harness/users.js';

// Issue 14: /metrics moves by exactly the expected amounts after a known sequence of
// accepts, rejects, challenges and each kind of drop, with workers: 2 — one view, merged
// by the primary from both workers, whichever worker each datagram reached.

const USERS = ['alice', 'carol', 'dave', 'erin'];
const PIN = '1234';

test('workers: 2 — /metrics counts every accept, reject, challenge, lockout, alert and drop exactly once', async (t) => {
  const stack = await startStack({
    policy: '  reject_delay_ms: 0\n  max_failures: 3\n',
    extra: 'challenge:\n  enabled: true\n',
  });
  // Every user exists before the gateway starts: nothing depends on when copies are made.
  const tokens = new Map<string, string>();
  for (const user of USERS) tokens.set(user, await addUserWithToken(stack.admin, user, PIN));
  const [passcode] = await issue(stack.admin, 'alice', { kind: 'emergency-passcode' });
  await stack.admin.service.markTokenLost('dave', OPERATOR);
  const serve = await stack.startServe({ config: { workers: 2, policy: '  reject_delay_ms: 0\n  max_failures: 3\n', extra: 'challenge:\n  enabled: true\n' } });
  // One transmission each, waited for patiently: a retransmission could reach the other
  // worker and be counted as a second request (replayed from Redis), blurring the counts.
  const nas = await openNas({ port: serve.port, transmissions: 1, retransmitMs: patient(5000) });
  const opsPort = serve.opsPort!;
  try {
    const before = (await scrape(opsPort)).samples;
    const code = async (user: string, password: string): Promise<number | undefined> => (await nas.accessRequest(user, password)).reply?.code;

    t.is(await code('alice', passcode!.code), PacketCode.AccessAccept, 'emergency passcode');
    t.is(await code('alice', `9999${totpAt(tokens.get('alice')!, Date.now())}`), PacketCode.AccessReject, 'wrong PIN');
    t.is(await code('nobody', '1234567890'), PacketCode.AccessReject, 'unknown user');
    t.is(await code('carol', PIN), PacketCode.AccessChallenge, 'the PIN alone: a challenge');
    t.is(await code('dave', `${PIN}${totpAt(tokens.get('dave')!, Date.now())}`), PacketCode.AccessReject, 'a lost token: refused, an alert');
    for (let i = 0; i < 3; i++) t.is(await code('erin', '0000000000'), PacketCode.AccessReject, 'wrong PIN towards a lockout');
    t.is((await nas.statusServer()).reply?.code, PacketCode.AccessAccept, 'Status-Server');

    // Drops, each of its own kind: nothing answers them, so wait until every datagram was read.
    const stranger = await openPeer(serve.port, '127.0.0.2');
    const peer = await openPeer(serve.port);
    stranger.send(accessRequest({ userName: 'alice' }));
    peer.send(accessRequest({ userName: 'alice', secret: Buffer.from('not-the-secret-of-this-nas') }));
    peer.send(accessRequest({ userName: 'alice', messageAuthenticator: false }));
    peer.send(handBuilt(PacketCode.AccessRequest, Buffer.from([1, 1]))); // an attribute of length 1
    peer.send(handBuilt(PacketCode.AccountingRequest, Buffer.alloc(0)));
    const sent = 8 + 1 + 5;
    const received = series('radgate_datagrams_received_total');
    const after = await until('every datagram was read by a worker', REPLY_WAIT_MS * 2, async () => {
      const { samples } = await scrape(opsPort);
      return (samples.get(received) ?? 0) - (before.get(received) ?? 0) === sent && samples;
    });
    await stranger.close();
    await peer.close();

    const request = (code: string, result: string, method: string, reason: string): string =>
      series('radgate_requests_total', { transport: 'udp', client: 'test-nas', code, result, method, reason });
    t.deepEqual(deltas(before, after, 'radgate_requests_total'), {
      [request('Access-Request', 'accept', 'emergency-passcode', '')]: 1,
      [request('Access-Request', 'reject', '', 'bad-pin')]: 4,
      [request('Access-Request', 'reject', '', 'unknown-user')]: 1,
      [request('Access-Request', 'challenge', 'offline-authcode', '')]: 1,
      [request('Access-Request', 'reject', '', 'lost-token')]: 1,
      [request('Status-Server', 'accept', '', '')]: 1,
    });
    t.deepEqual(deltas(before, after, 'radgate_dropped_total'), {
      [series('radgate_dropped_total', { reason: 'unknown-client' })]: 1,
      [series('radgate_dropped_total', { reason: 'RADGATE_RADIUS_MESSAGE_AUTHENTICATOR_INVALID' })]: 1,
      [series('radgate_dropped_total', { reason: 'RADGATE_RADIUS_MESSAGE_AUTHENTICATOR_MISSING' })]: 1,
      [series('radgate_dropped_total', { reason: 'malformed' })]: 1,
      [series('radgate_dropped_total', { reason: 'accounting' })]: 1,
    });
    t.is(Object.values(deltas(before, after, 'radgate_malformed_total')).reduce((sum, n) => sum + n, 0), 1, 'one malformed packet, under its codec code');
    t.deepEqual(deltas(before, after, 'radgate_replies_total'), {
      [series('radgate_replies_total', { code: 'Access-Accept' })]: 2,
      [series('radgate_replies_total', { code: 'Access-Reject' })]: 6,
      [series('radgate_replies_total', { code: 'Access-Challenge' })]: 1,
    });
    t.deepEqual(deltas(before, after, 'radgate_lockouts_total'), { radgate_lockouts_total: 1 });
    t.deepEqual(deltas(before, after, 'radgate_lost_token_alerts_total'), { radgate_lost_token_alerts_total: 1 });
    const decided = (code: string, result: string): string => series('radgate_decision_duration_seconds_count', { code, result });
    t.like(deltas(before, after, 'radgate_decision_duration_seconds_count'), {
      [decided('Access-Request', 'accept')]: 1,
      [decided('Access-Request', 'reject')]: 6,
      [decided('Access-Request', 'challenge')]: 1,
      [decided('Status-Server', 'accept')]: 1,
    });
    // Each login is one or two round trips (two when a worker's copy is out of date, e.g.
    // after the other worker sent carol's challenge); Status-Server and drops none.
    const roundTrips = after.get('radgate_redis_commands_total')! - (before.get('radgate_redis_commands_total') ?? 0);
    t.true(roundTrips >= 8 && roundTrips <= 16, `${roundTrips} round trips for 8 logins`);
    t.is(after.get('radgate_redis_command_errors_total'), before.get('radgate_redis_command_errors_total'));
    t.is(after.get('radgate_redis_up'), 1);
    t.is(after.get('radgate_pending_challenges'), 1, "carol's request code, seen by the worker that sent it");
    t.is(after.get('radgate_user_copies'), 2 * USERS.length, 'each worker holds a copy of every user');
    // Each worker's arena has one 1 MB chunk for its few copies, and 62 B per copy besides.
    t.is(after.get('radgate_user_copies_bytes'), 2 * 1024 * 1024 + 2 * USERS.length * INDEX_BYTES_PER_USER_COPY, 'the arenas as allocated, not an estimate per copy');
    t.is(after.get(series('radgate_build_info', { node: process.version, version: '0.1.0' })), 1, 'one build_info series, not one per worker');

    // Never a user name, a PIN-bearing password or a secret in what Prometheus stores.
    const { text } = await scrape(opsPort);
    for (const user of [...USERS, 'nobody']) t.false(text.includes(user), user);
    t.false(text.includes(TEST_SECRET.toString()));
    t.false(text.includes(passcode!.code));
  } finally {
    await nas.close();
    await stack.close();
  }
});
