import test from 'ava';
import { codeFamilyOf } from '../../src/credentials/code-family.js';
import { REFUSAL_REASONS, type LoginOutcome } from '../../src/credentials/login-outcome.js';
import { MAX_PENDING_REQUESTS, type CodeKind } from '../../src/credentials/records.js';
import { DECIDE_VOCABULARY, parseOutcome, type Candidate, type DecideRequest, type DecideResult } from '../../src/store/decide/decide-script.js';
import { RECORD_VOCABULARY, renderLua } from '../../src/store/lua-script.js';
import { readFileSync } from 'node:fs';
import { totpStep } from '../../src/credentials/otp/hotp.js';
import { openAdmin } from '../../src/serve/admin-access.js';
import { patient } from '../../harness/patience.js';
import { OPERATOR, startStack, type Stack } from '../../harness/stack.js';
import { REPO_ROOT } from '../../harness/paths.js';

// decide.lua's contract, owned by store/decide/decide-script.ts: typed arguments in, a
// typed outcome out, through the real script on a real Redis, for every kind of outcome
// the script can give (SPEC "Resolving a password", "Challenge flow", "Tokens").

let stack: Stack;
let sequence = 0;

test.before(async () => {
  stack = await startStack({ policy: '  reject_delay_ms: 0\n  max_failures: 3\n  lockout_seconds: 60\n' });
});

test.after.always(async () => {
  await stack.close();
});

const now = (): number => Date.now();

async function user(options: { token?: 'totp' | 'hotp' } = {}): Promise<{ name: string }> {
  const name = `decide${++sequence}`;
  await stack.admin.service.addUser(name, '4821', OPERATOR);
  await stack.admin.service.assignToken(name, { type: options.token ?? 'totp' }, OPERATOR);
  return { name };
}

async function revisionOf(name: string): Promise<string> {
  return (await stack.admin.store.repository.loadSnapshots([name])).get(name)?.revision ?? '';
}

function lookup(name: string, kind: CodeKind, code: string): Candidate {
  return { kind: 'code', lookup: stack.admin.keyring.hashCode(name, codeFamilyOf(kind), code) };
}

async function decide(name: string, candidates: readonly Candidate[], overrides: Partial<DecideRequest> = {}): Promise<DecideResult> {
  return stack.admin.store.decider.decide({
    user: name,
    fingerprint: `decide:${++sequence}`,
    now: now(),
    outcomeTtlMs: 10_000,
    maxFailures: 3,
    lockoutMs: 60_000,
    fallbackReason: 'bad-code',
    lostTokenPolicy: 'deny',
    temporaryBypass: false,
    presentedState: undefined,
    client: 'test-nas',
    revision: await revisionOf(name),
    challengeRevision: undefined,
    candidates,
    attempt: { client: 'test-nas', nasAddress: undefined, nasIdentifier: undefined, callingStationId: undefined, nasPort: undefined },
    ...overrides,
  });
}

function outcomeOf(result: DecideResult): LoginOutcome {
  if (result.kind !== 'decided') throw new Error(`expected a decision, got ${result.kind}`);
  return result.outcome;
}

test.serial('every name the script compares is spelled in TypeScript: the rendered script has none left', (t) => {
  const source = readFileSync(`${REPO_ROOT}src/store/decide/decide.lua`, 'utf8');
  const rendered = renderLua(source, DECIDE_VOCABULARY, 'decide.lua');
  t.false(/\$[a-zA-Z]+\.[a-zA-Z]+/.test(rendered));
  t.true(rendered.includes("'fails'"), 'a field name');
  t.true(rendered.includes("'OA'"), 'a kind');
  t.true(rendered.includes('code[8]'), 'a code field position');
  t.throws(() => renderLua("redis.call('HGET', KEYS[1], '$user.nosuchfield')", DECIDE_VOCABULARY, 'x.lua'), { message: /unknown name \$user\.nosuchfield/ });
  for (const file of ['create-user', 'update-user', 'issue-codes', 'revoke-codes', 'ensure-stand-in']) {
    t.notThrows(() => renderLua(readFileSync(`${REPO_ROOT}src/store/scripts/${file}.lua`, 'utf8'), RECORD_VOCABULARY, file), file);
  }
});

