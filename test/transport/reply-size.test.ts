import test from 'ava';
import {
  AttributeType,
  decodePacket,
  encodeRequest,
  PacketCode,
  randomAuthenticator,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
} from '../../src/protocol/index.js';
import type { Gateway } from '../../src/serve/gateway.js';
import type { RadiusServer } from '../../src/transport/server.js';
import { MANY_FAILURES_POLICY } from '../../harness/config.js';
import { openPeer, type DatagramPeer } from '../../harness/datagram-peer.js';
import { openNas } from '../../harness/nas.js';
import { accessRequest, proxyStatesOfLength, TEST_SECRET } from '../../harness/packets.js';
import { REPLY_WAIT_MS } from '../../harness/patience.js';
import { ScriptedHandler, startServer } from '../../harness/server.js';
import { startStack, type Stack } from '../../harness/stack.js';
import { until } from '../../harness/until.js';
import { addUserWithToken, issue } from '../../harness/users.js';

// A reply copies every Proxy-State of the request (RFC 2865 §5.33) and may not exceed 4096
// octets (§3). A request whose largest possible reply (the largest reply profile, or the
// Access-Challenge) would not fit must be refused before it is decided: otherwise a
// single-use code is spent on a request that gets no answer.

const PIN = '2468';
const USER = 'alice';
// 20 (header) + 18 (Message-Authenticator) + 7 (User-Name "alice") + 18 (a passcode of up to 16 characters, hidden).
const REQUEST_WITHOUT_PROXY_STATE = 63;

async function refusedBeforeDeciding(server: RadiusServer, peer: DatagramPeer, request: Buffer): Promise<Buffer | undefined> {
  const before = server.counters.get('dropped', 'reply-too-large');
  peer.send(request);
  await until('the server drops the request', REPLY_WAIT_MS, () => server.counters.get('dropped', 'reply-too-large') === before + 1, 10);
  return peer.receive(0);
}

/** A reply that verifies against the request, as the NAS checks it. */
function verifiedReply(request: Buffer, reply: Buffer | undefined): ReturnType<typeof decodePacket> | undefined {
  if (reply === undefined) return undefined;
  const packet = decodePacket(reply);
  const requestAuthenticator = request.subarray(4, 20);
  return verifyMessageAuthenticator(packet, TEST_SECRET, requestAuthenticator) && verifyResponseAuthenticator(packet, requestAuthenticator, TEST_SECRET) ? packet : undefined;
}

// The UDP server with a scripted handler whose largest answer is a 100-octet Reply-Message
// (102 octets): a reply is then at most 20 + 18 + 102 octets before the Proxy-State.
const REPLY_MESSAGE = { type: AttributeType.ReplyMessage, value: Buffer.alloc(100, 0x61) };
const LARGEST_REPLY_WITHOUT_PROXY_STATE = 20 + 18 + 102;

async function withScriptedServer(use: (server: RadiusServer, handler: ScriptedHandler, peer: DatagramPeer, lines: string[]) => Promise<void>): Promise<void> {
  const handler = new ScriptedHandler(() => ({ action: 'accept', attributes: [REPLY_MESSAGE] }));
  handler.replies = [[], [REPLY_MESSAGE]];
  const { server, port, lines } = await startServer({ handler });
  const peer = await openPeer(port);
  try {
    await use(server, handler, peer, lines);
  } finally {
    await peer.close();
    await server.stop();
  }
}

test('a request whose largest possible reply would exceed 4096 octets is dropped before the handler runs', async (t) => {
  await withScriptedServer(async (server, handler, peer, lines) => {
    const request = accessRequest({ attributes: proxyStatesOfLength(4096 - LARGEST_REPLY_WITHOUT_PROXY_STATE + 1) });
    t.is(request.length, REQUEST_WITHOUT_PROXY_STATE + 4096 - LARGEST_REPLY_WITHOUT_PROXY_STATE + 1, 'the request itself is a valid packet');
    t.is(await refusedBeforeDeciding(server, peer, request), undefined);
    t.is(handler.calls.length, 0, 'nothing was decided');
    t.true(lines.some((line) => line.includes('longer than a RADIUS packet') && line.includes('"reply_octets":4097')));
  });
});

test('a request whose largest possible reply is exactly 4096 octets is answered', async (t) => {
  await withScriptedServer(async (_server, _handler, peer) => {
    const request = accessRequest({ attributes: proxyStatesOfLength(4096 - LARGEST_REPLY_WITHOUT_PROXY_STATE) });
    const reply = await peer.exchange(request, REPLY_WAIT_MS);
    t.is(verifiedReply(request, reply)?.code, PacketCode.AccessAccept);
    t.is(reply!.length, 4096);
  });
});

