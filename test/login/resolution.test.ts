import test from 'ava';
import type { IssueRequest } from '../../src/admin/code-issuing.js';
import { groupCode } from '../../src/credentials/codes/alphabet.js';
import { hotp } from '../../src/credentials/otp/hotp.js';
import type { LoginRoundTrip } from '../../src/login/login-round-trip.js';
import { loginOn } from '../../harness/login.js';
import { OPERATOR, startStack, type Stack } from '../../harness/stack.js';
import { secretOf, totpAt } from '../../harness/otp.js';

let stack: Stack;
let roundTrip: LoginRoundTrip;
let sequence = 0;

test.before(async () => {
  stack = await startStack({ policy: '  reject_delay_ms: 0\n  max_failures: 5\n  lockout_seconds: 0\n' });
  // With copies of user records, as the gateway runs it: every admin change below must reach
  // the next login through the revision check (user-copies.test.ts counts round trips).
  roundTrip = loginOn(stack, { maxUsers: 1000 }).login;
});

test.after.always(async () => {
  await stack.close();
});

/** A fresh user with PIN 4821 and a TOTP token; each test gets its own. */
async function userWithToken(pin = '4821'): Promise<{ user: string; uri: string }> {
  const user = `user${++sequence}`;
  await stack.admin.service.addUser(user, pin, OPERATOR);
  const { uri } = await stack.admin.service.assignToken(user, {}, OPERATOR);
  return { user, uri };
}

async function issue(user: string, request: IssueRequest): Promise<string> {
  const [issued] = await stack.admin.service.issueCodes(user, request, OPERATOR);
  return issued!.code;
}

/** One authentication as the gateway runs it; each call is a new request (new fingerprint). */
async function login(user: string, password: string) {
  const { outcome } = await roundTrip.run({ user, password, fingerprint: `test:${++sequence}`, client: 'test-nas' });
  return outcome;
}

async function accepted(user: string, password: string): Promise<string | undefined> {
  const outcome = await login(user, password);
  return outcome.result === 'accept' ? outcome.method : undefined;
}

async function rejectReason(user: string, password: string): Promise<string | undefined> {
  const outcome = await login(user, password);
  return outcome.result === 'reject' ? outcome.reason : undefined;
}

test('PIN + tokencode: accepted once, then a replay is refused', async (t) => {
  const { user, uri } = await userWithToken();
  const code = totpAt(uri, stack.clock.now);
  t.is(await accepted(user, `4821${code}`), 'token');
  t.is(await rejectReason(user, `4821${code}`), 'replay');
  t.is(await rejectReason(user, `4822${totpAt(uri, stack.clock.now, 1)}`), 'bad-pin');
  t.is(await rejectReason(user, `4821${code === '000000' ? '000001' : '000000'}`), 'bad-code');
});

test('PIN + tokencode accepts one step of drift either side, not two', async (t) => {
  const { user, uri } = await userWithToken();
  t.is(await accepted(user, `4821${totpAt(uri, stack.clock.now, -1)}`), 'token');
  t.is(await rejectReason(user, `4821${totpAt(uri, stack.clock.now, -2)}`), 'bad-code');
  t.is(await accepted(user, `4821${totpAt(uri, stack.clock.now, 1)}`), 'token');
  // Step +1 has been used: an earlier step can no longer be used either.
  t.is(await rejectReason(user, `4821${totpAt(uri, stack.clock.now, 0)}`), 'replay');
});

test('HOTP: look-ahead window, and a counter is never accepted twice', async (t) => {
  const user = `user${++sequence}`;
  await stack.admin.service.addUser(user, '4821', OPERATOR);
  const { uri } = await stack.admin.service.assignToken(user, { type: 'hotp' }, OPERATOR);
  const secret = secretOf(uri);
  t.is(await accepted(user, `4821${hotp(secret, 3, 6)}`), 'token');
  t.is(await rejectReason(user, `4821${hotp(secret, 3, 6)}`), 'replay');
  t.is(await rejectReason(user, `4821${hotp(secret, 1, 6)}`), 'replay', 'a skipped counter is behind the window now');
  t.is(await accepted(user, `4821${hotp(secret, 4, 6)}`), 'token');
  t.is(await rejectReason(user, `4821${hotp(secret, 40, 6)}`), 'bad-code', 'beyond the look-ahead window');
});

