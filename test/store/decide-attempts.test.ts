import test from 'ava';
import { ATTEMPTS_KEPT, ATTEMPTS_RETENTION_MS, type NasContext } from '../../src/credentials/login-attempt.js';
import { totpStep } from '../../src/credentials/otp/hotp.js';
import { parseAttempt, type Candidate, type DecideRequest, type DecideResult } from '../../src/store/decide/decide-script.js';
import { OPERATOR, startStack, type Stack } from '../../harness/stack.js';

// decide.lua records each decision as an attempt of its user, in the same script (the
// helpdesk's "who tried to log in"): what is kept, what is not, and where.

let stack: Stack;
let sequence = 0;

test.before(async () => {
  stack = await startStack({ policy: '  reject_delay_ms: 0\n  max_failures: 3\n  lockout_seconds: 60\n' });
});

test.after.always(async () => {
  await stack.close();
});

const FROM: NasContext = { client: 'test-nas', nasAddress: '192.0.2.7', nasIdentifier: 'vpn|1 "east"', callingStationId: '00-11-22-33-44-55', nasPort: 4711 };

async function user(): Promise<string> {
  const name = `attempts${++sequence}`;
  await stack.admin.service.addUser(name, '4821', OPERATOR);
  await stack.admin.service.assignToken(name, { type: 'totp' }, OPERATOR);
  return name;
}

async function decide(name: string, candidates: readonly Candidate[], overrides: Partial<DecideRequest> = {}): Promise<DecideResult> {
  const revision = (await stack.admin.store.repository.loadSnapshots([name])).get(name)?.revision ?? '';
  return stack.admin.store.decider.decide({
    user: name, fingerprint: `attempts:${++sequence}`, now: Date.now(), outcomeTtlMs: 10_000, maxFailures: 3, lockoutMs: 60_000,
    fallbackReason: 'bad-pin', lostTokenPolicy: 'deny', temporaryBypass: false, presentedState: undefined, client: FROM.client,
    revision, challengeRevision: undefined, candidates, attempt: FROM, ...overrides,
  });
}

test.serial('accept, reject and challenge are recorded newest first, with where they came from; a challenge without its request code or State', async (t) => {
  const name = await user();
  const step = totpStep(Date.now() / 1000, 30);
  await decide(name, [{ kind: 'token', step }]);
  await decide(name, []);
  const state = 'ab'.repeat(20);
  await decide(name, [{ kind: 'challenge', requestCode: 'SECRET77', state, expiresAt: Date.now() + 900_000 }]);
  const attempts = await stack.admin.store.repository.recentAttempts(name);
  t.like(attempts, [
    { result: 'challenge', method: 'offline-authcode', reason: undefined },
    { result: 'reject', method: undefined, reason: 'bad-pin', lockedNow: false },
    { result: 'accept', method: 'token', reason: undefined, codeId: undefined },
  ]);
  for (const attempt of attempts) t.like(attempt, FROM);
  t.true(attempts[0]!.at <= Date.now() && attempts[0]!.at > Date.now() - 60_000);
  const raw = await stack.admin.store.redis.lrange(stack.admin.store.keys.attempts(name), 0, -1);
  t.false(raw.some((entry) => entry.includes('SECRET77') || entry.includes(state)), 'no request code, no State');
});

test.serial('the lockout is recorded on the reject that locked; then "locked"', async (t) => {
  const name = await user();
  for (let i = 0; i < 3; i++) await decide(name, []);
  await decide(name, []);
  t.like(await stack.admin.store.repository.recentAttempts(name), [{ reason: 'locked' }, { reason: 'bad-pin', lockedNow: true }, { lockedNow: false }, { lockedNow: false }]);
});

test.serial(`at most ${ATTEMPTS_KEPT} are kept, the newest, and the list expires`, async (t) => {
  const name = await user();
  for (let i = 0; i < ATTEMPTS_KEPT + 5; i++) await decide(name, [], { now: 1_000_000 + i, maxFailures: 100 });
  const attempts = await stack.admin.store.repository.recentAttempts(name);
  t.is(attempts.length, ATTEMPTS_KEPT);
  t.is(attempts[0]!.at, 1_000_000 + ATTEMPTS_KEPT + 4);
  t.is(attempts.at(-1)!.at, 1_000_005);
  const ttl = await stack.admin.store.redis.pttl(stack.admin.store.keys.attempts(name));
  t.true(ttl > ATTEMPTS_RETENTION_MS - 60_000 && ttl <= ATTEMPTS_RETENTION_MS);
});

test.serial('a replay, a stale copy and no context record nothing', async (t) => {
  const name = await user();
  const fingerprint = `once:${++sequence}`;
  await decide(name, [], { fingerprint });
  await decide(name, [], { fingerprint });
  t.is((await stack.admin.store.repository.recentAttempts(name)).length, 1, 'the retransmission is not a second attempt');
  t.is((await decide(name, [], { revision: 'old' })).kind, 'stale');
  await decide(name, [], { attempt: undefined });
  t.is((await stack.admin.store.repository.recentAttempts(name)).length, 1);
});

test.serial("an unknown user's attempt goes to the stand-in list: no key for a made-up name, the same work", async (t) => {
  const name = `nobody-${++sequence}`;
  await decide(name, []);
  t.is(await stack.admin.store.redis.exists(stack.admin.store.keys.attempts(name)), 0);
  const standIn = stack.admin.store.standIns.keysFor(stack.admin.store.keys.user(name)).attempts;
  const [latest] = await stack.admin.store.redis.lrange(standIn, 0, 0);
  t.like(parseAttempt(latest!), { result: 'reject', reason: 'unknown-user', client: FROM.client });
  t.false(latest!.includes(name), 'not even the name typed (a password typed as a user name)');
});

test.serial('deleting a user deletes their attempts', async (t) => {
  const name = await user();
  await decide(name, []);
  await stack.admin.service.deleteUser(name, OPERATOR);
  t.is(await stack.admin.store.redis.exists(stack.admin.store.keys.attempts(name)), 0);
});