test("Status-Server is sized without the answers' attributes: it gets none", async (t) => {
  await withScriptedServer(async (server, _handler, peer) => {
    // Proxy-State that would overflow an Access-Accept with the Reply-Message, but not a bare Access-Accept.
    const probe = encodeRequest({
      code: PacketCode.StatusServer,
      identifier: 9,
      authenticator: randomAuthenticator(),
      attributes: proxyStatesOfLength(4096 - LARGEST_REPLY_WITHOUT_PROXY_STATE + 1),
      secret: TEST_SECRET,
    });
    t.is(verifiedReply(probe, await peer.exchange(probe, REPLY_WAIT_MS))?.code, PacketCode.AccessAccept);
    t.is(server.counters.get('dropped', 'reply-too-large'), 0);
  });
});

// The whole gateway: real Redis, reply profiles and the challenge from the config.

async function withStack(extra: string, use: (stack: Stack, gateway: Gateway, peer: DatagramPeer) => Promise<void>): Promise<void> {
  const stack = await startStack({ policy: MANY_FAILURES_POLICY, captureLevel: 'info', extra });
  try {
    await addUserWithToken(stack.admin, USER, PIN);
    const gateway = await stack.startGateway();
    const peer = await openPeer(gateway.server.addresses()[0]!.port);
    try {
      await use(stack, gateway, peer);
    } finally {
      await peer.close();
    }
  } finally {
    await stack.close();
  }
}

test('a request whose reply could not be encoded is refused before a single-use code is spent; the code then works once', async (t) => {
  // The emergency profile's reply: 20 + 18 + 202 octets before the Proxy-State it must copy.
  const extra = `replies:\n  emergency:\n    - { name: Reply-Message, value: "${'E'.repeat(200)}" }\n`;
  await withStack(extra, async (stack, gateway, peer) => {
    const [code] = await issue(stack.admin, USER, { kind: 'emergency-passcode', uses: 1 });
    const proxyStates = proxyStatesOfLength(3900);
    const request = accessRequest({ userName: USER, password: code!.code, attributes: proxyStates });
    t.is(request.length, REQUEST_WITHOUT_PROXY_STATE + 3900, 'the request itself fits in a packet');
    t.true(20 + 18 + 202 + 3900 > 4096, 'its Access-Accept would not');

    t.is(await refusedBeforeDeciding(gateway.server, peer, request), undefined, 'no reply');
    t.is(await refusedBeforeDeciding(gateway.server, peer, request), undefined, 'nor to its retransmission');
    t.false(stack.lines.some((line) => line.includes('"event":"decision"')), 'nothing was decided');
    t.like((await stack.admin.service.listCodes(USER))[0], { uses: 0, state: 'active' }, 'the code is unused');
    t.true(stack.lines.some((line) => line.includes('longer than a RADIUS packet')), 'a warning says why');

    const nas = await openNas({ port: gateway.server.addresses()[0]!.port });
    try {
      t.is((await nas.accessRequest(USER, code!.code)).reply?.code, PacketCode.AccessAccept, 'the same code works in a normal request');
      t.is((await nas.accessRequest(USER, code!.code)).reply?.code, PacketCode.AccessReject, 'once');
    } finally {
      await nas.close();
    }
  });
});

test('the Access-Challenge is among the replies sized: a request its prompt and State would overflow is refused', async (t) => {
  // No Accept profile at all; the challenge: the longest prompt (200 characters), whose
  // {request_code} becomes the grouped request code (9 characters), and a 20-octet State:
  // 2 + 186 + 9 octets of Reply-Message and 2 + 20 of State, 219 octets.
  const extra = `challenge:\n  enabled: true\n  prompt: "${'P'.repeat(186)}{request_code}"\n`;
  await withStack(extra, async (stack, gateway, peer) => {
    const overflowing = 4096 - (20 + 18 + 219) + 1;
    const pinOnly = accessRequest({ userName: USER, password: PIN, attributes: proxyStatesOfLength(overflowing) });
    t.is(await refusedBeforeDeciding(gateway.server, peer, pinOnly), undefined);
    t.false(stack.lines.some((line) => line.includes('"event":"decision"')), 'nothing was decided');
    const fitting = accessRequest({ userName: USER, password: PIN, attributes: proxyStatesOfLength(overflowing - 1) });
    const reply = await peer.exchange(fitting, REPLY_WAIT_MS);
    t.is(reply?.[0], PacketCode.AccessChallenge);
    t.is(reply?.length, 4096, 'the challenge is exactly as long as sized');
  });
});
