import test, { type ExecutionContext } from 'ava';
import {
  AttributeType,
  decodePacket,
  encodeRequest,
  hideUserPassword,
  PacketCode,
  randomAuthenticator,
  RadiusErrorCode,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
  type RadiusPacket,
  type RawAttribute,
} from '../../src/protocol/index.js';
import type { Gateway } from '../../src/serve/gateway.js';
import type { ServerCounter } from '../../src/transport/server.js';
import { MANY_FAILURES_POLICY } from '../../harness/config.js';
import { openPeer } from '../../harness/datagram-peer.js';
import { accessRequest, proxyState, statusServer, TEST_SECRET } from '../../harness/packets.js';
import { REPLY_WAIT_MS } from '../../harness/patience.js';
import { startStack, type Stack } from '../../harness/stack.js';
import { until } from '../../harness/until.js';
import { addUserWithToken, issue } from '../../harness/users.js';

// The BlastRADIUS checklist (CVE-2024-3596), run as one list against the whole
// gateway (real redis-server, real UDP, challenge flow on). The codec-level checks live in
// test/protocol/authenticator.test.ts and the server-level ones, with a scripted handler,
// in test/transport/server.test.ts; this file proves the assembled product behaves the
// same: every forged or unprotected request carrying a *valid* credential is dropped
// before it is decided (nothing consumed, no failure counted), and every reply is signed.

const PIN = '91580'; // No digit of the unambiguous alphabet (3, 4, 6, 7): a request code cannot contain it.
const USER = 'reflect.zelda';

let stack: Stack;
let gateway: Gateway;
let port: number;
let passcodes: string[];
let identifier = 0;

test.before(async () => {
  stack = await startStack({
    policy: MANY_FAILURES_POLICY,
    captureLevel: 'info',
    extra: `challenge:
  enabled: true
replies:
  reject:
    - { name: Reply-Message, value: "Access denied" }
  emergency:
    - { name: Reply-Message, value: "Emergency access" }
    - { name: Session-Timeout, value: 3600 }
`,
    // A NAS that cannot send Message-Authenticator (pam_radius_auth): Proxy-State must still be refused.
    clients: '  - name: legacy-nas\n    address: 127.0.0.2\n    secret_env: TEST_SECRET\n    require_message_authenticator: false\n',
  });
  gateway = await stack.startGateway();
  port = gateway.server.addresses()[0]!.port;
  await addUserWithToken(stack.admin, USER, PIN);
  passcodes = (await issue(stack.admin, USER, { kind: 'emergency-passcode', count: 20 })).map((code) => code.code);
});

test.after.always(async () => {
  await stack.close();
});

async function exchange(packet: Buffer, from = '127.0.0.1'): Promise<Buffer | undefined> {
  const peer = await openPeer(port, from);
  try {
    return await peer.exchange(packet, REPLY_WAIT_MS);
  } finally {
    await peer.close();
  }
}

/**
 * Sends a packet the gateway must drop, waits until its counter says it did (once it has,
 * no reply can follow), and returns whatever datagram came back meanwhile: nothing.
 */
async function dropped(packet: Buffer, counter: ServerCounter, label: string, from = '127.0.0.1'): Promise<Buffer | undefined> {
  const peer = await openPeer(port, from);
  try {
    const before = gateway.server.counters.get(counter, label);
    peer.send(packet);
    await until(`the gateway counts ${counter} ${label}`, REPLY_WAIT_MS, () => gateway.server.counters.get(counter, label) > before, 10);
    return await peer.receive(0);
  } finally {
    await peer.close();
  }
}

/** An Access-Request assembled by hand: header, then these attribute bytes, Length as given. */
function raw(authenticator: Buffer, attributes: Buffer, id = ++identifier % 256): Buffer {
  const header = Buffer.alloc(20);
  header[0] = PacketCode.AccessRequest;
  header[1] = id;
  header.writeUInt16BE(20 + attributes.length, 2);
  authenticator.copy(header, 4);
  return Buffer.concat([header, attributes]);
}