test('emergency tokencode (PIN + code): right, near misses, other user, case and hyphens', async (t) => {
  const { user } = await userWithToken();
  const other = await userWithToken('9999');
  const code = await issue(user, { kind: 'emergency-tokencode', lifetime: '12h' });
  const otherCode = await issue(other.user, { kind: 'emergency-tokencode', lifetime: '12h' });
  t.is(code.length, 8);
  t.is(await rejectReason(user, `4822${code}`), 'bad-pin', 'wrong PIN, right code');
  t.is(await rejectReason(user, `4821${code.slice(0, 7)}${code[7] === 'Z' ? '3' : 'Z'}`), 'bad-code', 'right PIN, wrong code');
  t.is(await rejectReason(user, `4821${otherCode}`), 'bad-code', "another user's code");
  t.is(await rejectReason(user, code), 'bad-pin', 'the code without the PIN');
  t.is(await accepted(user, `4821${groupCode(code).toLowerCase()}`), 'emergency-tokencode', 'lower case with hyphens');
  t.is(await accepted(user, `4821 ${code}`), 'emergency-tokencode', 'a fixed code serves until it expires');
});

test('an emergency tokencode longer than the tokencode still resolves (the PIN length is not assumed)', async (t) => {
  const { user } = await userWithToken('123456');
  const code = await issue(user, { kind: 'emergency-tokencode' });
  t.is(code.length, 8);
  t.is(await accepted(user, `123456${code}`), 'emergency-tokencode');
  const { user: shortPin } = await userWithToken('1234');
  const passcodeLength = await issue(shortPin, { kind: 'online-authcode', lifetime: '2d' });
  t.is(passcodeLength.length, 12);
  t.is(await accepted(shortPin, `1234${passcodeLength}`), 'online-authcode');
});

test('emergency passcode: the whole password, no PIN', async (t) => {
  const { user } = await userWithToken();
  const code = await issue(user, { kind: 'emergency-passcode', uses: 1 });
  t.is(code.length, 12);
  t.is(await rejectReason(user, `4821${code}`), 'bad-pin', 'a passcode is not typed after the PIN');
  t.is(await accepted(user, groupCode(code)), 'emergency-passcode');
  t.is(await rejectReason(user, code), 'used-up');
});

test('a set of one-time codes: each works once, then is used up', async (t) => {
  const { user } = await userWithToken();
  const codes = await stack.admin.service.issueCodes(user, { kind: 'emergency-tokencode', count: 3 }, OPERATOR);
  t.is(codes.length, 3);
  t.deepEqual(codes.map((code) => code.maxUses), [1, 1, 1]);
  for (const { code } of codes) t.is(await accepted(user, `4821${code}`), 'emergency-tokencode');
  for (const { code } of codes) t.is(await rejectReason(user, `4821${code}`), 'used-up');
  const listed = await stack.admin.service.listCodes(user);
  t.deepEqual(listed.map((code) => [code.state, code.uses]), [['used-up', 1], ['used-up', 1], ['used-up', 1]]);
});

test.serial('expired and revoked codes are refused with their reason', async (t) => {
  const { user } = await userWithToken();
  const expiring = await issue(user, { kind: 'emergency-tokencode', lifetime: '1h' });
  const [revokedCode] = await stack.admin.service.issueCodes(user, { kind: 'emergency-passcode' }, OPERATOR);
  await stack.admin.service.revokeCodes(user, { id: revokedCode!.id }, OPERATOR);
  t.is(await rejectReason(user, revokedCode!.code), 'revoked');
  t.is(await accepted(user, `4821${expiring}`), 'emergency-tokencode');
  stack.clock.advance(3_600_001);
  try {
    t.is(await rejectReason(user, `4821${expiring}`), 'expired');
  } finally {
    stack.clock.advance(-3_600_001);
  }
});