test.serial('parseOutcome reads every outcome the script stores, and refuses anything else', (t) => {
  t.deepEqual(parseOutcome('A|token|'), { result: 'accept', method: 'token', codeId: undefined });
  t.deepEqual(parseOutcome('A|ET|abc'), { result: 'accept', method: 'emergency-tokencode', codeId: 'abc' });
  t.deepEqual(parseOutcome('A|EP|abc'), { result: 'accept', method: 'emergency-passcode', codeId: 'abc' });
  t.deepEqual(parseOutcome('A|OA|abc'), { result: 'accept', method: 'online-authcode', codeId: 'abc' });
  t.deepEqual(parseOutcome('A|BP|abc'), { result: 'accept', method: 'temporary-bypass', codeId: 'abc' });
  t.deepEqual(parseOutcome('A|OF|7KAC3EWX'), { result: 'accept', method: 'offline-authcode', codeId: '7KAC3EWX' });
  t.deepEqual(parseOutcome('C|7KAC3EWX|00ff'), { result: 'challenge', requestCode: '7KAC3EWX', state: Buffer.from([0, 255]) });
  for (const reason of REFUSAL_REASONS) {
    t.deepEqual(parseOutcome(`R|${reason}`), { result: 'reject', reason, lockedNow: false });
    t.deepEqual(parseOutcome(`R|${reason}|locked`), { result: 'reject', reason, lockedNow: true });
  }
  t.throws(() => parseOutcome('R|a-reason-nobody-knows'));
  t.throws(() => parseOutcome('A|XX|id'));
  t.throws(() => parseOutcome('Q|what'));
});

test.serial('accept: a token step; the same step again is a replay', async (t) => {
  const { name } = await user();
  const step = totpStep(now() / 1000, 30);
  t.deepEqual(outcomeOf(await decide(name, [{ kind: 'token', step }])), { result: 'accept', method: 'token', codeId: undefined });
  t.like(outcomeOf(await decide(name, [{ kind: 'token', step }])), { result: 'reject', reason: 'replay' });
});

test.serial('accept: each kind of stored code, with its id; then used-up, revoked and expired', async (t) => {
  const { name } = await user();
  for (const kind of ['emergency-tokencode', 'emergency-passcode', 'online-authcode'] as const) {
    const [issued] = await stack.admin.service.issueCodes(name, { kind, uses: 1 }, OPERATOR);
    t.deepEqual(outcomeOf(await decide(name, [lookup(name, kind, issued!.code)])), { result: 'accept', method: kind, codeId: issued!.id }, kind);
    t.like(outcomeOf(await decide(name, [lookup(name, kind, issued!.code)])), { result: 'reject', reason: 'used-up' }, kind);
  }
  const [revoked] = await stack.admin.service.issueCodes(name, { kind: 'emergency-passcode' }, OPERATOR);
  await stack.admin.service.revokeCodes(name, { id: revoked!.id }, OPERATOR);
  t.like(outcomeOf(await decide(name, [lookup(name, 'emergency-passcode', revoked!.code)])), { result: 'reject', reason: 'revoked' });
  const [expiring] = await stack.admin.service.issueCodes(name, { kind: 'emergency-passcode', lifetime: '1h' }, OPERATOR);
  t.like(outcomeOf(await decide(name, [lookup(name, 'emergency-passcode', expiring!.code)], { now: now() + 2 * 3_600_000 })), { result: 'reject', reason: 'expired' });
});

test.serial('accept: the temporary bypass an online authorization code leaves, when the policy allows it', async (t) => {
  const { name } = await user();
  const [authcode] = await stack.admin.service.issueCodes(name, { kind: 'online-authcode' }, OPERATOR);
  t.like(outcomeOf(await decide(name, [lookup(name, 'online-authcode', authcode!.code)], { temporaryBypass: true })), { result: 'accept', method: 'online-authcode' });
  const bypass = outcomeOf(await decide(name, [{ kind: 'bypass' }], { temporaryBypass: true }));
  t.like(bypass, { result: 'accept', method: 'temporary-bypass' });
  t.regex((bypass as { codeId: string }).codeId, /^[0-9a-f]{10}$/);
});

