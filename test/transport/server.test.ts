import test from 'ava';
import {
  AttributeType,
  decodePacket,
  PacketCode,
  randomAuthenticator,
  RadiusErrorCode,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
} from '../../src/protocol/index.js';
import { openPeer, type DatagramPeer } from '../../harness/datagram-peer.js';
import { REPLY_WAIT_MS } from '../../harness/patience.js';
import type { ServerCounter } from '../../src/transport/server.js';
import { ScriptedHandler, startServer, testClient, type TestServer } from '../../harness/server.js';
import { until } from '../../harness/until.js';
import { accessRequest, handBuilt, proxyState, statusServer, TEST_SECRET } from '../../harness/packets.js';
import { sendSpoofedUdp } from '../../harness/raw-udp.js';

async function withGateway(
  options: Parameters<typeof startServer>[0],
  body: (gateway: TestServer, peer: DatagramPeer) => Promise<void>,
): Promise<void> {
  const gateway = await startServer(options);
  const peer = await openPeer(gateway.port);
  try {
    await body(gateway, peer);
  } finally {
    await peer.close();
    await gateway.server.stop();
  }
}

/** Checks what every reply must be: Message-Authenticator first and valid, authenticators right. */
function assertSoundReply(t: import('ava').ExecutionContext, replyBytes: Buffer | undefined, requestBytes: Buffer): ReturnType<typeof decodePacket> {
  t.truthy(replyBytes, 'expected a reply');
  const request = decodePacket(requestBytes);
  const reply = decodePacket(replyBytes!);
  t.is(reply.identifier, request.identifier);
  t.deepEqual([replyBytes![20], replyBytes![21]], [0x50, 0x12], 'Message-Authenticator is the first attribute');
  t.true(verifyMessageAuthenticator(reply, TEST_SECRET, request.authenticator));
  t.true(verifyResponseAuthenticator(reply, request.authenticator, TEST_SECRET));
  return reply;
}

/**
 * Sends bytes the server must not answer and waits until it counts them under `counter`
 * `label` (`times` more than before): once it has, no reply can follow. Returns whatever
 * datagram came back meanwhile, which must be nothing.
 */
async function dropped(gateway: TestServer, peer: DatagramPeer, packets: Buffer | Buffer[], counter: ServerCounter, label: string): Promise<Buffer | undefined> {
  const list = Array.isArray(packets) ? packets : [packets];
  const before = gateway.server.counters.get(counter, label);
  for (const packet of list) peer.send(packet);
  await until(`the server counts ${counter} ${label}`, REPLY_WAIT_MS, () => gateway.server.counters.get(counter, label) >= before + list.length, 10);
  return peer.receive(0);
}

test('answers an Access-Request with the handler decision and its attributes', async (t) => {
  const handler = new ScriptedHandler(() => ({
    action: 'accept',
    attributes: [
      { name: 'Session-Timeout', value: 3600 },
      { name: 'Fortinet-Group-Name', value: 'vpn-users' },
    ],
  }));
  await withGateway({ handler }, async (_gateway, peer) => {
    const request = accessRequest({ userName: 'alice', password: 'pin123456' });
    const reply = assertSoundReply(t, await peer.exchange(request, REPLY_WAIT_MS), request);
    t.is(reply.code, PacketCode.AccessAccept);
    t.deepEqual(reply.attributes[1], { type: AttributeType.Class + 2, value: Buffer.from('00000e10', 'hex') });
    t.is(reply.attributes[2]!.type, AttributeType.VendorSpecific);
    t.is(handler.calls.length, 1);
    t.is(handler.calls[0]!.userName, 'alice');
    t.is(handler.calls[0]!.password()?.toString(), 'pin123456');
  });
});

test('reject and challenge map to their codes', async (t) => {
  let action: 'reject' | 'challenge' = 'reject';
  const handler = new ScriptedHandler(() => ({ action, attributes: [{ name: 'Reply-Message', value: 'try again' }] }));
  await withGateway({ handler }, async (_gateway, peer) => {
    const first = accessRequest({ identifier: 1 });
    t.is(assertSoundReply(t, await peer.exchange(first, REPLY_WAIT_MS), first).code, PacketCode.AccessReject);
    action = 'challenge';
    const second = accessRequest({ identifier: 2 });
    t.is(assertSoundReply(t, await peer.exchange(second, REPLY_WAIT_MS), second).code, PacketCode.AccessChallenge);
  });
});