function attribute(type: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, value.length + 2]), value]);
}

function credentials(authenticator: Buffer, password: string): Buffer {
  return Buffer.concat([
    attribute(AttributeType.UserName, Buffer.from(USER)),
    attribute(AttributeType.UserPassword, hideUserPassword(Buffer.from(password), TEST_SECRET, authenticator)),
  ]);
}

const PROXY_STATES: RawAttribute[] = [
  proxyState('hop-1'),
  { type: AttributeType.ProxyState, value: Buffer.from([0x00, 0xff, 0x50, 0x12, 0x00]) },
  { type: AttributeType.ProxyState, value: Buffer.alloc(253, 0xa5) },
];

/** Each forged or unprotected request carries a valid, unused single-use passcode. */
const forgeries: [string, (code: string) => Buffer, 'dropped' | 'malformed', string, string?][] = [
  ['no Message-Authenticator', (code) => accessRequest({ identifier: ++identifier % 256, userName: USER, password: code, messageAuthenticator: false }), 'dropped', RadiusErrorCode.MessageAuthenticatorMissing],
  [
    'a bad Message-Authenticator (one bit flipped)',
    (code) => {
      const bytes = accessRequest({ identifier: ++identifier % 256, userName: USER, password: code });
      bytes[22]! ^= 0x01;
      return bytes;
    },
    'dropped',
    RadiusErrorCode.MessageAuthenticatorInvalid,
  ],
  [
    'a Message-Authenticator made with another secret',
    (code) => accessRequest({ identifier: ++identifier % 256, userName: USER, password: code, secret: Buffer.from('an-attackers-guess-0123') }),
    'dropped',
    RadiusErrorCode.MessageAuthenticatorInvalid,
  ],
  [
    'a signed request with a Proxy-State appended after signing (the attack shape)',
    (code) => {
      const bytes = accessRequest({ identifier: ++identifier % 256, userName: USER, password: code });
      const tampered = Buffer.concat([bytes, attribute(AttributeType.ProxyState, Buffer.alloc(32, 0x41))]);
      tampered.writeUInt16BE(tampered.length, 2);
      return tampered;
    },
    'dropped',
    RadiusErrorCode.MessageAuthenticatorInvalid,
  ],
  [
    'two Message-Authenticators',
    (code) => {
      const bytes = accessRequest({ identifier: ++identifier % 256, userName: USER, password: code });
      const doubled = Buffer.concat([bytes, bytes.subarray(20, 38)]);
      doubled.writeUInt16BE(doubled.length, 2);
      return doubled;
    },
    'malformed',
    RadiusErrorCode.MessageAuthenticatorDuplicate,
  ],
  [
    'a Message-Authenticator of length 17',
    (code) => {
      const authenticator = randomAuthenticator();
      return raw(authenticator, Buffer.concat([Buffer.from([AttributeType.MessageAuthenticator, 17]), Buffer.alloc(15), credentials(authenticator, code)]));
    },
    'malformed',
    RadiusErrorCode.MessageAuthenticatorLength,
  ],
  [
    'Proxy-State without Message-Authenticator',
    (code) => accessRequest({ identifier: ++identifier % 256, userName: USER, password: code, messageAuthenticator: false, attributes: [proxyState('x')] }),
    'dropped',
    RadiusErrorCode.MessageAuthenticatorMissing,
  ],
  [
    'Proxy-State without Message-Authenticator from a client that need not send one',
    (code) => accessRequest({ identifier: ++identifier % 256, userName: USER, password: code, messageAuthenticator: false, attributes: [proxyState('x')] }),
    'dropped',
    RadiusErrorCode.ProxyStateWithoutMessageAuthenticator,
    '127.0.0.2',
  ],
];

