import test from 'ava';
import { deriveOfflineAuthcode } from '../../src/credentials/offline-authcode.js';
import { AttributeType, PacketCode, type RadiusPacket } from '../../src/protocol/index.js';
import calculateSlot from 'cluster-key-slot';
import { StandInRecords } from '../../src/store/stand-in-records.js';
import { runCli } from '../../harness/cli.js';
import { secretOf, totpAt } from '../../harness/otp.js';
import { openNas } from '../../harness/nas.js';
import { TEST_SECRET } from '../../harness/packets.js';
import { OPERATOR, startRadgateOn, type RadgateOn } from '../../harness/stack.js';
import { ClusterTopology } from '../../harness/topologies/cluster.js';

// Redis Cluster: three masters (no replicas) on loopback ports, created with
// `redis-cli --cluster create`, and the whole authentication path over real UDP. Every
// script touches only the keys of one user, which share the hash tag {user} and so one
// slot; a key outside it would fail with CROSSSLOT, the request would be dropped, and the
// test expecting an answer would fail.

const PIN = '2468';
const MAX_FAILURES = 5;
const POLICY = `  reject_delay_ms: 0
  max_failures: ${MAX_FAILURES}
  lockout_seconds: 900
`;
const CHALLENGE = `challenge:
  enabled: true
  validities: [1d, 3d]
`;

let cluster: ClusterTopology;
let radgate: RadgateOn;
/** User → otpauth URI of the token assigned to it. */
const users = new Map<string, string>();

test.before(async () => {
  cluster = await ClusterTopology.start(3);
  radgate = await startRadgateOn(cluster.url, { policy: POLICY, extra: CHALLENGE });
});

test.after.always(async () => {
  await radgate?.close();
  await cluster?.close();
});

async function send(user: string, password: string, state?: Buffer): Promise<RadiusPacket | undefined> {
  const peer = await openNas({ port: radgate.port });
  try {
    const attributes = state === undefined ? [] : [{ type: AttributeType.State, value: state }];
    return (await peer.send({ kind: 'access', userName: user, password, attributes })).reply?.packet;
  } finally {
    await peer.close();
  }
}

const codeOf = async (user: string, password: string, state?: Buffer): Promise<number | undefined> => (await send(user, password, state))?.code;

/** Every user of the run, on each master, with the keys the gateway uses for it. */
function keysOf(user: string): string[] {
  const keys = radgate.admin.store.keys;
  return [keys.user(user), keys.codes(user), keys.challenges(user), keys.outcome(user, 'test-nas:7:00112233445566778899aabbccddeeff')];
}

test.serial('users land on all three masters, and every key of a user hashes to that user\'s slot', async (t) => {
  // Plain names, and names whose braces would split the keys over slots if they reached the hash tag raw.
  const candidates = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ops{team}', '}{', '{}', 'x{y}z%7D'];
  const owners = new Map<number, string[]>();
  for (const user of candidates) {
    const slots = await Promise.all(keysOf(user).map((key) => cluster.slotOf(key)));
    t.is(new Set(slots).size, 1, `${user}: ${keysOf(user).join(', ')} → slots ${slots.join(', ')}`);
    const owner = cluster.ownerOf(slots[0]!);
    owners.set(owner, [...(owners.get(owner) ?? []), user]);
    await radgate.admin.service.addUser(user, PIN, OPERATOR);
    users.set(user, (await radgate.admin.service.assignToken(user, {}, OPERATOR)).uri);
  }
  t.log([...owners].map(([port, names]) => `${port}: ${names.join(' ')}`).join('\n'));
  t.is(owners.size, 3, 'the users are spread over the three masters');
});

test.serial('PIN + TOTP from the otpauth secret → Accept on every master; the same tokencode again → Reject', async (t) => {
  for (const [user, uri] of users) {
    t.true(secretOf(uri).length >= 20);
    const password = `${PIN}${totpAt(uri, Date.now())}`;
    t.is(await codeOf(user, password), PacketCode.AccessAccept, user);
    t.is(await codeOf(user, password), PacketCode.AccessReject, `${user}: replayed tokencode`);
  }
});