test('a retransmission gets byte-identical reply bytes and the handler runs once', async (t) => {
  await withGateway({}, async (gateway, peer) => {
    const request = accessRequest();
    const first = await peer.exchange(request, REPLY_WAIT_MS);
    const second = await peer.exchange(request, REPLY_WAIT_MS);
    t.truthy(first);
    t.deepEqual(second, first);
    t.is(gateway.handler.calls.length, 1);
    t.is(gateway.server.counters.get('retransmissions'), 1);
  });
});

test('a duplicate of a request still in progress is dropped, then the reply is cached', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const handler = new ScriptedHandler(async () => {
    await gate;
    return { action: 'accept' };
  });
  await withGateway({ handler }, async (gateway, peer) => {
    const request = accessRequest();
    peer.send(request);
    peer.send(request);
    await until('the copy is dropped while the first is in progress', REPLY_WAIT_MS, () => gateway.server.counters.get('dropped', 'duplicate-in-progress') === 1, 10);
    release();
    const reply = await peer.receive(REPLY_WAIT_MS);
    t.truthy(reply);
    t.is(await peer.receive(0), undefined, 'only one reply for two copies');
    t.is(handler.calls.length, 1);
  });
});

test('a new Request Authenticator with the same Identifier is a new request', async (t) => {
  await withGateway({}, async (gateway, peer) => {
    const first = accessRequest({ identifier: 9 });
    const second = accessRequest({ identifier: 9 });
    assertSoundReply(t, await peer.exchange(first, REPLY_WAIT_MS), first);
    assertSoundReply(t, await peer.exchange(second, REPLY_WAIT_MS), second);
    t.is(gateway.handler.calls.length, 2);
  });
});

test('Proxy-State is echoed unmodified and in order, after the reply attributes', async (t) => {
  const handler = new ScriptedHandler(() => ({ action: 'accept', attributes: [{ name: 'Reply-Message', value: 'hi' }] }));
  await withGateway({ handler }, async (_gateway, peer) => {
    const states = [proxyState('first'), { type: AttributeType.ProxyState, value: Buffer.from([0, 1, 2, 255]) }, proxyState('third')];
    const request = accessRequest({ attributes: states });
    const reply = assertSoundReply(t, await peer.exchange(request, REPLY_WAIT_MS), request);
    const echoed = reply.attributes.filter((attribute) => attribute.type === AttributeType.ProxyState).map((attribute) => attribute.value);
    t.deepEqual(echoed, states.map((state) => state.value));
    t.is(reply.attributes.at(-3)!.type, AttributeType.ProxyState);
  });
});

test('Status-Server is answered with Access-Accept only while the handler is healthy', async (t) => {
  await withGateway({}, async (gateway, peer) => {
    const probe = statusServer();
    const reply = assertSoundReply(t, await peer.exchange(probe, REPLY_WAIT_MS), probe);
    t.is(reply.code, PacketCode.AccessAccept);
    gateway.handler.healthy = false;
    t.is(await dropped(gateway, peer, statusServer({ identifier: 8 }), 'dropped', 'unhealthy'), undefined);
    t.is(gateway.server.counters.get('dropped', 'unhealthy'), 1);
    gateway.handler.healthy = true;
    const again = statusServer({ identifier: 9 });
    t.is(assertSoundReply(t, await peer.exchange(again, REPLY_WAIT_MS), again).code, PacketCode.AccessAccept);
    t.is(gateway.handler.calls.length, 0, 'Status-Server never reaches the policy handler');
  });
});