test.serial('challenge: a request code and State; the State answered with the offline code: accept, once', async (t) => {
  const { name } = await user();
  const state = '00112233445566778899aabbccddeeff00112233';
  const challenge = { kind: 'challenge', requestCode: '7KAC3EWX', state, expiresAt: now() + 900_000 } as const;
  const sent = await decide(name, [challenge]);
  t.deepEqual(outcomeOf(sent), { result: 'challenge', requestCode: '7KAC3EWX', state: Buffer.from(state, 'hex') });
  // The decision changed what resolution reads: the record came back, with the challenge parsed.
  t.true(sent.kind === 'decided' && sent.snapshot !== undefined && sent.snapshot.challenges.states.get(state)?.requestCode === '7KAC3EWX');
  const offline = { kind: 'offline', requestCode: '7KAC3EWX', bypassUntil: now() + 86_400_000, answersState: true } as const;
  t.deepEqual(outcomeOf(await decide(name, [offline], { presentedState: state, fallbackReason: 'bad-authcode' })), { result: 'accept', method: 'offline-authcode', codeId: '7KAC3EWX' });
  t.like(outcomeOf(await decide(name, [offline], { presentedState: state, fallbackReason: 'bad-authcode' })), { result: 'reject', reason: 'bad-state' });
});

test.serial('reject: a State from another client, an expired State, a request code no longer pending', async (t) => {
  const { name } = await user();
  const challenge = (state: string, expiresAt: number) => ({ kind: 'challenge', requestCode: 'ZZZZ3333', state, expiresAt }) as const;
  await decide(name, [challenge('aa'.repeat(20), now() + 900_000)]);
  t.like(outcomeOf(await decide(name, [], { presentedState: 'aa'.repeat(20), client: 'other-nas' })), { result: 'reject', reason: 'state-from-another-client' });
  await decide(name, [challenge('bb'.repeat(20), now() + 900_000)]);
  t.like(outcomeOf(await decide(name, [], { presentedState: 'bb'.repeat(20), now: now() + 1_000_000 })), { result: 'reject', reason: 'state-expired' });
  const offline = { kind: 'offline', requestCode: 'ZZZZ3333', bypassUntil: now() + 86_400_000, answersState: false } as const;
  t.like(outcomeOf(await decide(name, [offline], { now: now() + 1_000_000 })), { result: 'reject', reason: 'request-code-expired' });
});

test.serial('reject: unknown, disabled, and, after max failures, locked (the third failure says so)', async (t) => {
  t.like(outcomeOf(await decide(`nobody${++sequence}`, [])), { result: 'reject', reason: 'unknown-user' });
  const { name } = await user();
  await stack.admin.service.disableUser(name, OPERATOR);
  t.like(outcomeOf(await decide(name, [])), { result: 'reject', reason: 'disabled' });
  await stack.admin.service.enableUser(name, OPERATOR);
  t.deepEqual(outcomeOf(await decide(name, [], { fallbackReason: 'bad-pin' })), { result: 'reject', reason: 'bad-pin', lockedNow: false });
  t.deepEqual(outcomeOf(await decide(name, [], { fallbackReason: 'bad-pin' })), { result: 'reject', reason: 'bad-pin', lockedNow: false });
  t.deepEqual(outcomeOf(await decide(name, [], { fallbackReason: 'bad-pin' })), { result: 'reject', reason: 'bad-pin', lockedNow: true });
  t.like(outcomeOf(await decide(name, [{ kind: 'token', step: totpStep(now() / 1000, 30) }])), { result: 'reject', reason: 'locked' });
});

