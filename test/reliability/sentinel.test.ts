import test, { type ExecutionContext } from 'ava';
import { decodePacket, PacketCode } from '../../src/protocol/index.js';
import { startGateway } from '../../src/serve/gateway.js';
import { connectedPort, FAILOVER_GATEWAY, failoverUnderLoad, lingeringLogin, type FailoverRound } from '../../harness/failover.js';
import { openPeer } from '../../harness/datagram-peer.js';
import { accessRequest } from '../../harness/packets.js';
import { patient, REPLY_WAIT_MS } from '../../harness/patience.js';
import { OPERATOR, startRadgateOn, type RadgateOn } from '../../harness/stack.js';
import { ask } from '../../harness/topologies/ask.js';
import { SentinelTopology, type SentinelTopologyOptions } from '../../harness/topologies/sentinel.js';
import { until } from '../../harness/until.js';

// Redis Sentinel: one master, one replica and three sentinels (quorum 2) on
// loopback ports, radgate configured with `wait_replicas: 1`. A decision may only be
// answered once a replica holds it (WAIT), so that a failover can never bring back a code
// whose use was answered with an Accept.
//
// Each test has a Sentinel group of its own, so they run side by side.

/** From the fault to the first answer; the sentinels alone take 1–3 s of it (down-after 1 s). */
const RECOVERY_BOUND_MS = 15_000;

interface Setup {
  readonly topology: SentinelTopology;
  readonly radgate: RadgateOn;
}

async function withSentinel(t: ExecutionContext, options: SentinelTopologyOptions, run: (setup: Setup) => Promise<void>): Promise<void> {
  const topology = await SentinelTopology.start(options);
  let radgate: RadgateOn | undefined;
  try {
    radgate = await startRadgateOn(topology.url, FAILOVER_GATEWAY);
    await run({ topology, radgate });
  } finally {
    // What the gateway and the sentinels saw, for a failure's report.
    if (radgate !== undefined) {
      const storeLines = radgate.lines.filter((line) => line.includes('credential store'));
      t.log(`gateway store events (${storeLines.length}):\n${storeLines.slice(-12).join('\n')}`);
      await radgate.close();
    }
    const events = topology.sentinels[0]!.log().filter((line) => /switch-master|convert-to-slave|promoted-slave|failover-end|odown/.test(line));
    t.log(`sentinel events:\n${events.join('\n')}`);
    await topology.close();
  }
}

/** Single-use emergency passcodes for a new user of this test. */
async function singleUseCodes(radgate: RadgateOn, user: string, count: number): Promise<string[]> {
  await radgate.admin.service.addUser(user, '2468', OPERATOR);
  await radgate.admin.service.assignToken(user, {}, OPERATOR);
  return (await radgate.admin.service.issueCodes(user, { kind: 'emergency-passcode', uses: 1, count }, OPERATOR)).map((issued) => issued.code);
}

const accepts = (replies: readonly number[]): number => (replies.includes(PacketCode.AccessAccept) ? 1 : 0);

function checkRound(t: ExecutionContext, round: FailoverRound): void {
  const { fault, fromPort, toPort, finalPort, requests, datagrams, answered, accepted, acceptedBeforeFault, acceptedAfterSwitch, switchMs, recoverMs, burnt } = round;
  t.log(JSON.stringify({ fault, fromPort, toPort, finalPort, requests, datagrams, answered, accepted, acceptedBeforeFault, acceptedAfterSwitch, switchMs, recoverMs, burnt }));
  // A second switch right after the first is Sentinel's doing (see quickSentinels), not
  // radgate's; the gateway must then follow that one too.
  if (finalPort !== toPort) t.log(`the sentinels failed over a second time, to ${finalPort}`);
  t.deepEqual(round.doubleAccepted, [], 'no single-use code is accepted for two requests');
  t.deepEqual(round.unacknowledged, [], 'every accepted code shows its use on the master after the failover');
  t.is(round.inconsistent, 0, 'no request is answered both Accept and Reject');
  t.true(acceptedBeforeFault > 0 && acceptedAfterSwitch > 0, 'codes were accepted before the fault and after the switch');
  t.not(recoverMs, undefined, 'the gateway answers again after the failover, by itself');
  t.true((recoverMs ?? Infinity) <= RECOVERY_BOUND_MS, `answers again ${recoverMs} ms after the fault (bound ${RECOVERY_BOUND_MS} ms)`);
  t.is(round.gatewayPort, finalPort, "the gateway's connection is on the master the sentinels name");
}

test('SENTINEL FAILOVER under load: the gateway follows the new master, and no code is accepted twice', async (t) => {
  await withSentinel(t, {}, async ({ topology, radgate }) => {
    checkRound(t, await failoverUnderLoad(topology, radgate, 'sentinel-failover', { label: 'forced' }));
    await topology.settled();
  });
});

test('kill -9 of the master under load: the gateway follows the promoted replica, and no code is accepted twice', async (t) => {
  await withSentinel(t, {}, async ({ topology, radgate }) => {
    checkRound(t, await failoverUnderLoad(topology, radgate, 'kill-master', { label: 'killed' }));
    await topology.settled();
  });
});

