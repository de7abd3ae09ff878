import test from 'ava';
import { decodePacket, PacketCode } from '../../src/protocol/index.js';
import { encodeBase32 } from '../../src/credentials/otp/base32.js';
import type { Gateway } from '../../src/serve/gateway.js';
import type { ServerCounter } from '../../src/transport/server.js';
import { openPeer } from '../../harness/datagram-peer.js';
import { accessRequest, statusServer, TEST_SECRET } from '../../harness/packets.js';
import { REPLY_WAIT_MS } from '../../harness/patience.js';
import { radclient } from '../../harness/radclient.js';
import { dumpAll, persistedBytes } from '../../harness/redis.js';
import { OPERATOR, startStack, type Stack } from '../../harness/stack.js';
import { secretOf, totpAt } from '../../harness/otp.js';
import { until } from '../../harness/until.js';

// End to end over real UDP: two gateway instances sharing one real redis-server, as two
// instances behind a load balancer would.

let stack: Stack;
let first: Gateway;
let second: Gateway;
let sequence = 0;

test.before(async () => {
  stack = await startStack();
  first = await stack.startGateway();
  second = await stack.startGateway();
});

test.after.always(async () => {
  await stack.close();
});

const portOf = (gateway: Gateway): number => gateway.server.addresses()[0]!.port;

async function userWithToken(pin = '2468'): Promise<{ user: string; uri: string }> {
  const user = `e2e${++sequence}`;
  await stack.admin.service.addUser(user, pin, OPERATOR);
  const { uri } = await stack.admin.service.assignToken(user, {}, OPERATOR);
  return { user, uri };
}

async function exchange(gateway: Gateway, packet: Buffer): Promise<number | undefined> {
  const peer = await openPeer(portOf(gateway));
  try {
    const reply = await peer.exchange(packet, REPLY_WAIT_MS);
    return reply === undefined ? undefined : decodePacket(reply).code;
  } finally {
    await peer.close();
  }
}

/** Sends a packet the gateway must not answer; once it counts the drop, no reply can follow: returns what came meanwhile. */
async function dropped(gateway: Gateway, packet: Buffer, label: string, counter: ServerCounter = 'dropped'): Promise<number | undefined> {
  const peer = await openPeer(portOf(gateway));
  try {
    const before = gateway.server.counters.get(counter, label);
    peer.send(packet);
    await until(`the gateway counts ${counter} ${label}`, REPLY_WAIT_MS, () => gateway.server.counters.get(counter, label) > before, 10);
    const reply = await peer.receive(0);
    return reply === undefined ? undefined : decodePacket(reply).code;
  } finally {
    await peer.close();
  }
}

test.serial('a single-use code under 50 concurrent requests over two instances: exactly one Accept', async (t) => {
  const { user } = await userWithToken();
  const [issued] = await stack.admin.service.issueCodes(user, { kind: 'emergency-passcode', uses: 1 }, OPERATOR);
  const peers = await Promise.all([openPeer(portOf(first)), openPeer(portOf(second))]);
  try {
    for (let i = 0; i < 50; i++) peers[i % 2]!.send(accessRequest({ identifier: i, userName: user, password: issued!.code }));
    const codes: number[] = [];
    for (const peer of peers) {
      for (let i = 0; i < 25; i++) {
        const reply = await peer.receive(REPLY_WAIT_MS);
        if (reply !== undefined) codes.push(decodePacket(reply).code);
      }
    }
    t.is(codes.length, 50, 'every request got an answer');
    t.is(codes.filter((code) => code === PacketCode.AccessAccept).length, 1);
    t.is(codes.filter((code) => code === PacketCode.AccessReject).length, 49);
  } finally {
    for (const peer of peers) await peer.close();
  }
  const [listed] = await stack.admin.service.listCodes(user);
  t.is(listed!.uses, 1);
  t.is(listed!.state, 'used-up');
});

test.serial('a retransmission that reaches the second instance gets the same Accept and consumes nothing', async (t) => {
  const { user } = await userWithToken();
  const [issued] = await stack.admin.service.issueCodes(user, { kind: 'emergency-passcode', uses: 1 }, OPERATOR);
  const request = accessRequest({ identifier: 77, userName: user, password: issued!.code });
  t.is(await exchange(first, request), PacketCode.AccessAccept);
  t.is(await exchange(second, request), PacketCode.AccessAccept, 'same fingerprint, same decision');
  t.is(await exchange(first, request), PacketCode.AccessAccept, 'and again on the first (its reply cache)');
  const [listed] = await stack.admin.service.listCodes(user);
  t.is(listed!.uses, 1);
  // A new request with the same code is a new attempt, and the code is used up.
  t.is(await exchange(second, accessRequest({ identifier: 78, userName: user, password: issued!.code })), PacketCode.AccessReject);
});

test.serial('revoking takes effect at once on every instance', async (t) => {
  const { user } = await userWithToken();
  const [issued] = await stack.admin.service.issueCodes(user, { kind: 'emergency-tokencode' }, OPERATOR);
  t.is(await exchange(first, accessRequest({ identifier: 1, userName: user, password: `2468${issued!.code}` })), PacketCode.AccessAccept);
  t.is(await exchange(second, accessRequest({ identifier: 2, userName: user, password: `2468${issued!.code}` })), PacketCode.AccessAccept);
  await stack.admin.service.revokeCodes(user, { id: issued!.id }, OPERATOR);
  t.is(await exchange(first, accessRequest({ identifier: 3, userName: user, password: `2468${issued!.code}` })), PacketCode.AccessReject);
  t.is(await exchange(second, accessRequest({ identifier: 4, userName: user, password: `2468${issued!.code}` })), PacketCode.AccessReject);
});