test.serial('reject: a lost token (deny), a disabled token, an expired token', async (t) => {
  const lost = await user();
  await stack.admin.service.markTokenLost(lost.name, OPERATOR);
  t.like(outcomeOf(await decide(lost.name, [{ kind: 'token', step: totpStep(now() / 1000, 30) }])), { result: 'reject', reason: 'lost-token' });
  const disabled = await user();
  await stack.admin.service.setTokenDisabled(disabled.name, true, OPERATOR);
  t.like(outcomeOf(await decide(disabled.name, [{ kind: 'token', step: totpStep(now() / 1000, 30) }])), { result: 'reject', reason: 'token-disabled' });
  const name = `decide${++sequence}`;
  await stack.admin.service.addUser(name, '4821', OPERATOR);
  await stack.admin.service.assignToken(name, { expiresAt: new Date(now() + 3_600_000) }, OPERATOR);
  t.like(outcomeOf(await decide(name, [{ kind: 'token', step: totpStep(now() / 1000, 30) + 200 }], { now: now() + 2 * 3_600_000 })), { result: 'reject', reason: 'token-expired' });
});

test.serial('a lost token: allow-and-revoke accepts it, ends the lost state and revokes the emergency codes', async (t) => {
  const { name } = await user();
  const [code] = await stack.admin.service.issueCodes(name, { kind: 'emergency-tokencode' }, OPERATOR);
  await stack.admin.service.markTokenLost(name, OPERATOR);
  const result = await decide(name, [{ kind: 'token', step: totpStep(now() / 1000, 30) }], { lostTokenPolicy: 'allow-and-revoke' });
  t.like(outcomeOf(result), { result: 'accept', method: 'token' });
  t.is(result.kind === 'decided' ? result.snapshot?.user?.token?.state : undefined, 'active', 'the record came back: resolution reads the token state');
  t.like((await stack.admin.service.listCodes(name)).find((listed) => listed.id === code!.id), { state: 'revoked', revokedBy: 'token-found' });
});

test.serial('a lost token: allow-after-expiry refuses it while an emergency code is active, accepts it after', async (t) => {
  const { name } = await user();
  const [code] = await stack.admin.service.issueCodes(name, { kind: 'emergency-passcode' }, OPERATOR);
  await stack.admin.service.markTokenLost(name, OPERATOR);
  const step = totpStep(now() / 1000, 30);
  t.like(outcomeOf(await decide(name, [{ kind: 'token', step }], { lostTokenPolicy: 'allow-after-expiry' })), { result: 'reject', reason: 'lost-token' });
  await stack.admin.service.revokeCodes(name, { id: code!.id }, OPERATOR);
  t.like(outcomeOf(await decide(name, [{ kind: 'token', step }], { lostTokenPolicy: 'allow-after-expiry' })), { result: 'accept', method: 'token' });
});

test.serial('an HOTP counter used renews the revision and brings the record back; a TOTP step does not', async (t) => {
  const hotpUser = await user({ token: 'hotp' });
  const hotpResult = await decide(hotpUser.name, [{ kind: 'token', step: 0 }]);
  t.true(hotpResult.kind === 'decided' && hotpResult.snapshot?.user?.token?.lastStep === 0);
  const totpUser = await user();
  const totpResult = await decide(totpUser.name, [{ kind: 'token', step: totpStep(now() / 1000, 30) }]);
  t.true(totpResult.kind === 'decided' && totpResult.snapshot === undefined);
});

test.serial('a decoy is looked up and never consumed, even when it is a real code\'s lookup', async (t) => {
  const { name } = await user();
  const [issued] = await stack.admin.service.issueCodes(name, { kind: 'emergency-tokencode', uses: 1 }, OPERATOR);
  const real = lookup(name, 'emergency-tokencode', issued!.code);
  const decoy = { kind: 'decoy', lookup: real.kind === 'code' ? real.lookup : '' } as const;
  t.like(outcomeOf(await decide(name, [decoy], { fallbackReason: 'bad-pin' })), { result: 'reject', reason: 'bad-pin' });
  t.is((await stack.admin.service.listCodes(name))[0]!.uses, 0);
});

test.serial('an offline code typed after the PIN (the prompt timed out) answers a pending request code without a State', async (t) => {
  const { name } = await user();
  await decide(name, [{ kind: 'challenge', requestCode: 'CCCC4444', state: 'cc'.repeat(20), expiresAt: now() + 900_000 }]);
  const offline = { kind: 'offline', requestCode: 'CCCC4444', bypassUntil: now() + 86_400_000, answersState: false } as const;
  t.like(outcomeOf(await decide(name, [offline])), { result: 'accept', method: 'offline-authcode', codeId: 'CCCC4444' });
  t.like(outcomeOf(await decide(name, [offline])), { result: 'reject', reason: 'request-code-expired' }, 'the request code was used');
});

