import test from 'ava';
import type { CodeView, ChallengeAccessView } from '../../src/admin/views.js';
import { MAX_PENDING_REQUESTS } from '../../src/credentials/records.js';
import { PacketCode } from '../../src/protocol/index.js';
import { authcode, challengeHarness, challengeOf, userWithToken, type ChallengeHarness } from '../../harness/challenge-harness.js';
import { openNas } from '../../harness/nas.js';
import { OPERATOR } from '../../harness/stack.js';

// Temporary access — IBM's password-only lock (the temporary bypass) and the challenge
// flow's pending request codes — ends when the helpdesk says so, at once, on every
// gateway instance (SPEC "Issued codes", "Challenge flow", "Tokens"). A real redis-server,
// real gateways over real UDP, and the CLI as the helpdesk runs it.

/** The reason of the last decision logged for `user` (the gateway's audit line). */
function lastReason(h: ChallengeHarness, user: string): string | undefined {
  for (let i = h.stack.lines.length - 1; i >= 0; i--) {
    const line = JSON.parse(h.stack.lines[i]!) as { event?: string; user?: string; reason?: string };
    if (line.event === 'decision' && line.user === user) return line.reason;
  }
  return undefined;
}

async function codeListing(h: ChallengeHarness, user: string): Promise<{ codes: CodeView[]; challenge: ChallengeAccessView }> {
  const listed = await h.stack.cli('code', 'list', user, '--json');
  if (listed.exitCode !== 0) throw new Error(listed.stderr);
  return JSON.parse(listed.stdout) as { codes: CodeView[]; challenge: ChallengeAccessView };
}

/**
 * Gives the user a token that expired a minute ago, on the gateway's clock and on the
 * clock of a CLI subprocess alike: assigned (and `before` run) with the stack's clock two
 * minutes back, when it was still valid.
 */
async function expiredToken<T>(h: ChallengeHarness, user: string, before: () => Promise<T> = async () => undefined as T): Promise<T> {
  h.stack.clock.advance(-120_000);
  try {
    await h.stack.admin.service.assignToken(user, { expiresAt: new Date(h.stack.clock.now + 60_000), replace: true }, OPERATOR);
    return await before();
  } finally {
    h.stack.clock.advance(120_000);
  }
}

/** An online authorization code, used once: the PIN alone is now let in (the bypass). */
async function usedOnlineAuthcode(h: ChallengeHarness, user: string, pin: string): Promise<{ id: string; code: string }> {
  const [online] = await h.stack.admin.service.issueCodes(user, { kind: 'online-authcode', lifetime: '2d' }, OPERATOR);
  if ((await h.send(user, `${pin}${online!.code}`))?.code !== PacketCode.AccessAccept) throw new Error('the authorization code was not accepted');
  return online!;
}

for (const how of ['--id', '--last', '--all'] as const) {
  test(`code revoke ${how} of an online authorization code ends the PIN-only access its use left, at once on every gateway`, async (t) => {
    const h = await challengeHarness(true);
    try {
      const second = (await h.stack.startGateway()).server.addresses()[0]!.port;
      await userWithToken(h, 'alma', '2580');
      const online = await usedOnlineAuthcode(h, 'alma', '2580');
      for (const port of [h.port, second]) t.is((await h.send('alma', '2580', { port }))?.code, PacketCode.AccessAccept, 'PIN alone, before');

      const revoked = await h.stack.cli('code', 'revoke', 'alma', ...(how === '--id' ? ['--id', online.id] : [how]), '--reason', 'INC-1');
      t.is(revoked.exitCode, 0, revoked.stderr);
      t.regex(revoked.stdout, new RegExp(`revoked 1 code: ${online.id}`));
      t.regex(revoked.stdout, /ended PIN-only access/);
      for (const port of [h.port, second]) {
        t.is((await h.send('alma', '2580', { port }))?.code, PacketCode.AccessChallenge, 'PIN alone, after: a challenge, not an Accept');
      }
      t.is((await h.send('alma', `2580${online.code}`))?.code, PacketCode.AccessReject);
      t.is(lastReason(h, 'alma'), 'revoked');
      const [listed] = (await codeListing(h, 'alma')).codes;
      t.is(listed?.temporaryAccess?.state, 'revoked');
    } finally {
      await h.close();
    }
  });
}