test.serial('forged and unprotected requests are all dropped before any decision: nothing consumed, no failure counted', async (t) => {
  for (const [index, [name, build, counter, label, from]] of forgeries.entries()) {
    const before = gateway.server.counters.get(counter, label);
    t.is(await dropped(build(passcodes[index]!), counter, label, from), undefined, `${name}: no reply`);
    t.is(gateway.server.counters.get(counter, label), before + 1, `${name}: counted as ${counter} ${label}`);
  }
  const statusWithout = raw(randomAuthenticator(), Buffer.alloc(0)).fill(PacketCode.StatusServer, 0, 1);
  t.is(await dropped(statusWithout, 'dropped', RadiusErrorCode.MessageAuthenticatorMissing), undefined, 'Status-Server without Message-Authenticator');
  t.false(stack.lines.some((line) => line.includes('"event":"decision"')), 'none reached the policy');
  const codes = await stack.admin.service.listCodes(USER);
  t.true(codes.every((code) => code.uses === 0), 'no passcode was consumed');
  t.like(await stack.admin.service.showUser(USER), { failures: 0, locked: false });
  // The same passcodes, sent properly, still work: the drops were the checks, not the codes.
  for (const [index] of forgeries.entries()) {
    const reply = await exchange(accessRequest({ identifier: ++identifier % 256, userName: USER, password: passcodes[index]! }));
    t.is(reply === undefined ? undefined : decodePacket(reply).code, PacketCode.AccessAccept);
  }
});

/** Every reply: Message-Authenticator first, exactly once and valid; Response Authenticator valid; Proxy-State echoed exactly. */
function assertSignedReply(t: ExecutionContext, name: string, replyBytes: Buffer | undefined, request: Buffer, proxyStates: readonly RawAttribute[]): RadiusPacket {
  if (replyBytes === undefined) throw new Error(`${name}: no reply`);
  const sent = decodePacket(request);
  const reply = decodePacket(replyBytes);
  t.is(reply.identifier, sent.identifier, name);
  t.deepEqual([replyBytes[20], replyBytes[21]], [AttributeType.MessageAuthenticator, 18], `${name}: Message-Authenticator is the first attribute`);
  t.is(reply.attributes.filter((a) => a.type === AttributeType.MessageAuthenticator).length, 1, `${name}: exactly one`);
  t.true(verifyMessageAuthenticator(reply, TEST_SECRET, sent.authenticator), `${name}: Message-Authenticator valid`);
  t.true(verifyResponseAuthenticator(reply, sent.authenticator, TEST_SECRET), `${name}: Response Authenticator valid`);
  const echoed = reply.attributes.filter((a) => a.type === AttributeType.ProxyState).map((a) => a.value);
  t.deepEqual(echoed, proxyStates.map((p) => p.value), `${name}: Proxy-State echoed unmodified and in order`);
  return reply;
}

/** The reply's bytes with the echoed Proxy-States taken out (they are echoed by design). */
function ownBytes(reply: RadiusPacket): Buffer {
  return Buffer.concat([reply.raw.subarray(0, 20), ...reply.attributes.filter((a) => a.type !== AttributeType.ProxyState).map((a) => Buffer.concat([Buffer.from([a.type, a.value.length + 2]), a.value]))]);
}

function assertNothingReflected(t: ExecutionContext, name: string, reply: RadiusPacket, typed: readonly string[]): void {
  const bytes = ownBytes(reply);
  for (const text of typed) {
    for (const needle of [Buffer.from(text), Buffer.from(text.toLowerCase()), Buffer.from(text.toUpperCase()), Buffer.from(Buffer.from(text).toString('hex'))]) {
      t.is(bytes.indexOf(needle), -1, `${name}: "${text}" does not appear in the reply`);
    }
  }
}