test.serial("challenge path: no token, or an expired one, gets no challenge and no offline access (RSA's rule)", async (t) => {
  const name = `decide${++sequence}`;
  await stack.admin.service.addUser(name, '4821', OPERATOR);
  const challenge = (code: string) => ({ kind: 'challenge', requestCode: code, state: `${code}`.padEnd(40, '0'), expiresAt: now() + 900_000 }) as const;
  t.like(outcomeOf(await decide(name, [challenge('ZZZZ4444')])), { result: 'reject', reason: 'no-token' });
  await stack.admin.service.assignToken(name, { expiresAt: new Date(now() + 60_000) }, OPERATOR);
  t.like(outcomeOf(await decide(name, [challenge('ZZZZ5555')])), { result: 'challenge', requestCode: 'ZZZZ5555' });
  const later = now() + 120_000;
  const offline = { kind: 'offline', requestCode: 'ZZZZ5555', bypassUntil: later + 86_400_000, answersState: false } as const;
  t.like(outcomeOf(await decide(name, [offline], { now: later })), { result: 'reject', reason: 'token-expired' });
  t.like(outcomeOf(await decide(name, [challenge('ZZZZ6666')], { now: later })), { result: 'reject', reason: 'token-expired' });
});

test.serial('challenges: the newest few stay pending, with their States; an older State is refused', async (t) => {
  const { name } = await user();
  const codes = Array.from({ length: 3 * MAX_PENDING_REQUESTS }, (_, i) => `PEND${String(i).padStart(4, '0')}`);
  const state = (code: string) => Buffer.from(code).toString('hex').padEnd(40, '0');
  for (const [i, code] of codes.entries()) {
    t.like(outcomeOf(await decide(name, [{ kind: 'challenge', requestCode: code, state: state(code), expiresAt: now() + 900_000 + i }])), { result: 'challenge' });
  }
  const pending = await stack.admin.store.repository.getChallenges(name);
  t.deepEqual(pending.requests.map((request) => request.requestCode).sort(), codes.slice(-MAX_PENDING_REQUESTS));
  t.deepEqual([...pending.states.values()].map((entry) => entry.requestCode).sort(), codes.slice(-MAX_PENDING_REQUESTS));
  t.like(outcomeOf(await decide(name, [], { presentedState: state(codes[0]!) })), { result: 'reject', reason: 'bad-state' });
});

test.serial('the challenges revision: a PIN-only request is decided on a copy whose challenges changed; one that read them is sent back', async (t) => {
  const { name } = await user();
  const [before] = [...(await stack.admin.store.repository.loadSnapshots([name])).values()];
  const challenge = (code: string) => ({ kind: 'challenge', requestCode: code, state: code.padEnd(40, '0'), expiresAt: now() + 900_000 }) as const;
  const sent = await decide(name, [challenge('REVS1111')], { revision: before!.revision, challengeRevision: undefined });
  t.like(outcomeOf(sent), { result: 'challenge' });
  t.not(sent.kind === 'decided' ? sent.snapshot?.challengeRevision : undefined, before!.challengeRevision, 'a challenge renews the challenges revision');
  t.is(sent.kind === 'decided' ? sent.snapshot?.revision : undefined, before!.revision, 'and not the record revision');
  // Another PIN-only request computed on the copy from before: decided all the same.
  t.like(outcomeOf(await decide(name, [challenge('REVS2222')], { revision: before!.revision, challengeRevision: undefined })), { result: 'challenge' });
  const stale = await decide(name, [], { revision: before!.revision, challengeRevision: before!.challengeRevision, presentedState: 'REVS1111'.padEnd(40, '0') });
  t.is(stale.kind, 'stale', 'a State read from the old copy: sent back with the current challenges');
  t.is(stale.kind === 'stale' ? stale.snapshot.challenges.requests.length : 0, 2);
});