test('code revoke --last revokes the last code a helpdesk issued, never the bypass the gateway made; --kind picks one kind', async (t) => {
  const h = await challengeHarness(true);
  try {
    await userWithToken(h, 'bela', '3691');
    const [emergency] = await h.stack.admin.service.issueCodes('bela', { kind: 'emergency-passcode', lifetime: '3d' }, OPERATOR);
    h.stack.clock.advance(60_000);
    const [online] = await h.stack.admin.service.issueCodes('bela', { kind: 'online-authcode', lifetime: '2d' }, OPERATOR);
    // Used a minute later: the bypass it leaves is the newest record of all.
    h.stack.clock.advance(60_000);
    t.is((await h.send('bela', `3691${online!.code}`))?.code, PacketCode.AccessAccept);
    t.is((await h.send('bela', '3691'))?.code, PacketCode.AccessAccept, 'the PIN alone, through the bypass');

    const byKind = await h.stack.cli('code', 'revoke', 'bela', '--last', '--kind', 'emergency-passcode', '--json');
    t.is(byKind.exitCode, 0, byKind.stderr);
    t.deepEqual(JSON.parse(byKind.stdout), { revoked: [emergency!.id], temporaryAccess: [], requestCodes: [] });
    t.is((await h.send('bela', '3691'))?.code, PacketCode.AccessAccept, 'the authorization code and its bypass are untouched');

    const last = await h.stack.cli('code', 'revoke', 'bela', '--last', '--json');
    t.is(last.exitCode, 0, last.stderr);
    const result = JSON.parse(last.stdout) as { revoked: string[]; temporaryAccess: string[] };
    t.deepEqual(result.revoked, [online!.id], 'the authorization code, not the bypass');
    t.is(result.temporaryAccess.length, 1, 'and the bypass it left');
    t.is((await h.send('bela', '3691'))?.code, PacketCode.AccessChallenge);
    t.is((await h.send('bela', `3691${online!.code}`))?.code, PacketCode.AccessReject, 'the revoked code makes no new bypass');
    t.is(lastReason(h, 'bela'), 'revoked');
    const kindAlone = await h.stack.cli('code', 'revoke', 'bela', '--all', '--kind', 'online-authcode');
    t.is(kindAlone.exitCode, 2, '--kind without --last is a usage error');
    t.regex(kindAlone.stderr, /--kind goes with --last/);
  } finally {
    await h.close();
  }
});

test('code list shows a bypass under the code that made it, never as an issued code; pending request codes too', async (t) => {
  const h = await challengeHarness(true);
  try {
    await userWithToken(h, 'cleo', '4702');
    const online = await usedOnlineAuthcode(h, 'cleo', '4702');
    const { codes } = await codeListing(h, 'cleo');
    t.is(codes.length, 1, 'one issued code: the bypass is not listed as a code');
    t.is(codes[0]!.id, online.id);
    t.like(codes[0]!.temporaryAccess, { state: 'active', createdBy: { codeId: online.id } });
    const table = await h.stack.cli('code', 'list', 'cleo');
    const lines = table.stdout.split('\n');
    const row = lines.findIndex((line) => line.startsWith(online.id));
    t.regex(lines[row + 1]!, /^ {2}└ PIN-only access \(temporary bypass\) active until .+; used 0 times; id [0-9a-f]{10}$/);

    await h.stack.admin.service.revokeCodes('cleo', 'all', OPERATOR);
    const pending = challengeOf(await h.send('cleo', '4702'));
    const listed = await codeListing(h, 'cleo');
    t.deepEqual(
      listed.challenge.pendingRequests.map((request) => request.requestCode),
      [pending.requestCode],
    );
    t.regex((await h.stack.cli('code', 'list', 'cleo')).stdout, new RegExp(`pending request code ${pending.requestCode.slice(0, 4)}-${pending.requestCode.slice(4)} until`));
  } finally {
    await h.close();
  }
});

