import test from 'ava';
import calculateSlot from 'cluster-key-slot';
import { KeyNames } from '../../src/store/key-names.js';
import { StandInRecords, standInCountFor } from '../../src/store/stand-in-records.js';
import { loginOn } from '../../harness/login.js';
import { totpAt } from '../../harness/otp.js';
import { REPLY_WAIT_MS } from '../../harness/patience.js';
import { withConnection } from '../../harness/redis.js';
import { until } from '../../harness/until.js';
import { OPERATOR, startStack, type Stack } from '../../harness/stack.js';

// The stand-in records an unknown user's login reads and writes instead of its own
// (decide.lua), so Redis does the same work for a name that does not exist as for a wrong
// PIN. Whether that makes the times equal is measured by `npm run timing`; these tests
// check the mechanics: where the records live, who writes them, and that nothing else moves.

let stack: Stack;
let sequence = 0;

test.before(async () => {
  stack = await startStack({ policy: '  reject_delay_ms: 0\n  max_failures: 5\n' });
});

test.after.always(async () => {
  await stack.close();
});

const keys = new KeyNames('rg:');

test.serial('with Cluster there is one pair per slot, and a user is given the pair in its own slot', (t) => {
  const standIns = new StandInRecords(keys, true);
  const pairs = standIns.allFor(0);
  t.is(pairs.length, 16384);
  t.is(new Set(pairs.map(({ user }) => calculateSlot(user))).size, 16384, 'every slot has its own');
  for (const { user, codes } of pairs.slice(0, 200)) t.is(calculateSlot(codes), calculateSlot(user));
  for (const name of ['alice', 'bob', 'ops{team}', '}{', '{}', 'x{y}z%7D', 'Ünïcødé', ...Array.from({ length: 500 }, (_, i) => `user${i}`)]) {
    const pair = standIns.keysFor(keys.user(name));
    t.is(calculateSlot(pair.user), calculateSlot(keys.user(name)), name);
    t.is(calculateSlot(pair.codes), calculateSlot(keys.user(name)), name);
  }
});

test.serial('a single Redis keeps about as many as its users, from 64 to 16,384, named apart from every user key', (t) => {
  t.deepEqual([0, 1, 127, 128, 200, 2_500, 16_384, 1_000_000].map(standInCountFor), [64, 64, 64, 128, 128, 2048, 16384, 16384]);
  const standIns = new StandInRecords(keys, false);
  t.deepEqual(standIns.allFor(0)[0], { user: 'rg:stand-in:{0}', codes: 'rg:stand-in-codes:{0}', attempts: 'rg:stand-in-attempts:{0}' });
  t.is(standIns.allFor(0).length, 64);
  const names = Array.from({ length: 40_000 }, (_, i) => `user${i}`);
  const given = (records: StandInRecords) => new Set(names.map((name) => records.keysFor(keys.user(name)).user));
  t.is(given(standIns).size, 64, 'before the gateway has written more, names are spread over the first 64');
  t.is(standIns.allFor(2_500).length, 2048);
  t.is(given(standIns).size, 64, 'and are given no more until those are written');
  standIns.use(2_500);
  t.is(given(standIns).size, 2048);
  t.true([...given(standIns)].every((user) => standIns.allFor(0).some((written) => written.user === user)), 'every one given is among those written');
  standIns.use(10);
  t.is(given(standIns).size, 2048, 'never fewer while running');
  t.not(standIns.keysFor(keys.user('0')).user, keys.user('0'));
});

test.serial('the CLI writes no stand-ins; a gateway writes them at start, and a second one keeps the first one\'s', async (t) => {
  const pair = new StandInRecords(stack.admin.store.keys, false).allFor(0)[0]!;
  const read = () => withConnection(stack.redis, async (redis) => ({ user: await redis.hgetall(pair.user), codes: await redis.hgetall(pair.codes) }));
  await stack.admin.service.addUser(`cli${++sequence}`, '4821', OPERATOR);
  t.deepEqual(await read(), { user: {}, codes: {} }, 'admin commands alone leave them out');
  await stack.startGateway();
  const first = await read();
  t.is(first.user.status, 'stand-in');
  t.truthy(first.user.pin);
  t.truthy(first.user.t_secret);
  t.is(Object.keys(first.codes).length, 3);
  await stack.startGateway();
  t.deepEqual(await read(), first, 'written only where missing');
  // Not users: not in the index that `user list` reads.
  t.false((await stack.admin.store.repository.listUsers(0, 1000)).some((name) => name.includes('stand-in')));
});