test.serial('an offline code used: the bypass records where it came from, and the request code is remembered as used until the access ends', async (t) => {
  const { name } = await user();
  await decide(name, [{ kind: 'challenge', requestCode: 'USED7777', state: 'ee'.repeat(20), expiresAt: now() + 900_000 }]);
  const bypassUntil = now() + 86_400_000;
  t.like(outcomeOf(await decide(name, [{ kind: 'offline', requestCode: 'USED7777', bypassUntil, answersState: false }], { temporaryBypass: true })), { result: 'accept' });
  const access = await stack.admin.service.challengeAccess(name);
  t.like(access.temporaryAccess, { state: 'active', createdBy: { requestCode: 'USED7777' }, endsAt: new Date(bypassUntil).toISOString() });
  t.deepEqual((await stack.admin.store.repository.getChallenges(name)).used, [{ requestCode: 'USED7777', expiresAt: bypassUntil }]);
});

test.serial('replay: a retransmission gets the outcome already taken, and consumes nothing', async (t) => {
  const { name } = await user();
  const [issued] = await stack.admin.service.issueCodes(name, { kind: 'emergency-passcode', uses: 1 }, OPERATOR);
  const request = { fingerprint: `retransmitted:${++sequence}` };
  const first = await decide(name, [lookup(name, 'emergency-passcode', issued!.code)], request);
  const again = await decide(name, [lookup(name, 'emergency-passcode', issued!.code)], request);
  t.like(first, { kind: 'decided', replayed: false });
  t.like(again, { kind: 'decided', replayed: true });
  t.deepEqual(outcomeOf(again), outcomeOf(first));
  t.is((await stack.admin.service.listCodes(name))[0]!.uses, 1);
});

test.serial('stale: a copy with another revision gets the current record, and nothing is decided', async (t) => {
  const { name } = await user({ token: 'hotp' });
  const result = await decide(name, [{ kind: 'token', step: 0 }], { revision: 'an-old-revision' });
  if (result.kind !== 'stale') return t.fail(`expected stale, got ${result.kind}`);
  t.is(result.snapshot.user?.name, name);
  t.is(result.snapshot.user?.token?.type, 'hotp');
  t.is(result.snapshot.revision, await revisionOf(name));
  t.is((await stack.admin.service.showUser(name)).failures, 0, 'nothing was counted');
});

test.serial('late: a script run after the gateway gave up on it decides nothing (the store says unavailable)', async (t) => {
  const { name } = await user();
  const [issued] = await stack.admin.service.issueCodes(name, { kind: 'emergency-passcode', uses: 1 }, OPERATOR);
  // The gateway's deadline an hour behind Redis's clock: the script finds itself late. A
  // connection of its own, since a late script marks its store stalled until a probe answers.
  const own = await openAdmin(stack.config, stack.logger, { connectTimeoutMs: patient(5000) });
  const realNow = Date.now;
  try {
    const candidates = [lookup(name, 'emergency-passcode', issued!.code)];
    const revision = await revisionOf(name);
    Date.now = () => realNow() - 3_600_000;
    const late = own.store.decider.decide({
      user: name, fingerprint: `late:${++sequence}`, now: realNow(), outcomeTtlMs: 10_000, maxFailures: 3, lockoutMs: 60_000, fallbackReason: 'bad-code',
      lostTokenPolicy: 'deny', temporaryBypass: false, presentedState: undefined, client: 'test-nas', revision, challengeRevision: undefined, candidates,
      attempt: { client: 'test-nas', nasAddress: undefined, nasIdentifier: undefined, callingStationId: undefined, nasPort: undefined },
    });
    Date.now = realNow;
    await t.throwsAsync(late, { code: 'RADGATE_STORE_UNAVAILABLE', message: /after the command timeout/ });
  } finally {
    Date.now = realNow;
    await own.close();
  }
  t.is((await stack.admin.service.listCodes(name))[0]!.uses, 0, 'the code was not consumed');
  t.deepEqual(await stack.admin.store.repository.recentAttempts(name), [], 'nor recorded as an attempt');
});