test('offline codes can be stopped: --request cancels one pending request code, --all every one; a code read out but not typed is refused', async (t) => {
  const h = await challengeHarness(false);
  try {
    await userWithToken(h, 'dora', '5813');
    const first = challengeOf(await h.send('dora', '5813'));
    const second = challengeOf(await h.send('dora', '5813'));
    const readOut = (await h.stack.admin.service.respondToRequestCode('dora', { requestCode: first.requestCode, validity: '1d' }, OPERATOR)).code;

    const cancelled = await h.stack.cli('code', 'revoke', 'dora', '--request', `${first.requestCode.slice(0, 4)}-${first.requestCode.slice(4)}`.toLowerCase());
    t.is(cancelled.exitCode, 0, cancelled.stderr);
    t.is((await h.send('dora', readOut, { state: first.state }))?.code, PacketCode.AccessReject, 'the State answered with the code read out');
    t.is((await h.send('dora', `5813${readOut}`))?.code, PacketCode.AccessReject, 'PIN ‖ code in a fresh request');
    t.is((await h.stack.cli('code', 'revoke', 'dora', '--request', first.requestCode)).exitCode, 1, 'no longer pending: refused');

    const third = challengeOf(await h.send('dora', '5813'));
    const all = await h.stack.cli('code', 'revoke', 'dora', '--all', '--json');
    t.is(all.exitCode, 0, all.stderr);
    t.deepEqual((JSON.parse(all.stdout) as { requestCodes: string[] }).requestCodes.sort(), [second.requestCode, third.requestCode].sort());
    for (const challenge of [second, third]) {
      t.is((await h.send('dora', authcode(h, 'dora', challenge.requestCode), { state: challenge.state }))?.code, PacketCode.AccessReject);
    }
    t.deepEqual((await h.stack.admin.service.challengeAccess('dora')).pendingRequests, []);
  } finally {
    await h.close();
  }
});

test("a used offline authorization code's PIN-only access is revocable like an online one's", async (t) => {
  const h = await challengeHarness(true);
  try {
    await userWithToken(h, 'emil', '6924');
    const challenge = challengeOf(await h.send('emil', '6924'));
    t.is((await h.send('emil', authcode(h, 'emil', challenge.requestCode), { state: challenge.state }))?.code, PacketCode.AccessAccept);
    t.is((await h.send('emil', '6924'))?.code, PacketCode.AccessAccept, 'the PIN alone, within the validity');
    const access = (await codeListing(h, 'emil')).challenge.temporaryAccess;
    t.like(access, { state: 'active', createdBy: { requestCode: challenge.requestCode } });
    const revoked = await h.stack.cli('code', 'revoke', 'emil', '--id', access!.id);
    t.is(revoked.exitCode, 0, revoked.stderr);
    t.is((await h.send('emil', '6924'))?.code, PacketCode.AccessChallenge, 'ended at once');
  } finally {
    await h.close();
  }
});

test('authcode respond is an audited admin action, and refuses who may not have temporary access', async (t) => {
  const h = await challengeHarness(false);
  try {
    await userWithToken(h, 'fynn', '7035');
    const challenge = challengeOf(await h.send('fynn', '7035'));
    const respond = (user: string, requestCode: string) => h.stack.cli('authcode', 'respond', user, requestCode, '--validity', '3d', '--reason', 'INC-4711', '--json');

    const answered = await respond('fynn', challenge.requestCode);
    t.is(answered.exitCode, 0, answered.stderr);
    const { code } = JSON.parse(answered.stdout) as { code: string };
    const [entry] = await h.stack.admin.store.repository.recentAudit(1);
    t.like(entry, { action: 'authcode.respond', user: 'fynn', operator: 'test-helpdesk', reason: 'INC-4711', validity: '3d', request_code: challenge.requestCode });
    t.false(JSON.stringify(entry).includes(code), 'the audit never holds the authorization code');
    t.false(h.stack.lines.some((line) => line.includes(code)) || answered.stderr.includes(code), 'nor any log line');
    t.is((await h.send('fynn', code, { state: challenge.state }))?.code, PacketCode.AccessAccept, 'the code works');

    const refusals: [string, () => Promise<void>, string, RegExp][] = [
      ['an unknown user', async () => undefined, 'nobody', /no user named "nobody"/],
      ['a request code that is not pending', async () => undefined, 'fynn', /no request code .* is pending for fynn/],
      ['a user who may not use the challenge flow', () => h.stack.admin.service.setChallenge('gus', false, OPERATOR), 'gus', /may not use the challenge flow/],
      ['a user without a token', () => h.stack.admin.service.unassignToken('hal', OPERATOR), 'hal', /has no token/],
      ['a user whose token has expired', () => expiredToken(h, 'ida'), 'ida', /token has expired/],
    ];
    for (const name of ['gus', 'hal', 'ida']) await userWithToken(h, name, '7035');
    // Their request codes are pending: each refusal is for the reason named, not for that.
    const pending = new Map<string, string>();
    for (const name of ['gus', 'hal', 'ida']) pending.set(name, challengeOf(await h.send(name, '7035')).requestCode);
    const responses = async () => (await h.stack.admin.store.repository.recentAudit(1000)).filter((audit) => audit.action === 'authcode.respond').length;
    const before = await responses();
    for (const [what, prepare, user, message] of refusals) {
      await prepare();
      const refused = await respond(user, pending.get(user) ?? challenge.requestCode);
      t.is(refused.exitCode, 1, what);
      t.regex(refused.stderr, message, what);
      t.is(refused.stdout, '', `${what}: no code shown`);
    }
    t.is(await responses(), before, 'a refusal is not recorded as a response');
  } finally {
    await h.close();
  }
});