/** Each malformed or unauthentic packet is dropped, counted, and the server keeps answering. */
const refusals: [string, () => Buffer, string, string][] = [
  ['length 19', () => Buffer.alloc(19, 1), 'malformed', RadiusErrorCode.TooShort],
  ['Length beyond the datagram', () => handBuilt(1, Buffer.from([1, 6, 0x61, 0x62, 0x63, 0x64]), { length: 60 }), 'malformed', RadiusErrorCode.LengthExceedsDatagram],
  ['attribute length 0', () => handBuilt(1, Buffer.from([1, 0, 0x61])), 'malformed', RadiusErrorCode.AttributeLengthTooSmall],
  ['attribute length 1', () => handBuilt(1, Buffer.from([1, 1, 0x61])), 'malformed', RadiusErrorCode.AttributeLengthTooSmall],
  ['attribute overflow', () => handBuilt(1, Buffer.from([1, 40, 0x61])), 'malformed', RadiusErrorCode.AttributeOverflow],
  ['two Message-Authenticators', () => handBuilt(1, Buffer.concat([Buffer.from([80, 18]), Buffer.alloc(16), Buffer.from([80, 18]), Buffer.alloc(16)])), 'malformed', RadiusErrorCode.MessageAuthenticatorDuplicate],
  ['Message-Authenticator of length 17', () => handBuilt(1, Buffer.concat([Buffer.from([80, 17]), Buffer.alloc(15)])), 'malformed', RadiusErrorCode.MessageAuthenticatorLength],
  ['no Message-Authenticator', () => accessRequest({ messageAuthenticator: false }), 'dropped', RadiusErrorCode.MessageAuthenticatorMissing],
  ['a Message-Authenticator altered in one byte', () => {
    const bytes = accessRequest();
    bytes[30]! ^= 0x01;
    return bytes;
  }, 'dropped', RadiusErrorCode.MessageAuthenticatorInvalid],
  ['a wrong shared secret', () => accessRequest({ secret: Buffer.from('the-wrong-secret-value') }), 'dropped', RadiusErrorCode.MessageAuthenticatorInvalid],
  ['Status-Server without Message-Authenticator', () => handBuilt(PacketCode.StatusServer, Buffer.alloc(0)), 'dropped', RadiusErrorCode.MessageAuthenticatorMissing],
  ['an Accounting-Request', () => handBuilt(PacketCode.AccountingRequest, Buffer.from([40, 6, 0, 0, 0, 1])), 'dropped', 'accounting'],
  ['an Access-Accept sent to the server', () => handBuilt(PacketCode.AccessAccept, Buffer.alloc(0)), 'dropped', 'unsupported-code'],
];

for (const [name, build, counter, label] of refusals) {
  test(`drops ${name}, counts it, and keeps answering`, async (t) => {
    await withGateway({}, async (gateway, peer) => {
      t.is(await dropped(gateway, peer, build(), counter as ServerCounter, label), undefined);
      t.is(gateway.server.counters.get(counter as ServerCounter, label), 1);
      const valid = accessRequest();
      assertSoundReply(t, await peer.exchange(valid, REPLY_WAIT_MS), valid);
      t.is(gateway.handler.calls.length, 1, 'only the valid request reached the handler');
    });
  });
}

test('Proxy-State without Message-Authenticator is dropped even when the client does not require one', async (t) => {
  const clients = [testClient({ requireMessageAuthenticator: false })];
  await withGateway({ clients }, async (gateway, peer) => {
    t.is(await dropped(gateway, peer, accessRequest({ messageAuthenticator: false, attributes: [proxyState('p')] }), 'dropped', RadiusErrorCode.ProxyStateWithoutMessageAuthenticator), undefined);
    t.is(gateway.server.counters.get('dropped', RadiusErrorCode.ProxyStateWithoutMessageAuthenticator), 1);
    // The legacy client without Message-Authenticator is still served (pam_radius_auth does this).
    const legacy = accessRequest({ messageAuthenticator: false });
    assertSoundReply(t, await peer.exchange(legacy, REPLY_WAIT_MS), legacy);
  });
});

test('packets from an unknown address are dropped, counted and logged at most once per interval', async (t) => {
  const clients = [testClient({ address: '192.0.2.0/24' })];
  await withGateway({ clients }, async (gateway, peer) => {
    const packets = Array.from({ length: 5 }, (_, identifier) => accessRequest({ identifier }));
    t.is(await dropped(gateway, peer, packets, 'dropped', 'unknown-client'), undefined);
    t.is(gateway.server.counters.get('dropped', 'unknown-client'), 5);
    t.is(gateway.lines.filter((line) => line.includes('not a configured client')).length, 1);
  });
});