test.serial('emergency tokencode, emergency passcode and online authorization code → Accept on every master', async (t) => {
  for (const user of users.keys()) {
    const [tokencode] = await radgate.admin.service.issueCodes(user, { kind: 'emergency-tokencode' }, OPERATOR);
    const [passcode] = await radgate.admin.service.issueCodes(user, { kind: 'emergency-passcode', uses: 1 }, OPERATOR);
    const [authcode] = await radgate.admin.service.issueCodes(user, { kind: 'online-authcode' }, OPERATOR);
    t.is(await codeOf(user, `${PIN}${tokencode!.code}`), PacketCode.AccessAccept, `${user}: PIN + emergency tokencode`);
    t.is(await codeOf(user, passcode!.code), PacketCode.AccessAccept, `${user}: emergency passcode`);
    t.is(await codeOf(user, passcode!.code), PacketCode.AccessReject, `${user}: single-use passcode again`);
    t.is(await codeOf(user, `${PIN}${authcode!.code}`), PacketCode.AccessAccept, `${user}: PIN + online authorization code`);
    const [listed] = (await radgate.admin.service.listCodes(user)).filter((code) => code.id === passcode!.id);
    t.like(listed, { uses: 1, state: 'used-up' });
  }
});

test.serial('near misses → Reject on every master, and the right code still works afterwards', async (t) => {
  const flip = (text: string): string => text.slice(0, -1) + (text.endsWith('7') ? 'A' : '7');
  for (const [user, uri] of users) {
    const [tokencode] = await radgate.admin.service.issueCodes(user, { kind: 'emergency-tokencode' }, OPERATOR);
    const [passcode] = await radgate.admin.service.issueCodes(user, { kind: 'emergency-passcode', uses: 1 }, OPERATOR);
    const totp = totpAt(uri, Date.now());
    const misses = {
      'wrong PIN + right TOTP': `1357${totp}`,
      'right PIN + TOTP off by one digit': `${PIN}${totp.slice(0, -1)}${(Number(totp.slice(-1)) + 1) % 10}`,
      'emergency tokencode without the PIN': tokencode!.code,
      'passcode with its last character changed': flip(passcode!.code),
    };
    t.true(Object.keys(misses).length < MAX_FAILURES);
    for (const [miss, password] of Object.entries(misses)) t.is(await codeOf(user, password), PacketCode.AccessReject, `${user}: ${miss}`);
    t.is(await codeOf(user, passcode!.code), PacketCode.AccessAccept, `${user}: the passcode itself`);
  }
});

test.serial('a revoked code → Reject on every master', async (t) => {
  for (const user of users.keys()) {
    const [issued] = await radgate.admin.service.issueCodes(user, { kind: 'emergency-tokencode' }, OPERATOR);
    t.is(await codeOf(user, `${PIN}${issued!.code}`), PacketCode.AccessAccept, `${user}: before`);
    await radgate.admin.service.revokeCodes(user, { id: issued!.id }, OPERATOR);
    t.is(await codeOf(user, `${PIN}${issued!.code}`), PacketCode.AccessReject, `${user}: after revocation`);
  }
});

test.serial('lockout: after max_failures wrong passwords the right one is rejected, until an admin unlocks', async (t) => {
  for (const user of users.keys()) {
    const [passcode] = await radgate.admin.service.issueCodes(user, { kind: 'emergency-passcode', uses: 1 }, OPERATOR);
    for (let i = 0; i < MAX_FAILURES; i++) t.is(await codeOf(user, `${PIN}00000${i}`), PacketCode.AccessReject);
    t.is(await codeOf(user, passcode!.code), PacketCode.AccessReject, `${user}: locked, even with the right code`);
    t.true((await radgate.admin.service.showUser(user)).locked, `${user} shows as locked`);
    await radgate.admin.service.unlockUser(user, OPERATOR);
    t.is(await codeOf(user, passcode!.code), PacketCode.AccessAccept, `${user}: unlocked, and the code was not used while locked`);
  }
});

test.serial('challenge flow on every master: PIN → Access-Challenge; the offline authorization code with the State → Accept', async (t) => {
  for (const user of users.keys()) {
    const challenge = await send(user, PIN);
    t.is(challenge?.code, PacketCode.AccessChallenge, `${user}: PIN alone`);
    const message = challenge!.attributes.find((attribute) => attribute.type === AttributeType.ReplyMessage)!.value.toString();
    const state = challenge!.attributes.find((attribute) => attribute.type === AttributeType.State)!.value;
    const requestCode = /request code ([Z3467ACEFHJKRWXY]{4}-[Z3467ACEFHJKRWXY]{4})/.exec(message)![1]!.replace('-', '');
    const pending = await cluster.slotOf(radgate.admin.store.keys.challenges(user));
    t.is(pending, await cluster.slotOf(radgate.admin.store.keys.user(user)), `${user}: the pending challenge is in the user's slot`);
    const answer = deriveOfflineAuthcode(radgate.admin.keyring, user, requestCode, '1d');
    t.is(await codeOf(user, answer, state), PacketCode.AccessAccept, `${user}: authorization code with the State`);
    t.is(await codeOf(user, answer, state), PacketCode.AccessReject, `${user}: the State is single use`);
    // Left pending, so the last test finds a challenge key on every master.
    t.is(await codeOf(user, PIN), PacketCode.AccessChallenge, `${user}: a second challenge`);
  }
});