test.serial('every reply — Accept, Reject, Challenge, Status-Server — is signed with Message-Authenticator first, echoes Proxy-State exactly and reflects nothing typed', async (t) => {
  const send = (userName: string, password: string, options: { proxyStates?: readonly RawAttribute[]; from?: string; messageAuthenticator?: boolean } = {}) => {
    const request = accessRequest({ identifier: ++identifier % 256, userName, password, attributes: options.proxyStates ?? [], messageAuthenticator: options.messageAuthenticator ?? true });
    return exchange(request, options.from).then((reply) => ({ request, reply }));
  };
  const accept = await send(USER, passcodes[15]!, { proxyStates: PROXY_STATES });
  const accepted = assertSignedReply(t, 'Accept', accept.reply, accept.request, PROXY_STATES);
  t.is(accepted.code, PacketCode.AccessAccept);
  t.is(accepted.attributes.find((a) => a.type === AttributeType.ReplyMessage)?.value.toString(), 'Emergency access');
  assertNothingReflected(t, 'Accept', accepted, [USER, passcodes[15]!]);

  const wrong = `${PIN}ZZZZZZZZ`;
  const reject = await send(USER, wrong, { proxyStates: PROXY_STATES });
  const rejected = assertSignedReply(t, 'Reject', reject.reply, reject.request, PROXY_STATES);
  t.is(rejected.code, PacketCode.AccessReject);
  t.is(rejected.attributes.find((a) => a.type === AttributeType.ReplyMessage)?.value.toString(), 'Access denied');
  assertNothingReflected(t, 'Reject', rejected, [USER, wrong]);

  const challenge = await send(USER, PIN, { proxyStates: PROXY_STATES });
  const challenged = assertSignedReply(t, 'Challenge', challenge.reply, challenge.request, PROXY_STATES);
  t.is(challenged.code, PacketCode.AccessChallenge);
  t.regex(challenged.attributes.find((a) => a.type === AttributeType.ReplyMessage)!.value.toString(), /request code [Z3467ACEFHJKRWXY]{4}-[Z3467ACEFHJKRWXY]{4}/);
  assertNothingReflected(t, 'Challenge', challenged, [USER, PIN]);

  // Hostile user names for unknown users: templates, markup and format strings stay unechoed.
  for (const name of ['{request_code}', '%{User-Password}', '<script>alert(1)</script>', "'; DROP TABLE users; --", 'Emergency access']) {
    const hostile = await send(name, `${name}-pw`);
    const reply = assertSignedReply(t, `Reject for ${name}`, hostile.reply, hostile.request, []);
    t.is(reply.code, PacketCode.AccessReject);
    assertNothingReflected(t, `Reject for ${name}`, reply, [name, `${name}-pw`]);
  }

  // A NAS that sends no Message-Authenticator still gets one in the reply.
  const legacy = await send(USER, passcodes[16]!, { from: '127.0.0.2', messageAuthenticator: false });
  t.is(assertSignedReply(t, 'Accept to a legacy NAS', legacy.reply, legacy.request, []).code, PacketCode.AccessAccept);

  const probe = statusServer({ identifier: ++identifier % 256 });
  t.is(assertSignedReply(t, 'Status-Server', await exchange(probe), probe, []).code, PacketCode.AccessAccept);

  // And a retransmission gets the identical signed bytes, Proxy-State included.
  const again = await exchange(accept.request);
  t.deepEqual(again, accept.reply, 'a retransmission is answered with the same bytes');
});

test.serial('a request built by a standard encoder with Proxy-State and Message-Authenticator is served (the check is not over-eager)', async (t) => {
  const authenticator = randomAuthenticator();
  const request = encodeRequest({
    code: PacketCode.AccessRequest,
    identifier: ++identifier % 256,
    authenticator,
    attributes: [
      { type: AttributeType.UserName, value: Buffer.from(USER) },
      { type: AttributeType.UserPassword, value: hideUserPassword(Buffer.from(passcodes[17]!), TEST_SECRET, authenticator) },
      ...PROXY_STATES,
    ],
    secret: TEST_SECRET,
    messageAuthenticator: true,
  });
  const reply = assertSignedReply(t, 'Accept', await exchange(request), request, PROXY_STATES);
  t.is(reply.code, PacketCode.AccessAccept);
});
