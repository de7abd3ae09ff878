import test from 'ava';
import { deriveOfflineAuthcode } from '../../src/credentials/offline-authcode.js';
import { hotp } from '../../src/credentials/otp/hotp.js';
import { RecordChangedError, type LoginAttempt } from '../../src/login/login-round-trip.js';
import { UserCopies } from '../../src/login/user-copies.js';
import { UserCopySync } from '../../src/login/user-copy-sync.js';
import type { DecideRequest, DecideResult } from '../../src/store/decide/decide-script.js';
import { loginOn } from '../../harness/login.js';
import { secretOf, totpAt } from '../../harness/otp.js';
import { REPLY_WAIT_MS } from '../../harness/patience.js';
import { OPERATOR, startStack, type Stack } from '../../harness/stack.js';
import { until } from '../../harness/until.js';

// The gateway's copies of user records (login/user-copies.ts): one round trip per login
// when the copy is current, and never a decision on a copy some write has made out of
// date, from this gateway or any other (two login round trips here stand for two gateway
// instances).

let stack: Stack;
let sequence = 0;

test.before(async () => {
  stack = await startStack({ policy: '  reject_delay_ms: 0\n  max_failures: 5\n  lockout_seconds: 0\n', extra: 'challenge:\n  enabled: true\n' });
});

test.after.always(async () => {
  await stack.close();
});

/** A gateway instance's login round trip, counting its round trips (decide.lua runs) per login. */
function gatewayInstance(maxUsers = 1000) {
  const results: DecideResult['kind'][] = [];
  const decider = {
    async decide(request: DecideRequest): Promise<DecideResult> {
      const result = await stack.admin.store.decider.decide(request);
      results.push(result.kind);
      return result;
    },
  };
  const { login, copies } = loginOn(stack, { maxUsers, decider });
  return {
    copies,
    async login(user: string, password: string, extra: Partial<LoginAttempt> = {}) {
      results.length = 0;
      const { outcome } = await login.run({ user, password, fingerprint: `copies:${++sequence}`, client: 'test-nas', ...extra });
      return { outcome, roundTrips: results.length, reason: outcome.result === 'reject' ? outcome.reason : undefined, accepted: outcome.result === 'accept' };
    },
  };
}

async function newUser(pin = '4821', token: 'totp' | 'hotp' = 'totp'): Promise<{ user: string; uri: string }> {
  const user = `copy${++sequence}`;
  await stack.admin.service.addUser(user, pin, OPERATOR);
  const { uri } = await stack.admin.service.assignToken(user, { type: token }, OPERATOR);
  return { user, uri };
}

test('a user without a copy costs two round trips, then one; an unknown user always one', async (t) => {
  const gateway = gatewayInstance();
  const { user, uri } = await newUser();
  const first = await gateway.login(user, `4821${totpAt(uri, stack.clock.now)}`);
  t.true(first.accepted);
  t.is(first.roundTrips, 2, 'the record is read, then decided on');
  const second = await gateway.login(user, `4821${totpAt(uri, stack.clock.now, 1)}`);
  t.true(second.accepted);
  t.is(second.roundTrips, 1);
  const wrong = await gateway.login(user, '1111000000');
  t.is(wrong.reason, 'bad-pin');
  t.is(wrong.roundTrips, 1);
  const unknown = await gateway.login(`nobody${sequence}`, '1111000000');
  t.is(unknown.reason, 'unknown-user');
  t.is(unknown.roundTrips, 1, 'as fast as a user with a copy');
});

test.serial('a token secret is decrypted when the copy is made, not by the login that uses it', async (t) => {
  const { user, uri } = await newUser();
  const { keyring } = stack.admin;
  const decrypt = keyring.decryptTokenSecret.bind(keyring);
  const decrypted: string[] = [];
  keyring.decryptTokenSecret = (name, stored) => {
    decrypted.push(name);
    return decrypt(name, stored);
  };
  try {
    const gateway = gatewayInstance();
    const sync = new UserCopySync({ copies: gateway.copies, repository: stack.admin.store.repository, isStoreHealthy: () => true, logger: stack.logger, followIntervalMs: 50 });
    await sync.loadAll();
    t.true(decrypted.includes(user), 'decrypted as the copy was made');
    decrypted.length = 0;
    const login = await gateway.login(user, `4821${totpAt(uri, stack.clock.now)}`);
    t.true(login.accepted);
    t.is(login.roundTrips, 1);
    t.deepEqual(decrypted, [], 'the login decrypted nothing');
  } finally {
    keyring.decryptTokenSecret = decrypt;
  }
});

test('with copies turned off every login reads the record first, known user or not', async (t) => {
  const gateway = gatewayInstance(0);
  const { user, uri } = await newUser();
  for (let step = 0; step < 2; step++) {
    const login = await gateway.login(user, `4821${totpAt(uri, stack.clock.now, step)}`);
    t.true(login.accepted);
    t.is(login.roundTrips, 2);
  }
  const unknown = await gateway.login(`nobody${sequence}`, '1111000000');
  t.is(unknown.reason, 'unknown-user');
  t.is(unknown.roundTrips, 2);
  t.is(gateway.copies.size, 0);
});