test.serial('user list (the CLI, in cluster mode) reads the users index, a key in a slot of its own; user delete removes a user', async (t) => {
  const doomed = 'gone{soon}';
  await radgate.admin.service.addUser(doomed, PIN, OPERATOR);
  await radgate.admin.service.deleteUser(doomed, OPERATOR);
  const listed = await runCli(['user', 'list', '--json', '--config', radgate.config.source], { env: { TEST_SECRET: TEST_SECRET.toString() } });
  t.is(listed.exitCode, 0, listed.stderr);
  const names = listed.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { name: string }).name);
  t.deepEqual(names.sort(), [...users.keys()].sort());
  const indexSlot = await cluster.slotOf(radgate.admin.store.keys.users());
  t.log(`users index ${radgate.admin.store.keys.users()}: slot ${indexSlot} on ${cluster.ownerOf(indexSlot)}`);
  for (const key of keysOf(doomed).slice(0, 3)) t.false((await cluster.keysByNode()).get(cluster.ownerOf(await cluster.slotOf(key)))!.includes(key), `${key} deleted`);
});

test.serial('an unknown user on every master → Reject, reading the stand-in record of its own slot', async (t) => {
  const standIns = new StandInRecords(radgate.admin.store.keys, true);
  const masters = new Set<number>();
  for (let i = 0; masters.size < 3 && i < 100; i++) {
    const name = `nobody-${i}`;
    const pair = standIns.keysFor(radgate.admin.store.keys.user(name));
    const slot = await cluster.slotOf(radgate.admin.store.keys.user(name));
    t.is(await cluster.slotOf(pair.user), slot, `${pair.user} is in ${name}'s slot`);
    t.is(await cluster.slotOf(pair.codes), slot);
    t.is(await radgate.admin.store.redis.hget(pair.user, 'status'), 'stand-in', `${pair.user} was written at start`);
    // A key of another slot in the script would be refused (CROSSSLOT) and the request dropped.
    t.is(await codeOf(name, `${PIN}123456`), PacketCode.AccessReject, name);
    masters.add(cluster.ownerOf(slot));
  }
  t.is(masters.size, 3);
});

test.serial('every key written during the run is in its user\'s slot, and no CROSSSLOT or handler error was logged', async (t) => {
  const prefix = radgate.admin.store.keys.prefix;
  const shared = new Set([radgate.admin.store.keys.users(), radgate.admin.store.keys.audit()]);
  const kinds = new Set<string>();
  const standIns: [number, string][] = [];
  for (const [port, keys] of await cluster.keysByNode()) {
    for (const key of keys) {
      if (shared.has(key)) continue;
      if (key.startsWith(`${prefix}stand-in`)) {
        standIns.push([port, key]);
        continue;
      }
      const match = /^(\w+):\{([^}]*)\}/.exec(key.slice(prefix.length));
      t.not(match, null, `${key} carries a user hash tag`);
      if (match === null) continue;
      kinds.add(match[1]!);
      const slot = await cluster.slotOf(key);
      t.is(slot, await cluster.slotOf(`${prefix}user:{${match[2]}}`), `${key} is in its user's slot`);
      t.is(cluster.ownerOf(slot), port, `${key} lives on the master serving its slot`);
    }
  }
  t.deepEqual([...kinds].sort(), ['attempts', 'chal', 'codes', 'req', 'user'], 'user records, codes, challenges, stored decisions and login attempts all checked');
  // The stand-ins: a user record and a codes hash for each of the 16,384 slots, each on the
  // master serving its slot (a sample asked of the server; all of them by the client's CRC16);
  // and the attempt lists the unknown users' logins wrote, in the slots they were sent to.
  const attemptLists = standIns.filter(([, key]) => key.startsWith(`${prefix}stand-in-attempts:`));
  t.true(attemptLists.length > 0, 'the unknown users wrote their attempts to stand-in lists');
  t.is(standIns.length - attemptLists.length, 2 * 16384);
  t.is(new Set(standIns.filter(([, key]) => key.startsWith(`${prefix}stand-in:`)).map(([, key]) => calculateSlot(key))).size, 16384);
  for (const [port, key] of standIns.filter((_, i) => i % 1024 === 0)) {
    const slot = await cluster.slotOf(key);
    t.is(slot, calculateSlot(key));
    t.is(cluster.ownerOf(slot), port, `${key} lives on the master serving its slot`);
  }
  for (const [port, key] of standIns) t.is(cluster.ownerOf(calculateSlot(key)), port);
  t.deepEqual(radgate.lines.filter((line) => /CROSSSLOT/i.test(line)), []);
  t.deepEqual(radgate.lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50), [], 'no error logged');
});