test.serial('revoke --last revokes the most recent issue; --all everything', async (t) => {
  const { user } = await userWithToken();
  const first = await issue(user, { kind: 'online-authcode', lifetime: '1d' });
  stack.clock.advance(1000);
  const batch = await stack.admin.service.issueCodes(user, { kind: 'emergency-tokencode', count: 2 }, OPERATOR);
  stack.clock.advance(-1000);
  const revoked = await stack.admin.service.revokeCodes(user, { last: undefined }, OPERATOR);
  t.deepEqual(revoked.codes.map((code) => code.id).sort(), batch.map((code) => code.id).sort());
  t.is(await accepted(user, `4821${first}`), 'online-authcode');
  t.is(await rejectReason(user, `4821${batch[0]!.code}`), 'revoked');
  await stack.admin.service.revokeCodes(user, 'all', OPERATOR);
  t.is(await rejectReason(user, `4821${first}`), 'revoked');
  t.true((await stack.admin.service.listCodes(user)).every((code) => code.state === 'revoked' && code.revokedBy === OPERATOR.operator));
});

test('online authorization code: 1 to 31 days or one calendar month', async (t) => {
  const { user } = await userWithToken();
  for (const lifetime of ['12h', '32d', '40d']) {
    await t.throwsAsync(stack.admin.service.issueCodes(user, { kind: 'online-authcode', lifetime }, OPERATOR), { message: /1 to 31 days, or 1month/ });
  }
  for (const lifetime of ['1d', '31d', '1month']) {
    t.is((await stack.admin.service.issueCodes(user, { kind: 'online-authcode', lifetime }, OPERATOR)).length, 1);
  }
});

test.serial('calendar month: Jan 31 → end of Feb 28/29; Aug 26 15:00 → Sep 26 15:00', async (t) => {
  const saved = stack.clock.now;
  try {
    const cases: [string, string][] = [
      ['2025-01-31T10:00:00.000Z', '2025-02-28T10:00:00.000Z'],
      ['2024-01-31T10:00:00.000Z', '2024-02-29T10:00:00.000Z'],
      ['2026-08-26T15:00:00.000Z', '2026-09-26T15:00:00.000Z'],
      ['2026-12-15T08:30:00.000Z', '2027-01-15T08:30:00.000Z'],
    ];
    for (const [issuedAt, expected] of cases) {
      stack.clock.now = Date.parse(issuedAt);
      const { user } = await userWithToken();
      const [issued] = await stack.admin.service.issueCodes(user, { kind: 'online-authcode', lifetime: '1month' }, OPERATOR);
      t.is(issued!.expiresAt, expected);
      stack.clock.now = Date.parse(expected) - 1;
      t.is(await accepted(user, `4821${issued!.code}`), 'online-authcode', `valid just before ${expected}`);
      stack.clock.now = Date.parse(expected);
      t.is(await rejectReason(user, `4821${issued!.code}`), 'expired', `expired at ${expected}`);
    }
  } finally {
    stack.clock.now = saved;
  }
});

test.serial('issuing for a user whose token expired: "assign a new token first"', async (t) => {
  const user = `user${++sequence}`;
  await stack.admin.service.addUser(user, '4821', OPERATOR);
  await t.throwsAsync(stack.admin.service.issueCodes(user, { kind: 'emergency-passcode' }, OPERATOR), { message: /no token: assign one first/ });
  await stack.admin.service.assignToken(user, { expiresAt: new Date(stack.clock.now + 60_000) }, OPERATOR);
  stack.clock.advance(120_000);
  try {
    await t.throwsAsync(stack.admin.service.issueCodes(user, { kind: 'emergency-tokencode' }, OPERATOR), { message: /token has expired: assign a new token first/ });
  } finally {
    stack.clock.advance(-120_000);
  }
});

test('a lost token: its tokencode is refused (and alerted), emergency codes still work', async (t) => {
  const { user, uri } = await userWithToken();
  const code = await issue(user, { kind: 'emergency-tokencode' });
  await stack.admin.service.markTokenLost(user, OPERATOR);
  const result = await roundTrip.run({ user, password: `4821${totpAt(uri, stack.clock.now)}`, fingerprint: `lost:${++sequence}`, client: 'test-nas' });
  t.deepEqual(result.outcome, { result: 'reject', reason: 'lost-token', lockedNow: false });
  t.true(result.lostTokenUsed);
  t.is(await accepted(user, `4821${code}`), 'emergency-tokencode');
  await stack.admin.service.markTokenFound(user, OPERATOR);
  t.is(await accepted(user, `4821${totpAt(uri, stack.clock.now, 1)}`), 'token');
});