test.serial('an unknown user\'s refusal reads the stand-in, as a wrong PIN reads the user, and leaves nothing but its decision', async (t) => {
  await stack.startGateway();
  const { login } = loginOn(stack, { maxUsers: 1000 });
  const name = `nobody${++sequence}`;
  // The triple this name is given, among those the gateway wrote.
  const pair = stack.admin.store.standIns.keysFor(stack.admin.store.keys.user(name));
  t.is(await withConnection(stack.redis, (redis) => redis.exists(pair.user, pair.codes)), 2);
  const digestBefore = await withConnection(stack.redis, (redis) => redis.hgetall(pair.user));
  // MONITOR shows each command a script runs: what Redis did for this login.
  const seen: string[] = [];
  const monitor = await withConnection(stack.redis, async (redis) => redis.monitor());
  monitor.on('monitor', (_time: string, args: string[]) => seen.push(args.join(' ')));
  try {
    const { outcome } = await login.run({ user: name, password: '1234ABCDEFGH', fingerprint: `stand-in:${sequence}`, client: 'test-nas' });
    t.deepEqual(outcome, { result: 'reject', reason: 'unknown-user', lockedNow: false });
    // MONITOR delivers the script's commands after the script's reply; the last one is its PEXPIRE.
    await until('MONITOR shows the script\'s last command', REPLY_WAIT_MS, () => seen.some((line) => line.startsWith('PEXPIRE')));
  } finally {
    monitor.disconnect();
  }
  // Every lookup of one login in one HMGET: the fields after the key.
  const lookups = (key: string) => seen.filter((line) => line.startsWith(`HMGET ${key} `)).reduce((sum, line) => sum + line.split(' ').length - 2, 0);
  t.true(seen.some((line) => line.startsWith(`HMGET ${pair.user} status fails`)), 'the stand-in record was read');
  t.is(lookups(pair.codes), 2, 'the passcode and the PIN + code split were looked up in the stand-in\'s codes');
  t.is(lookups(stack.admin.store.keys.codes(name)), 0);
  t.deepEqual(await withConnection(stack.redis, (redis) => redis.hgetall(pair.user)), digestBefore, 'and not written');
  const left = await withConnection(stack.redis, (redis) => redis.keys(`*${name}*`));
  t.deepEqual(left, [stack.admin.store.keys.outcome(name, `stand-in:${sequence}`)], 'only the outcome, kept for retransmissions');
});

test.serial('after Redis loses its data and comes back, the gateway writes the stand-ins again', async (t) => {
  await stack.startGateway();
  const pair = new StandInRecords(stack.admin.store.keys, false).allFor(0)[0]!;
  await withConnection(stack.redis, (redis) => redis.del(pair.user, pair.codes));
  // A restart drops every connection; the gateway's store reconnects and rewrites them.
  // (The data survive here, AOF always, except the two keys just deleted.)
  await stack.redis.restart();
  await until('the gateway writes the stand-ins again', REPLY_WAIT_MS * 5, async () => (await withConnection(stack.redis, (redis) => redis.exists(pair.user, pair.codes))) === 2);
  t.is(await withConnection(stack.redis, (redis) => redis.exists(pair.user, pair.codes)), 2);
  // The test's own admin store reconnects too, on its own schedule; the next test uses it.
  await stack.admin.store.waitUntilReady(REPLY_WAIT_MS * 5);
});

test.serial('a user whose token secret does not decrypt is never accepted, whatever the tokencode', async (t) => {
  const name = `broken${++sequence}`;
  await stack.admin.service.addUser(name, '4821', OPERATOR);
  await stack.admin.service.assignToken(name, {}, OPERATOR);
  await withConnection(stack.redis, (redis) => redis.hset(stack.admin.store.keys.user(name), 't_secret', stack.admin.keyring.encryptTokenSecret('someone-else', Buffer.alloc(20))));
  const { login } = loginOn(stack, { maxUsers: 0 });
  // The tokencode the sealed secret (20 zero bytes) shows now: right, but not this user's.
  const sealed = totpAt(`otpauth://totp/x?secret=${'A'.repeat(32)}`, stack.clock.now);
  for (const code of [sealed, '755224', '000000']) {
    const { outcome } = await login.run({ user: name, password: `4821${code}`, fingerprint: `broken:${++sequence}`, client: 'test-nas' });
    t.is(outcome.result, 'reject');
  }
});