test('every admin change reaches a gateway holding a copy, on the very next login', async (t) => {
  const gateway = gatewayInstance();
  const { user, uri } = await newUser();
  t.true((await gateway.login(user, `4821${totpAt(uri, stack.clock.now)}`)).accepted);

  await stack.admin.service.setPin(user, '7777', OPERATOR);
  const oldPin = await gateway.login(user, `4821${totpAt(uri, stack.clock.now, 1)}`);
  t.is(oldPin.reason, 'bad-pin', 'the old PIN is refused at once');
  t.is(oldPin.roundTrips, 2, 'the copy was out of date: read again');
  t.true((await gateway.login(user, `7777${totpAt(uri, stack.clock.now, 1)}`)).accepted);

  const [code] = await stack.admin.service.issueCodes(user, { kind: 'emergency-tokencode' }, OPERATOR);
  t.true((await gateway.login(user, `7777${code!.code}`)).accepted, 'a code length the copy did not know');

  await stack.admin.service.markTokenLost(user, OPERATOR);
  t.is((await gateway.login(user, `7777${totpAt(uri, stack.clock.now, -1)}`)).reason, 'lost-token');

  const { uri: newUri } = await stack.admin.service.assignToken(user, { replace: true }, OPERATOR);
  t.is((await gateway.login(user, `7777${totpAt(uri, stack.clock.now, 0)}`)).reason, 'bad-code', "the old token's codes are refused");
  const fresh = await gateway.login(user, `7777${totpAt(newUri, stack.clock.now, -1)}`);
  t.true(fresh.accepted, fresh.reason);

  await stack.admin.service.disableUser(user, OPERATOR);
  t.is((await gateway.login(user, `7777${totpAt(newUri, stack.clock.now, 0)}`)).reason, 'disabled');
  await stack.admin.service.enableUser(user, OPERATOR);

  await stack.admin.service.setChallenge(user, false, OPERATOR);
  t.is((await gateway.login(user, '7777')).outcome.result, 'reject', 'no challenge once turned off');
  await stack.admin.service.setChallenge(user, true, OPERATOR);
  t.is((await gateway.login(user, '7777')).outcome.result, 'challenge');
});

test('a user deleted and created again with another PIN: the copy of the first is never used', async (t) => {
  const gateway = gatewayInstance();
  const { user, uri } = await newUser('1234');
  t.true((await gateway.login(user, `1234${totpAt(uri, stack.clock.now)}`)).accepted);
  await stack.admin.service.deleteUser(user, OPERATOR);
  t.is((await gateway.login(user, `1234${totpAt(uri, stack.clock.now, 1)}`)).reason, 'unknown-user');
  await stack.admin.service.addUser(user, '5678', OPERATOR);
  const { uri: second } = await stack.admin.service.assignToken(user, {}, OPERATOR);
  t.is((await gateway.login(user, `1234${totpAt(second, stack.clock.now)}`)).reason, 'bad-pin');
  t.true((await gateway.login(user, `5678${totpAt(second, stack.clock.now)}`)).accepted);
});

test('HOTP: a counter used through one gateway is refused through another holding an older copy', async (t) => {
  const one = gatewayInstance();
  const two = gatewayInstance();
  const { user, uri } = await newUser('4821', 'hotp');
  const secret = secretOf(uri);
  t.true((await one.login(user, `4821${hotp(secret, 0, 6)}`)).accepted);
  t.true((await two.login(user, `4821${hotp(secret, 1, 6)}`)).accepted);
  // Gateway one's copy still says counter 0: the record has moved on, and it reads it again.
  const replay = await one.login(user, `4821${hotp(secret, 1, 6)}`);
  t.is(replay.reason, 'replay');
  t.is(replay.roundTrips, 2);
  const next = await one.login(user, `4821${hotp(secret, 2, 6)}`);
  t.true(next.accepted);
  t.is(next.roundTrips, 1, 'the decision that moved the counter brought the record back with it');
  t.is((await one.login(user, `4821${hotp(secret, 3, 6)}`)).roundTrips, 1);
});

// Serial (ava runs these before the others): it counts decryptions on the shared keyring.
test.serial('HOTP: the secret is decrypted once, not again with every copy a login brings back', async (t) => {
  const gateway = gatewayInstance();
  const { user, uri } = await newUser('4821', 'hotp');
  const secret = secretOf(uri);
  const keyring = stack.admin.keyring;
  const decrypt = keyring.decryptTokenSecret.bind(keyring);
  let decryptions = 0;
  keyring.decryptTokenSecret = (name, stored) => {
    if (name === user) decryptions++;
    return decrypt(name, stored);
  };
  try {
    for (let counter = 0; counter < 4; counter++) {
      const login = await gateway.login(user, `4821${hotp(secret, counter, 6)}`);
      t.true(login.accepted);
    }
  } finally {
    keyring.decryptTokenSecret = decrypt;
  }
  t.is(decryptions, 1, 'four logins, four new copies of the record, one decryption');
});