test('lockout after max_failures consecutive failures; unlock resets it; success resets the count', async (t) => {
  const { user, uri } = await userWithToken();
  for (let i = 0; i < 4; i++) t.is(await rejectReason(user, `0000${i}`), 'bad-pin');
  t.is(await accepted(user, `4821${totpAt(uri, stack.clock.now)}`), 'token', 'a success after 4 failures');
  for (let i = 0; i < 4; i++) await login(user, 'wrong');
  const fifth = await login(user, 'wrong');
  t.deepEqual(fifth, { result: 'reject', reason: 'bad-pin', lockedNow: true });
  t.is(await rejectReason(user, `4821${totpAt(uri, stack.clock.now, 1)}`), 'locked', 'even the right password');
  t.true((await stack.admin.service.showUser(user)).locked);
  await stack.admin.service.unlockUser(user, OPERATOR);
  const shown = await stack.admin.service.showUser(user);
  t.false(shown.locked);
  t.is(shown.failures, 0);
  t.is(await accepted(user, `4821${totpAt(uri, stack.clock.now, 1)}`), 'token');
});

test('unknown and disabled users are rejected; a disabled user keeps their codes for later', async (t) => {
  t.is(await rejectReason('nobody-at-all', '4821123456'), 'unknown-user');
  const { user } = await userWithToken();
  const code = await issue(user, { kind: 'emergency-passcode' });
  await stack.admin.service.disableUser(user, OPERATOR);
  t.is(await rejectReason(user, code), 'disabled');
  await stack.admin.service.enableUser(user, OPERATOR);
  t.is(await accepted(user, code), 'emergency-passcode');
});

test('bad input is refused before anything is written', async (t) => {
  const { user } = await userWithToken();
  await t.throwsAsync(stack.admin.service.setPin(user, '12', OPERATOR), { message: /4 to 8/ });
  await t.throwsAsync(stack.admin.service.setPin(user, '12ab', OPERATOR), { message: /digits only/ });
  await t.throwsAsync(stack.admin.service.addUser(user, '1234', OPERATOR), { message: /already exists/ });
  await t.throwsAsync(stack.admin.service.issueCodes(user, { kind: 'emergency-passcode', uses: 0 }, OPERATOR), { message: /--uses/ });
  await t.throwsAsync(stack.admin.service.issueCodes(user, { kind: 'emergency-passcode', expiresAt: new Date(stack.clock.now - 1000) }, OPERATOR), { message: /in the past/ });
  await t.throwsAsync(stack.admin.service.issueCodes(user, { kind: 'emergency-passcode', lifetime: 'soon' }, OPERATOR), { message: /not a lifetime/ });
  await t.throwsAsync(stack.admin.service.issueCodes('ghost', { kind: 'emergency-passcode' }, OPERATOR), { message: /no user named "ghost"/ });
  await t.throwsAsync(stack.admin.service.addUser('bad\u0007name', '1234', OPERATOR), { message: /control characters/ });
  t.deepEqual(await stack.admin.service.listCodes(user), []);
});

test('a disabled token: its tokencode is refused (not alerted) until enabled', async (t) => {
  const { user, uri } = await userWithToken();
  await stack.admin.service.setTokenDisabled(user, true, OPERATOR);
  const result = await roundTrip.run({ user, password: `4821${totpAt(uri, stack.clock.now)}`, fingerprint: `disabled:${++sequence}`, client: 'test-nas' });
  t.deepEqual(result.outcome, { result: 'reject', reason: 'token-disabled', lockedNow: false });
  t.false(result.lostTokenUsed);
  await stack.admin.service.setTokenDisabled(user, false, OPERATOR);
  t.is(await accepted(user, `4821${totpAt(uri, stack.clock.now, 1)}`), 'token');
});