test.serial('real radclient: PIN + current TOTP → Accept; the same again → Reject', async (t) => {
  const { user, uri } = await userWithToken();
  const password = `2468${totpAt(uri, stack.clock.now)}`;
  const attributes = `User-Name = "${user}", User-Password = "${password}", Message-Authenticator = 0x00\n`;
  const accept = await radclient(`127.0.0.1:${portOf(first)}`, 'auth', attributes, TEST_SECRET);
  t.is(accept.exitCode, 0, accept.output);
  t.regex(accept.output, /Received Access-Accept/);
  const replay = await radclient(`127.0.0.1:${portOf(second)}`, 'auth', attributes, TEST_SECRET);
  t.is(replay.exitCode, 1);
  t.regex(replay.output, /Received Access-Reject/);
});

test.serial('the audit log has one line per decision and never the password', async (t) => {
  const { user, uri } = await userWithToken();
  const password = `2468${totpAt(uri, stack.clock.now)}`;
  const before = stack.lines.length;
  t.is(await exchange(first, accessRequest({ identifier: 9, userName: user, password, attributes: [{ type: 32, value: Buffer.from('vpn-gw-7') }] })), PacketCode.AccessAccept);
  const lines = stack.lines.slice(before);
  const decisions = lines.filter((line) => line.includes('"event":"decision"')).map((line) => JSON.parse(line) as Record<string, unknown>);
  t.is(decisions.length, 1);
  t.like(decisions[0], { audit: true, client: 'test-nas', nas: 'vpn-gw-7', user, method: 'token', result: 'accept' });
  t.is(typeof decisions[0]!.latency_ms, 'number');
  t.false(lines.join('\n').includes(password));
  t.false(lines.join('\n').includes(password.slice(4)), 'nor the tokencode alone');
});

test.serial('Redis stopped mid-test: never an Accept, the gateway stays up and recovers by itself', async (t) => {
  const { user, uri } = await userWithToken();
  const [issued] = await stack.admin.service.issueCodes(user, { kind: 'emergency-passcode' }, OPERATOR);
  t.is(await exchange(first, statusServer()), PacketCode.AccessAccept);
  await stack.redis.stop();
  try {
    t.is(await dropped(first, accessRequest({ identifier: 10, userName: user, password: issued!.code }), 'store-unavailable'), undefined, 'no Accept, no reply');
    t.is(await dropped(second, accessRequest({ identifier: 11, userName: user, password: `2468${totpAt(uri, stack.clock.now)}` }), 'store-unavailable'), undefined);
    await until('the gateway notices the store is gone', REPLY_WAIT_MS, () => !first.store.isHealthy());
    t.is(await dropped(first, statusServer({ identifier: 12 }), 'unhealthy'), undefined, 'Status-Server goes silent');
    t.true(stack.lines.some((line) => line.includes('credential store unavailable')));
  } finally {
    await stack.redis.restart();
  }
  // Back by itself (reconnect backoff is at most 1 s), and Status-Server is answered again.
  await until('both gateways reconnect', REPLY_WAIT_MS * 5, () => first.store.isHealthy() && second.store.isHealthy());
  t.is(await exchange(first, statusServer({ identifier: 20 })), PacketCode.AccessAccept);
  t.is(await exchange(first, accessRequest({ identifier: 13, userName: user, password: issued!.code })), PacketCode.AccessAccept);
  t.is(await exchange(second, accessRequest({ identifier: 14, userName: user, password: issued!.code })), PacketCode.AccessAccept);
  const unavailable = stack.lines.filter((line) => line.includes('credential store unavailable')).length;
  t.true(unavailable <= 4, `one line per state change, not per packet (${unavailable})`);
});

test.serial('a full dump of Redis and its AOF holds no code, PIN or token secret in any encoding', async (t) => {
  const pins = ['73519046', '60418293'];
  const secrets: Buffer[] = [];
  const codes: string[] = [];
  for (const pin of pins) {
    const { user, uri } = await userWithToken(pin);
    secrets.push(secretOf(uri));
    for (const kind of ['emergency-tokencode', 'emergency-passcode', 'online-authcode'] as const) {
      for (const issued of await stack.admin.service.issueCodes(user, { kind, count: 2 }, OPERATOR)) codes.push(issued.code);
    }
    await stack.admin.service.setPin(user, pin, OPERATOR);
  }
  const dump = [...(await dumpAll(stack.redis)).entries()].map(([key, value]) => `${key}\n${value}`).join('\n');
  const persisted = persistedBytes(stack.redis).toString('latin1');
  const encodings = (bytes: Buffer): string[] => [bytes.toString('latin1'), bytes.toString('hex'), bytes.toString('hex').toUpperCase(), bytes.toString('base64'), bytes.toString('base64url'), encodeBase32(bytes)];
  const needles = [
    ...pins.flatMap((pin) => encodings(Buffer.from(pin))),
    ...codes.flatMap((code) => encodings(Buffer.from(code))),
    ...secrets.flatMap((secret) => encodings(secret)),
  ];
  t.true(dump.length > 1000, 'the dump is not empty');
  for (const needle of needles) {
    t.false(dump.includes(needle), `dump contains a secret (${needle.length} chars)`);
    t.false(persisted.includes(needle), `AOF contains a secret (${needle.length} chars)`);
  }
});