test('no replica to acknowledge (wait_replicas: 1): no Accept, neither for the request nor for its retransmissions', async (t) => {
  await withSentinel(t, {}, async ({ topology, radgate }) => {
    const [first, second, third] = await singleUseCodes(radgate, 'lonely', 3);
    t.deepEqual((await lingeringLogin(radgate.port, 'lonely', first!, { firstReply: true, gatewayRequestTimeoutMs: radgate.config.requestTimeoutMs })).replies, [PacketCode.AccessAccept], 'with the replica up');

    const { master, replica } = await topology.settled();
    await topology.stopNode(replica);
    await until('the master has no replica left', patient(5000), async () => String(await ask(master, 'INFO', 'replication')).includes('connected_slaves:0'));
    // Three sends a second apart, as a NAS retransmits: WAIT cannot succeed for any of them.
    const alone = await lingeringLogin(radgate.port, 'lonely', second!, { gatewayRequestTimeoutMs: radgate.config.requestTimeoutMs });
    t.deepEqual(alone.replies, [], 'not answered at all (on_store_failure: drop), and above all no Accept');
    t.is(alone.transmissions, 3, 'the NAS got no answer and retransmitted');

    await topology.restartAsReplica(replica, master);
    await topology.settled();
    t.deepEqual((await lingeringLogin(radgate.port, 'lonely', third!, { firstReply: true, gatewayRequestTimeoutMs: radgate.config.requestTimeoutMs })).replies, [PacketCode.AccessAccept], 'answered again once a replica is back');
    // The unanswered request may have used its code (the script ran before WAIT failed);
    // what must never happen is an Accept for it now after having answered it before.
    const again = await lingeringLogin(radgate.port, 'lonely', second!, { gatewayRequestTimeoutMs: radgate.config.requestTimeoutMs });
    t.true(accepts(alone.replies) + accepts(again.replies) <= 1, `accepted at most once (then ${alone.replies}, now ${again.replies})`);
  });
});

test('a code typed between the promotion and the old master becoming a replica is accepted at most once', async (t) => {
  // Default sentinel periods: the old master is turned into a replica about 10 s after the
  // switch, and until then it still takes writes from clients connected to it.
  await withSentinel(t, { quickSentinels: false }, async ({ topology, radgate }) => {
    const [code] = await singleUseCodes(radgate, 'straddle', 1);
    const { master: oldMaster } = await topology.settled(patient(45_000));
    await topology.forceFailover();
    const newMaster = await topology.switched(oldMaster);
    const during = await lingeringLogin(radgate.port, 'straddle', code!, { gatewayRequestTimeoutMs: radgate.config.requestTimeoutMs });
    t.log(`during the switch: replies ${JSON.stringify(during.replies)}, gateway on ${await connectedPort(radgate.gateway.store.redis)}, old master ${oldMaster} says ${String(((await ask(oldMaster, 'ROLE')) as string[])[0])}, new master ${newMaster}`);

    await topology.replicating(oldMaster, newMaster);
    const after = await lingeringLogin(radgate.port, 'straddle', code!, { gatewayRequestTimeoutMs: radgate.config.requestTimeoutMs });
    t.not(after.replies.length, 0, 'the gateway answers once the old master is a replica');
    t.true(accepts(during.replies) + accepts(after.replies) <= 1, `the code is accepted at most once (during ${during.replies}, after ${after.replies})`);
  });
});

test('a retransmission that reaches another gateway instance is not answered before a replica holds the decision', async (t) => {
  await withSentinel(t, {}, async ({ topology, radgate }) => {
    // A second instance on the same Redis, as behind a load balancer: a NAS retransmission
    // may reach either, and the stored decision answers it there too.
    const second = await startGateway(radgate.config, radgate.logger, { connectTimeoutMs: patient(5000) });
    const toFirst = await openPeer(radgate.port);
    const toSecond = await openPeer(second.server.addresses()[0]!.port);
    let replica: number | undefined;
    try {
      const [code] = await singleUseCodes(radgate, 'twice', 1);
      replica = (await topology.settled()).replica;
      // Frozen, the replica stays connected (the master notices only after repl-timeout,
      // 60 s) but acknowledges nothing more: WAIT must time out, whichever instance asks.
      topology.node(replica).freeze();
      const request = accessRequest({ identifier: 42, userName: 'twice', password: code! });
      const unacknowledged = (gateway: { server: { counters: { get(name: 'dropped', label: string): number } } }) => gateway.server.counters.get('dropped', 'store-unavailable');
      toFirst.send(request);
      await until('the first instance drops the request: no replica acknowledged it', REPLY_WAIT_MS * 2, () => unacknowledged(radgate.gateway) === 1);
      // The same bytes to the other instance: the same fingerprint, so it finds the decision.
      toSecond.send(request);
      await until('the second instance drops the retransmission too', REPLY_WAIT_MS * 2, () => unacknowledged(second) === 1);
      // Dropped by both, so no reply can follow; whatever arrived meanwhile is here.
      const replies = [await toFirst.receive(0), await toSecond.receive(0)].filter((reply) => reply !== undefined).map((reply) => decodePacket(reply!).code);
      t.false(replies.includes(PacketCode.AccessAccept), `no Accept while the replica acknowledges nothing (got ${JSON.stringify(replies)})`);
    } finally {
      if (replica !== undefined) topology.node(replica).thaw();
      await toFirst.close();
      await toSecond.close();
      await second.stop();
    }
  });
});