test('the gateway that sent a challenge answers it in one round trip', async (t) => {
  const gateway = gatewayInstance();
  const { user, uri } = await newUser();
  t.true((await gateway.login(user, `4821${totpAt(uri, stack.clock.now)}`)).accepted);
  const challenged = await gateway.login(user, '4821');
  if (challenged.outcome.result !== 'challenge') return t.fail(`expected a challenge, got ${challenged.outcome.result}`);
  t.is(challenged.roundTrips, 1);
  const answer = deriveOfflineAuthcode(stack.admin.keyring, user, challenged.outcome.requestCode, '1d');
  const answered = await gateway.login(user, answer, { state: challenged.outcome.state });
  t.true(answered.accepted);
  t.is(answered.roundTrips, 1, 'the copy already holds the challenge it sent');
});

test('a record that changes again between the two round trips: nothing decided, RecordChangedError', async (t) => {
  const { user, uri } = await newUser();
  // Another writer renews the record right after each read, as an admin script in a loop would.
  let calls = 0;
  const decider = {
    async decide(request: DecideRequest): Promise<DecideResult> {
      calls += 1;
      const result = await stack.admin.store.decider.decide(request);
      if (result.kind === 'stale') await stack.admin.service.setChallenge(user, true, OPERATOR);
      return result;
    },
  };
  const login = loginOn(stack, { maxUsers: 1000, decider }).login.run({ user, password: `4821${totpAt(uri, stack.clock.now)}`, fingerprint: `copies:${++sequence}`, client: 'test-nas' });
  await t.throwsAsync(login, { instanceOf: RecordChangedError });
  t.is(calls, 2, 'at most two round trips (SPEC)');
  const gateway = gatewayInstance();
  t.true((await gateway.login(user, `4821${totpAt(uri, stack.clock.now)}`)).accepted, 'the tokencode was not consumed');
});

test('a challenge sent by one gateway is answered through another; the State works once', async (t) => {
  const one = gatewayInstance();
  const two = gatewayInstance();
  const { user, uri } = await newUser();
  // Both hold a copy before the challenge exists.
  t.true((await one.login(user, `4821${totpAt(uri, stack.clock.now)}`)).accepted);
  t.true((await two.login(user, `4821${totpAt(uri, stack.clock.now, 1)}`)).accepted);
  const challenged = (await one.login(user, '4821')).outcome;
  if (challenged.result !== 'challenge') return t.fail(`expected a challenge, got ${challenged.result}`);
  const answer = deriveOfflineAuthcode(stack.admin.keyring, user, challenged.requestCode, '1d');
  const state = challenged.state;
  const answered = await two.login(user, answer, { state });
  t.true(answered.accepted, 'the other gateway reads the new challenge');
  t.is((await one.login(user, answer, { state })).reason, 'bad-state', 'single use, whichever gateway sees it again');
});

test('loadAll copies every user at start, up to the bound', async (t) => {
  const names: string[] = [];
  for (let i = 0; i < 3; i++) names.push((await newUser()).user);
  const { repository } = stack.admin.store;
  const total = await repository.countUsers();
  const sync = (copies: UserCopies) => new UserCopySync({ copies, repository, isStoreHealthy: () => true, logger: stack.logger, followIntervalMs: 50 });
  const all = new UserCopies({ maxUsers: total + 10, keyring: stack.admin.keyring });
  await sync(all).loadAll();
  t.is(all.size, total);
  for (const name of names) t.is(all.guess(name).user?.name, name);

  const bounded = new UserCopies({ maxUsers: 2, keyring: stack.admin.keyring });
  await sync(bounded).loadAll();
  t.is(bounded.size, 2);
  t.true(stack.lines.some((line) => line.includes('more users than user_cache.max_users')));
});

// Serial: it moves the stack's clock, which the other tests' tokencodes are computed from.
test.serial('follow copies users created after start, so their first login is one round trip like an unknown name', async (t) => {
  const gateway = gatewayInstance();
  const sync = new UserCopySync({ copies: gateway.copies, repository: stack.admin.store.repository, isStoreHealthy: () => true, logger: stack.logger, followIntervalMs: 50 });
  try {
    // Created after the follower starts, by the admin's clock (the users index is scored by
    // creation time): a minute ahead, so that however long creating the user takes on a
    // busy machine, the follower (which starts at the wall-clock time) is still before it.
    // The follower starts once the token is assigned too: started earlier it may copy the
    // record between the two writes, and that copy (without the token) would cost the
    // first login its second round trip.
    stack.clock.now = Date.now() + 60_000;
    const { user, uri } = await newUser();
    sync.follow();
    await until('the new user is copied', REPLY_WAIT_MS, () => gateway.copies.guess(user).user !== undefined, 20);
    const first = await gateway.login(user, `4821${totpAt(uri, stack.clock.now)}`);
    t.true(first.accepted);
    t.is(first.roundTrips, 1);
  } finally {
    sync.stop();
  }
});