test('a datagram from source port 0 is dropped and counted before the handler runs, and the server goes on', async (t) => {
  await withGateway({}, async (gateway, peer) => {
    await sendSpoofedUdp({ source: '127.0.0.1', sourcePort: 0, destinationPort: gateway.port }, [accessRequest(), statusServer()]);
    await until('the server counts both', REPLY_WAIT_MS, () => gateway.server.counters.get('dropped', 'source-port-zero') === 2, 10);
    t.is(gateway.handler.calls.length, 0);
    t.is(gateway.lines.filter((line) => line.includes('source port 0')).length, 1, 'one warning for that source this minute');
    const valid = accessRequest();
    assertSoundReply(t, await peer.exchange(valid, REPLY_WAIT_MS), valid);
  });
});

test('the most specific client network supplies the secret', async (t) => {
  const clients = [
    testClient({ name: 'wide', address: '127.0.0.0/8', secret: Buffer.from('wide-network-secret-0') }),
    testClient({ name: 'host', address: '127.0.0.1/32' }),
  ];
  const handler = new ScriptedHandler((request) => ({ action: 'accept', attributes: [{ name: 'Reply-Message', value: request.client.name }] }));
  await withGateway({ clients, handler }, async (_gateway, peer) => {
    const request = accessRequest();
    const reply = assertSoundReply(t, await peer.exchange(request, REPLY_WAIT_MS), request);
    t.is(reply.attributes[1]!.value.toString(), 'host');
  });
});

test('a handler that misses the deadline gets no reply sent, and a retry is evaluated again', async (t) => {
  let slow = true;
  const handler = new ScriptedHandler(async () => {
    if (slow) await new Promise((resolve) => setTimeout(resolve, 500));
    return { action: 'accept' };
  });
  await withGateway({ handler, config: { requestTimeoutMs: 100 } }, async (gateway, peer) => {
    const request = accessRequest();
    t.is(await dropped(gateway, peer, request, 'dropped', 'deadline'), undefined);
    t.is(gateway.server.counters.get('dropped', 'deadline'), 1);
    slow = false;
    t.truthy(await peer.exchange(request, REPLY_WAIT_MS));
    t.is(handler.calls.length, 2);
  });
});

test('a handler that throws or says drop gets no reply, and the server goes on', async (t) => {
  let mode: 'throw' | 'drop' | 'accept' = 'throw';
  const handler = new ScriptedHandler(() => {
    if (mode === 'throw') throw new Error('boom');
    return mode === 'drop' ? { action: 'drop', reason: 'store-unavailable' } : { action: 'accept' };
  });
  await withGateway({ handler }, async (gateway, peer) => {
    t.is(await dropped(gateway, peer, accessRequest({ identifier: 1 }), 'dropped', 'handler-error'), undefined);
    mode = 'drop';
    t.is(await dropped(gateway, peer, accessRequest({ identifier: 2 }), 'dropped', 'store-unavailable'), undefined);
    mode = 'accept';
    t.truthy(await peer.exchange(accessRequest({ identifier: 3 }), REPLY_WAIT_MS));
    t.is(gateway.server.counters.get('dropped', 'handler-error'), 1);
    t.is(gateway.server.counters.get('dropped', 'store-unavailable'), 1);
  });
});

test('a reject delay holds that reply only; other requests are answered meanwhile', async (t) => {
  const handler = new ScriptedHandler((request) =>
    request.userName === 'mallory' ? { action: 'reject', delayMs: 600 } : { action: 'accept' },
  );
  await withGateway({ handler }, async (_gateway, peer) => {
    const started = Date.now();
    peer.send(accessRequest({ identifier: 1, userName: 'mallory' }));
    peer.send(accessRequest({ identifier: 2, userName: 'alice' }));
    // Sent second, answered first: the accept did not wait behind the delayed reject.
    const first = decodePacket((await peer.receive(REPLY_WAIT_MS))!);
    t.is(first.code, PacketCode.AccessAccept);
    const second = decodePacket((await peer.receive(REPLY_WAIT_MS))!);
    t.is(second.code, PacketCode.AccessReject);
    t.true(Date.now() - started >= 600, 'the reject was held for its delay');
  });
});