test('admin actions that change who may have temporary access end it at once: challenge off, token assign, lost, unassign, user disable', async (t) => {
  const h = await challengeHarness(true);
  try {
    // [action, what it does, what the PIN alone gets afterwards]
    const actions: [string, (user: string) => Promise<unknown>, PacketCode][] = [
      ['user.set', (user) => h.stack.admin.service.setChallenge(user, false, OPERATOR), PacketCode.AccessReject],
      ['token.assign', (user) => h.stack.admin.service.assignToken(user, { replace: true }, OPERATOR), PacketCode.AccessChallenge],
      ['token.lost', (user) => h.stack.admin.service.markTokenLost(user, OPERATOR), PacketCode.AccessChallenge],
      ['token.unassign', (user) => h.stack.admin.service.unassignToken(user, OPERATOR), PacketCode.AccessReject],
      ['user.disable', (user) => h.stack.admin.service.disableUser(user, OPERATOR), PacketCode.AccessReject],
    ];
    let n = 0;
    for (const [action, act, pinAloneAfter] of actions) {
      const user = `jo${++n}`;
      await userWithToken(h, user, '8146');
      const pending = challengeOf(await h.send(user, '8146'));
      await usedOnlineAuthcode(h, user, '8146');
      t.is((await h.send(user, '8146'))?.code, PacketCode.AccessAccept, `${action}: the bypass lets the PIN alone in before`);
      await act(user);
      const [audit] = await h.stack.admin.store.repository.recentAudit(1);
      t.is(audit?.action, action);
      t.regex(audit?.temporary_access_ended ?? '', /^[0-9a-f]{10}$/, `${action}: the audit names the bypass ended`);
      t.deepEqual(JSON.parse(audit?.request_codes_cancelled ?? '[]'), [pending.requestCode], `${action}: and the request code cancelled`);
      t.is((await h.send(user, '8146'))?.code, pinAloneAfter, `${action}: the PIN alone is no longer let in`);
      t.is((await h.send(user, authcode(h, user, pending.requestCode), { state: pending.state }))?.code, PacketCode.AccessReject, `${action}: the pending request code is cancelled`);
    }
  } finally {
    await h.close();
  }
});

test('a request code answered once the user may not use the challenge flow counts for nothing, even before it is cleared', async (t) => {
  const h = await challengeHarness(false);
  try {
    await userWithToken(h, 'noa', '6284');
    const viaState = challengeOf(await h.send('noa', '6284'));
    const viaPin = challengeOf(await h.send('noa', '6284'));
    // The user record alone, as between the two steps of \`user set --challenge off\`:
    // the pending request codes are still there.
    t.true(await h.stack.admin.store.repository.updateUser('noa', { challengeAllowed: false }));
    t.is((await h.stack.admin.store.repository.getChallenges('noa')).requests.length, 2);
    t.is((await h.send('noa', authcode(h, 'noa', viaState.requestCode), { state: viaState.state }))?.code, PacketCode.AccessReject, 'the State answered');
    t.is((await h.send('noa', `6284${authcode(h, 'noa', viaPin.requestCode)}`))?.code, PacketCode.AccessReject, 'PIN ‖ code in a fresh request');
  } finally {
    await h.close();
  }
});

