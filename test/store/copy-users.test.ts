import test from 'ava';
import { hotp } from '../../src/credentials/otp/hotp.js';
import { UserCopySync } from '../../src/login/user-copy-sync.js';
import type { DecideRequest, DecideResult } from '../../src/store/decide/decide-script.js';
import type { UserRecord } from '../../src/credentials/records.js';
import { snapshotFromFields, type UserSnapshot } from '../../src/store/user-snapshot.js';
import { loginOn } from '../../harness/login.js';
import { secretOf, totpAt } from '../../harness/otp.js';
import { OPERATOR, startStack, type Stack } from '../../harness/stack.js';

// What the gateway copies of users at start (copy-users.lua through
// CredentialRepository.loadSnapshots, by field position) is what the login path reads
// (HGETALL, by field name) of what a login reads, for every kind of record; and a packed copy that some write
// made stale is never decided on (decide.lua's revision check), with a real Redis.

let stack: Stack;
let sequence = 0;

test.before(async () => {
  stack = await startStack({ policy: '  reject_delay_ms: 0\n  max_failures: 5\n  lockout_seconds: 0\n', extra: 'challenge:\n  enabled: true\n' });
});

test.after.always(async () => {
  await stack.close();
});

/** The snapshot read by field name (as decide.lua's stale reply is), narrowed to what a login reads. */
async function readByName(name: string): Promise<UserSnapshot> {
  const { keys, redis } = stack.admin.store;
  const user = await redis.hgetall(keys.user(name));
  const challenges = await redis.hgetall(keys.challenges(name));
  const full = snapshotFromFields(name, Object.entries(user).flat(), Object.entries(challenges).flat());
  const record = full.user as UserRecord;
  const { status, pinHash, failures, lockedUntil, prefixedCodeLengths, challengeAllowed, token } = record;
  const tokenForLogin = token === undefined ? undefined : { type: token.type, encryptedSecret: token.encryptedSecret, digits: token.digits, period: token.period, algorithm: token.algorithm, state: token.state, lastStep: token.lastStep };
  return { ...full, user: { name, status, pinHash, failures, lockedUntil, prefixedCodeLengths, challengeAllowed, token: tokenForLogin } };
}

test('the copy read by position is the record read by name, for every kind of record', async (t) => {
  const { service } = stack.admin;
  const names = ['plain-ascii', 'jürgen.müller', '用户', 'brace{d}%name', 'no-token', 'hotp-user', 'disabled-user', 'with-codes', 'challenged', 'no-pin'];
  for (const name of names) await service.addUser(name, name === 'no-pin' ? undefined : '4821', OPERATOR);
  for (const name of names.filter((each) => each !== 'no-token' && each !== 'hotp-user')) await service.assignToken(name, {}, OPERATOR);
  await service.assignToken('hotp-user', { type: 'hotp' }, OPERATOR);
  await service.disableUser('disabled-user', OPERATOR);
  await service.issueCodes('with-codes', { kind: 'emergency-tokencode' }, OPERATOR);
  await service.setChallenge('no-token', false, OPERATOR);
  const { login } = loginOn(stack, { maxUsers: 100 });
  const challenged = await login.run({ user: 'challenged', password: '4821', fingerprint: 'copy-users:1', client: 'test-nas' });
  t.is(challenged.outcome.result, 'challenge');

  const loaded = await stack.admin.store.repository.loadSnapshots([...names, 'nobody-at-all']);
  t.false(loaded.has('nobody-at-all'), 'a name without a record is left out');
  for (const name of names) {
    const expected = await readByName(name);
    t.deepEqual(loaded.get(name), expected, name);
  }
  t.true(loaded.get('challenged')!.challenges.requests.length > 0, 'the pending challenge came with the copy');
});

test('a loaded copy made stale by another gateway or an admin is never decided on', async (t) => {
  const user = `stale-${++sequence}`;
  await stack.admin.service.addUser(user, '4821', OPERATOR);
  const { uri } = await stack.admin.service.assignToken(user, { type: 'hotp' }, OPERATOR);
  const secret = secretOf(uri);
  const calls: DecideResult['kind'][] = [];
  const decider = {
    async decide(request: DecideRequest): Promise<DecideResult> {
      const result = await stack.admin.store.decider.decide(request);
      calls.push(result.kind);
      return result;
    },
  };
  // The gateway under test holds the copies loaded at start.
  const gateway = loginOn(stack, { maxUsers: 100_000, decider });
  const { copies } = gateway;
  await new UserCopySync({ copies, repository: stack.admin.store.repository, isStoreHealthy: () => true, logger: stack.logger, followIntervalMs: 60_000 }).loadAll();
  t.true(copies.has(user));
  const run = async (password: string) => {
    calls.length = 0;
    const { outcome } = await gateway.login.run({ user, password, fingerprint: `copy-users:${++sequence}`, client: 'test-nas' });
    return { outcome, calls: [...calls] };
  };

  // Another gateway uses counter 0: this copy still says no counter was used.
  const other = loginOn(stack, { maxUsers: 10 }).login;
  t.is((await other.run({ user, password: `4821${hotp(secret, 0, 6)}`, fingerprint: `copy-users:${++sequence}`, client: 'test-nas' })).outcome.result, 'accept');
  const replay = await run(`4821${hotp(secret, 0, 6)}`);
  t.deepEqual(replay.calls, ['stale', 'decided'], 'the old copy was refused, the current record decided');
  t.is(replay.outcome.result === 'reject' ? replay.outcome.reason : replay.outcome.result, 'replay');
  t.is(copies.held(user)?.user?.token?.lastStep, 0, 'the copy is current again');
  t.deepEqual((await run(`4821${hotp(secret, 1, 6)}`)).calls, ['decided'], 'one round trip again');

  await stack.admin.service.setPin(user, '7777', OPERATOR);
  const oldPin = await run(`4821${hotp(secret, 2, 6)}`);
  t.deepEqual(oldPin.calls, ['stale', 'decided']);
  t.is(oldPin.outcome.result === 'reject' ? oldPin.outcome.reason : oldPin.outcome.result, 'bad-pin');

  await stack.admin.service.disableUser(user, OPERATOR);
  const disabled = await run(`7777${hotp(secret, 2, 6)}`);
  t.deepEqual(disabled.calls, ['stale', 'decided']);
  t.is(disabled.outcome.result === 'reject' ? disabled.outcome.reason : disabled.outcome.result, 'disabled');

  await stack.admin.service.enableUser(user, OPERATOR);
  const { uri: replaced } = await stack.admin.service.assignToken(user, { replace: true }, OPERATOR);
  t.is((await run(`7777${hotp(secret, 2, 6)}`)).outcome.result, 'reject', "the old token's codes are refused");
  const fresh = await run(`7777${totpAt(replaced, stack.clock.now)}`);
  t.is(fresh.outcome.result, 'accept', 'the new token, its secret decrypted with the new copy');
});