test('stop() answers requests in flight and those already queued, then closes', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const handler = new ScriptedHandler(async () => {
    await gate;
    return { action: 'accept' };
  });
  const gateway = await startServer({ handler });
  const peer = await openPeer(gateway.port);
  const request = accessRequest();
  peer.send(request);
  await until('the first request is being decided', REPLY_WAIT_MS, () => handler.calls.length === 1, 10);
  const stopped = gateway.server.stop();
  // Sent as the stop begins: still read from the socket's queue and answered.
  const queued = accessRequest({ identifier: 99 });
  peer.send(queued);
  await until('the queued request is read and handed over', REPLY_WAIT_MS, () => handler.calls.length === 2, 10);
  release();
  const replies = [await peer.receive(REPLY_WAIT_MS), await peer.receive(REPLY_WAIT_MS)];
  await stopped;
  t.deepEqual(replies.map((reply) => decodePacket(reply!).identifier).sort((a, b) => a - b), [decodePacket(request).identifier, 99]);
  // Once stopped, the socket is closed: nothing more is read.
  peer.send(accessRequest({ identifier: 100 }));
  t.is(await peer.receive(0), undefined);
  t.is(handler.calls.length, 2);
  await peer.close();
});

test('a reply the dictionary cannot encode is dropped and logged, not sent half-built', async (t) => {
  const handler = new ScriptedHandler(() => ({ action: 'accept', attributes: [{ name: 'Reply-Message', value: 'x'.repeat(300) }] }));
  await withGateway({ handler }, async (gateway, peer) => {
    t.is(await dropped(gateway, peer, accessRequest(), 'dropped', 'encode-error'), undefined);
    t.is(gateway.server.counters.get('dropped', 'encode-error'), 1);
    t.true(gateway.lines.some((line) => line.includes('could not encode the reply')));
  });
});

test('the request log line names the attributes and never contains the password', async (t) => {
  await withGateway({}, async (gateway, peer) => {
    const password = 'Pin0042-Tokencode-917364';
    const request = accessRequest({ userName: 'alice', password, attributes: [{ type: AttributeType.NasIdentifier, value: Buffer.from('vpn-gw-1') }] });
    t.truthy(await peer.exchange(request, REPLY_WAIT_MS));
    const logged = gateway.lines.find((line) => line.includes('"msg":"Access-Request"'));
    t.truthy(logged);
    t.true(logged!.includes('vpn-gw-1'));
    t.true(logged!.includes('alice'));
    t.true(logged!.includes('User-Password'));
    const everything = gateway.lines.join('\n');
    t.false(everything.includes(password));
    t.false(everything.includes(Buffer.from(password).toString('hex')));
    t.false(everything.includes(Buffer.from(password).toString('base64')));
  });
});

test('the reply cache stays bounded under a stream of distinct requests', async (t) => {
  await withGateway({ config: { replyCache: { ttlSeconds: 30, maxEntries: 50 } } }, async (gateway, peer) => {
    for (let round = 0; round < 120; round++) {
      const request = accessRequest({ identifier: round % 256, authenticator: randomAuthenticator() });
      t.truthy(await peer.exchange(request, REPLY_WAIT_MS));
    }
    t.true(gateway.server.replyCacheSize <= 50);
  });
});

test('requests that arrive together are handed over between one beginBatch and one endBatch', async (t) => {
  // The store corks its Redis socket in between, so a batch's commands leave in one write.
  const events: string[] = [];
  const handler = new ScriptedHandler(() => {
    events.push('request');
    return { action: 'accept' };
  });
  Object.assign(handler, { beginBatch: () => events.push('begin'), endBatch: () => events.push('end') });
  await withGateway({ handler }, async (_gateway, peer) => {
    const requests = Array.from({ length: 8 }, (_, i) => accessRequest({ identifier: i, userName: `user${i}`, password: 'pin123456' }));
    for (const request of requests) peer.send(request);
    for (let i = 0; i < requests.length; i++) t.truthy(await peer.receive(REPLY_WAIT_MS), `reply ${i + 1}`);
  });
  t.is(events.filter((event) => event === 'request').length, 8);
  // Every request inside a begin … end pair, and the pairs balanced.
  let depth = 0;
  for (const event of events) {
    if (event === 'begin') depth += 1;
    else if (event === 'end') depth -= 1;
    else t.is(depth, 1, 'a request handed over outside a batch');
    t.true(depth === 0 || depth === 1);
  }
  t.is(depth, 0);
  t.true(events.filter((event) => event === 'begin').length < 8, 'datagrams that were waiting together share a batch');
});