test("RSA's rule on the challenge path: no token, or an expired one, gets no challenge and no offline access", async (t) => {
  const h = await challengeHarness(false);
  try {
    await h.stack.admin.service.addUser('kai', '9257', OPERATOR);
    t.is((await h.send('kai', '9257'))?.code, PacketCode.AccessReject, 'no token: no challenge');
    t.is(lastReason(h, 'kai'), 'no-token');

    await h.stack.admin.service.addUser('lea', '9257', OPERATOR);
    // The token expires while both request codes are still pending.
    const [answered, timedOut] = await expiredToken(h, 'lea', async () => [challengeOf(await h.send('lea', '9257')), challengeOf(await h.send('lea', '9257'))]);
    t.is((await h.send('lea', authcode(h, 'lea', answered.requestCode), { state: answered.state }))?.code, PacketCode.AccessReject, 'the State answered');
    t.is(lastReason(h, 'lea'), 'token-expired');
    t.is((await h.send('lea', `9257${authcode(h, 'lea', timedOut.requestCode)}`))?.code, PacketCode.AccessReject, 'PIN ‖ code in a fresh request');
    t.is(lastReason(h, 'lea'), 'token-expired');
    t.is((await h.send('lea', '9257'))?.code, PacketCode.AccessReject, 'no new challenge');
    t.is(lastReason(h, 'lea'), 'token-expired');
    const respond = await h.stack.cli('authcode', 'respond', 'lea', timedOut.requestCode);
    t.is(respond.exitCode, 1, 'nor a response from the helpdesk');
  } finally {
    await h.close();
  }
});

test('pending request codes are bounded; every one of many concurrent PIN-only requests is answered', async (t) => {
  const h = await challengeHarness(false);
  const nas = await openNas({ port: h.port, sockets: 4, transmissions: 1 });
  try {
    await userWithToken(h, 'mia', '1479');
    const concurrent = 40;
    const replies = await Promise.all(Array.from({ length: concurrent }, () => nas.send({ kind: 'access', userName: 'mia', password: '1479' })));
    t.is(replies.filter((exchange) => exchange.reply?.code === PacketCode.AccessChallenge).length, concurrent, 'one transmission each, and each answered with a challenge');
    const pending = await h.stack.admin.store.repository.getChallenges('mia');
    t.is(pending.requests.length, MAX_PENDING_REQUESTS, 'only the newest request codes stay pending');
    t.is(pending.states.size, MAX_PENDING_REQUESTS, 'with their States');
    // The newest are the ones kept: the last challenge answered, with a State of its own.
    const newest = challengeOf(await h.send('mia', '1479'));
    t.true((await h.stack.admin.store.repository.getChallenges('mia')).requests.some((request) => request.requestCode === newest.requestCode));
    t.is((await h.send('mia', authcode(h, 'mia', newest.requestCode), { state: newest.state }))?.code, PacketCode.AccessAccept);
  } finally {
    await nas.close();
    await h.close();
  }
});

test('a right PIN with an offline authorization code already used is refused as authcode-used, not bad-pin', async (t) => {
  const h = await challengeHarness(false);
  try {
    await userWithToken(h, 'noor', '2580');
    const challenge = challengeOf(await h.send('noor', '2580'));
    const code = authcode(h, 'noor', challenge.requestCode);
    // The NAS prompt timed out: PIN ‖ code in a fresh request, accepted once.
    t.is((await h.send('noor', `2580${code}`))?.code, PacketCode.AccessAccept);
    t.is((await h.send('noor', `2580${code}`))?.code, PacketCode.AccessReject);
    t.is(lastReason(h, 'noor'), 'authcode-used');
    t.is((await h.send('noor', `2581${code}`))?.code, PacketCode.AccessReject);
    t.is(lastReason(h, 'noor'), 'bad-pin', 'a wrong PIN is still a wrong PIN');
    t.is((await h.send('noor', `2580${'Z'.repeat(16)}`))?.code, PacketCode.AccessReject);
    t.is(lastReason(h, 'noor'), 'bad-code', 'the right PIN with a code that was never given');
  } finally {
    await h.close();
  }
});
