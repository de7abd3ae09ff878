import test from 'ava';
import { groupCode } from '../../src/credentials/codes/alphabet.js';
import { PacketCode, randomAuthenticator } from '../../src/protocol/index.js';
import { authcode, challengeHarness, challengeOf, userWithToken } from '../../harness/challenge-harness.js';
import { runCli } from '../../harness/cli.js';
import { TEST_SECRET } from '../../harness/packets.js';
import { radclient } from '../../harness/radclient.js';
import { OPERATOR } from '../../harness/stack.js';
import { totpAt } from '../../harness/otp.js';

// SPEC "Challenge flow": IBM's offline authorization code carried by Access-Challenge,
// against a real redis-server over real UDP.

test('full flow: PIN → Challenge → authcode respond (CLI) → answer with State → Accept; the State is single use', async (t) => {
  const h = await challengeHarness(false);
  try {
    await userWithToken(h, 'alice');
    const first = challengeOf(await h.send('alice', '1357'));
    t.regex(first.message, /^Emergency access: tell the helpdesk request code [Z3467ACEFHJKRWXY]{4}-[Z3467ACEFHJKRWXY]{4}, then enter the authorization code$/);
    t.true(first.state.length >= 16);
    t.false(first.message.includes('1357'), 'nothing the user typed is echoed');

    // The helpdesk: the CLI, with the config and key file only.
    const respond = await runCli(['authcode', 'respond', 'alice', groupCode(first.requestCode).toLowerCase(), '--validity', '3d', '--json', '--config', h.stack.config.source], { env: { TEST_SECRET: TEST_SECRET.toString() } });
    t.is(respond.exitCode, 0, respond.stderr);
    const answer = JSON.parse(respond.stdout) as { code: string; validity: string; request_code: string };
    t.like(answer, { validity: '3d', request_code: first.requestCode });
    t.regex(answer.code, /^[Z3467ACEFHJKRWXY]{16}$/);
    t.is(answer.code, authcode(h, 'alice', first.requestCode, '3d'));

    // A second request code for the same user is independent of the first.
    const second = challengeOf(await h.send('alice', '1357'));
    t.not(second.requestCode, first.requestCode);
    t.notDeepEqual(second.state, first.state);

    const accepted = await h.send('alice', groupCode(answer.code), { state: first.state });
    t.is(accepted?.code, PacketCode.AccessAccept);
    t.is((await h.send('alice', answer.code, { state: first.state }))?.code, PacketCode.AccessReject, 'replaying the same State');
    t.is((await h.send('alice', authcode(h, 'alice', second.requestCode), { state: second.state }))?.code, PacketCode.AccessAccept, 'the second still works');
  } finally {
    await h.close();
  }
});

test('timed-out prompt: PIN ‖ authorization code in a fresh request while the request code is pending, not after', async (t) => {
  const h = await challengeHarness(false);
  try {
    await userWithToken(h, 'bob', '8642');
    const pending = challengeOf(await h.send('bob', '8642'));
    const late = challengeOf(await h.send('bob', '8642'));
    t.is((await h.send('bob', `8642${groupCode(authcode(h, 'bob', pending.requestCode))}`))?.code, PacketCode.AccessAccept);
    t.is((await h.send('bob', `8642${authcode(h, 'bob', pending.requestCode)}`))?.code, PacketCode.AccessReject, 'the request code was consumed');
    h.stack.clock.advance(900_001);
    t.is((await h.send('bob', `8642${authcode(h, 'bob', late.requestCode)}`))?.code, PacketCode.AccessReject, 'after the pending window');
    t.is((await h.send('bob', authcode(h, 'bob', late.requestCode), { state: late.state }))?.code, PacketCode.AccessReject, 'its State has expired too');
  } finally {
    await h.close();
  }
});

test('an authorization code for another user, request code or validity is rejected', async (t) => {
  const h = await challengeHarness(false);
  try {
    await userWithToken(h, 'carol', '2468');
    await userWithToken(h, 'dave', '2468');
    const challenge = () => h.send('carol', '2468').then(challengeOf);
    const a = await challenge();
    t.is((await h.send('carol', authcode(h, 'dave', a.requestCode), { state: a.state }))?.code, PacketCode.AccessReject, 'computed for another user');
    const b = await challenge();
    const other = await challenge();
    t.is((await h.send('carol', authcode(h, 'carol', other.requestCode), { state: b.state }))?.code, PacketCode.AccessReject, 'for another request code');
    const c = await challenge();
    t.is((await h.send('carol', authcode(h, 'carol', c.requestCode, '7d'), { state: c.state }))?.code, PacketCode.AccessReject, 'for a validity the gateway does not grant');
    const d = await challenge();
    t.is((await h.send('carol', authcode(h, 'carol', d.requestCode, '3d'), { state: d.state }))?.code, PacketCode.AccessAccept, 'the right one');
    const refused = await runCli(['authcode', 'respond', 'carol', other.requestCode, '--validity', '7d', '--config', h.stack.config.source], { env: { TEST_SECRET: TEST_SECRET.toString() } });
    t.is(refused.exitCode, 1);
    t.regex(refused.stderr, /not one the gateway accepts/);
    const wrongCode = await runCli(['authcode', 'respond', 'carol', 'ABCDEFGH', '--config', h.stack.config.source], { env: { TEST_SECRET: TEST_SECRET.toString() } });
    t.is(wrongCode.exitCode, 2, 'a request code that cannot be one is a usage error');
    t.regex(wrongCode.stderr, /8 characters of Z3467ACEFHJKRWXY/);
  } finally {
    await h.close();
  }
});

test('a State from another client, expired or forged is rejected and counts as a failure', async (t) => {
  const h = await challengeHarness(false);
  try {
    await userWithToken(h, 'erin', '9753');
    const fromOther = challengeOf(await h.send('erin', '9753'));
    t.is((await h.send('erin', authcode(h, 'erin', fromOther.requestCode), { state: fromOther.state, from: '127.0.0.2' }))?.code, PacketCode.AccessReject, 'answered from another NAS');
    t.is((await h.send('erin', authcode(h, 'erin', fromOther.requestCode), { state: fromOther.state }))?.code, PacketCode.AccessReject, 'and the State is spent');
    const forged = challengeOf(await h.send('erin', '9753'));
    t.is((await h.send('erin', authcode(h, 'erin', forged.requestCode), { state: randomAuthenticator() }))?.code, PacketCode.AccessReject, 'random bytes');
    const expired = challengeOf(await h.send('erin', '9753'));
    h.stack.clock.advance(900_001);
    t.is((await h.send('erin', authcode(h, 'erin', expired.requestCode), { state: expired.state }))?.code, PacketCode.AccessReject, 'expired');
    h.stack.clock.advance(-900_001);
    t.is((await h.stack.admin.service.showUser('erin')).failures, 4);
  } finally {
    await h.close();
  }
});

test('temporary bypass off: the PIN alone only ever yields a Challenge, even after an authorization code', async (t) => {
  const h = await challengeHarness(false);
  try {
    await userWithToken(h, 'frank', '1122');
    const first = challengeOf(await h.send('frank', '1122'));
    t.is((await h.send('frank', authcode(h, 'frank', first.requestCode), { state: first.state }))?.code, PacketCode.AccessAccept);
    for (let i = 0; i < 3; i++) t.is((await h.send('frank', '1122'))?.code, PacketCode.AccessChallenge);
    t.is((await h.stack.admin.service.challengeAccess('frank')).temporaryAccess, undefined);
  } finally {
    await h.close();
  }
});

test('temporary bypass on: the PIN alone is accepted until the validity ends, not after; revocation ends it at once', async (t) => {
  const h = await challengeHarness(true);
  try {
    await userWithToken(h, 'gina', '3344');
    const challenge = challengeOf(await h.send('gina', '3344'));
    t.is((await h.send('gina', authcode(h, 'gina', challenge.requestCode, '1d'), { state: challenge.state }))?.code, PacketCode.AccessAccept);
    t.is((await h.send('gina', '3344'))?.code, PacketCode.AccessAccept, 'PIN alone, within the validity');
    const bypass = (await h.stack.admin.service.challengeAccess('gina')).temporaryAccess;
    t.is(bypass?.state, 'active');
    t.is(Date.parse(bypass!.endsAt), h.stack.clock.now + 86_400_000, 'ends with the 1d validity');
    h.stack.clock.advance(86_400_000);
    t.is((await h.send('gina', '3344'))?.code, PacketCode.AccessChallenge, 'after the validity: a challenge again');
    h.stack.clock.advance(-86_400_000);
    t.is((await h.send('gina', '3344'))?.code, PacketCode.AccessAccept);
    await h.stack.admin.service.revokeCodes('gina', { id: bypass!.id }, OPERATOR);
    t.is((await h.send('gina', '3344'))?.code, PacketCode.AccessChallenge, 'revoked: at once');
    t.is((await h.send('gina', '3345'))?.code, PacketCode.AccessReject, 'a wrong PIN is still a reject');
  } finally {
    await h.close();
  }
});

test('temporary bypass on: a used online authorization code also opens PIN-only access until it expires', async (t) => {
  const h = await challengeHarness(true);
  try {
    await userWithToken(h, 'hank', '5566');
    const [online] = await h.stack.admin.service.issueCodes('hank', { kind: 'online-authcode', lifetime: '2d' }, OPERATOR);
    t.is((await h.send('hank', '5566'))?.code, PacketCode.AccessChallenge, 'no bypass before the code is used');
    t.is((await h.send('hank', `5566${online!.code}`))?.code, PacketCode.AccessAccept);
    t.is((await h.send('hank', '5566'))?.code, PacketCode.AccessAccept);
    h.stack.clock.advance(2 * 86_400_000);
    t.is((await h.send('hank', '5566'))?.code, PacketCode.AccessChallenge);
    h.stack.clock.advance(-2 * 86_400_000);
  } finally {
    await h.close();
  }
});

test('user set --challenge off: that user gets no challenge', async (t) => {
  const h = await challengeHarness(false);
  try {
    await userWithToken(h, 'ivan', '7788');
    await h.stack.admin.service.setChallenge('ivan', false, OPERATOR);
    t.is((await h.send('ivan', '7788'))?.code, PacketCode.AccessReject);
    await h.stack.admin.service.setChallenge('ivan', true, OPERATOR);
    t.is((await h.send('ivan', '7788'))?.code, PacketCode.AccessChallenge);
  } finally {
    await h.close();
  }
});

test('interop: radclient sends the PIN, gets the challenge, and answers with the State', async (t) => {
  const h = await challengeHarness(false);
  try {
    await userWithToken(h, 'judy', '2244');
    const server = `127.0.0.1:${h.port}`;
    const first = await radclient(server, 'auth', 'User-Name = "judy", User-Password = "2244", Message-Authenticator = 0x00\n', TEST_SECRET);
    t.regex(first.output, /Received Access-Challenge/);
    const state = /State = (0x[0-9a-f]+)/.exec(first.output)![1]!;
    const requestCode = /request code ([Z3467ACEFHJKRWXY]{4}-[Z3467ACEFHJKRWXY]{4})/.exec(first.output)![1]!.replace('-', '');
    const code = authcode(h, 'judy', requestCode);
    const second = await radclient(server, 'auth', `User-Name = "judy", User-Password = "${code}", State = ${state}, Message-Authenticator = 0x00\n`, TEST_SECRET);
    t.is(second.exitCode, 0, second.output);
    t.regex(second.output, /Received Access-Accept/);
  } finally {
    await h.close();
  }
});

const FOUND = (policy: string) => ({ policy: `  reject_delay_ms: 0\n  token_found: ${policy}\n` });

test('token found policy "deny": the lost token is refused until an admin marks it found', async (t) => {
  const h = await challengeHarness(false, FOUND('deny'));
  try {
    const { service } = h.stack.admin;
    const send = async (password: string) => (await h.send('kim', password))?.code;
    const uri = await userWithToken(h, 'kim', '1212');
    const [code] = await service.issueCodes('kim', { kind: 'emergency-tokencode' }, OPERATOR);
    await service.markTokenLost('kim', OPERATOR);
    t.is(await send(`1212${totpAt(uri, h.stack.clock.now)}`), PacketCode.AccessReject);
    t.true(h.stack.lines.some((line) => line.includes('"alert":"lost-token-used"') && line.includes('"user":"kim"')), 'audited as an alert');
    t.is(await send(`1212${code!.code}`), PacketCode.AccessAccept, 'emergency access still works');
    const found = await service.markTokenFound('kim', OPERATOR);
    t.deepEqual(found.revoked, [], 'deny does not revoke on found');
    t.is(await send(`1212${totpAt(uri, h.stack.clock.now, 1)}`), PacketCode.AccessAccept);
  } finally {
    await h.close();
  }
});

test('token found policy "allow-and-revoke": the lost token is accepted, and its emergency codes are revoked', async (t) => {
  const h = await challengeHarness(false, FOUND('allow-and-revoke'));
  try {
    const { service } = h.stack.admin;
    const send = async (password: string) => (await h.send('lee', password))?.code;
    const uri = await userWithToken(h, 'lee', '3434');
    const [tokencode] = await service.issueCodes('lee', { kind: 'emergency-tokencode' }, OPERATOR);
    const [online] = await service.issueCodes('lee', { kind: 'online-authcode' }, OPERATOR);
    await service.markTokenLost('lee', OPERATOR);
    t.is(await send(`3434${totpAt(uri, h.stack.clock.now)}`), PacketCode.AccessAccept, 'the found token works');
    t.true(h.stack.lines.some((line) => line.includes('"alert":"lost-token-used"') && line.includes('"user":"lee"')), 'and is still alerted');
    t.is((await service.showUser('lee')).token?.state, 'active');
    t.is(await send(`3434${tokencode!.code}`), PacketCode.AccessReject, 'the emergency tokencode was revoked');
    t.is(await send(`3434${online!.code}`), PacketCode.AccessAccept, 'an authorization code is not an emergency code');
    // The admin path does the same.
    const [again] = await service.issueCodes('lee', { kind: 'emergency-passcode' }, OPERATOR);
    await service.markTokenLost('lee', OPERATOR);
    const found = await service.markTokenFound('lee', OPERATOR);
    t.deepEqual(found.revoked, [again!.id]);
  } finally {
    await h.close();
  }
});

test('token found policy "allow-after-expiry": the lost token is refused while an emergency code is active, accepted after', async (t) => {
  const h = await challengeHarness(false, FOUND('allow-after-expiry'));
  try {
    const { service } = h.stack.admin;
    const send = async (password: string) => (await h.send('max', password))?.code;
    const uri = await userWithToken(h, 'max', '5656');
    await service.issueCodes('max', { kind: 'emergency-tokencode', lifetime: '2h' }, OPERATOR);
    await service.markTokenLost('max', OPERATOR);
    t.is(await send(`5656${totpAt(uri, h.stack.clock.now)}`), PacketCode.AccessReject, 'an emergency code is still active');
    h.stack.clock.advance(2 * 3_600_000 + 1);
    t.is(await send(`5656${totpAt(uri, h.stack.clock.now)}`), PacketCode.AccessAccept, 'once they have expired');
    t.is((await service.showUser('max')).token?.state, 'active');
  } finally {
    await h.close();
  }
});

test('radgate test: --json returns the challenge text and State, and --state answers it', async (t) => {
  const h = await challengeHarness(false);
  try {
    await userWithToken(h, 'nora', '6789');
    const env = { env: { TEST_SECRET: TEST_SECRET.toString() } };
    const server = `127.0.0.1:${h.port}`;
    const asked = await runCli(['test', 'nora', '6789', '--server', server, '--json', '--config', h.stack.config.source], env);
    t.is(asked.exitCode, 0, asked.stderr);
    const challenge = JSON.parse(asked.stdout) as { code: string; replyMessage: string; state: string };
    t.is(challenge.code, 'Access-Challenge');
    t.regex(challenge.replyMessage, /request code [Z3467ACEFHJKRWXY]{4}-[Z3467ACEFHJKRWXY]{4}/);
    t.regex(challenge.state, /^[0-9a-f]{40}$/);
    const requestCode = /request code (\S{4}-\S{4})/.exec(challenge.replyMessage)![1]!;
    const respond = await runCli(['authcode', 'respond', 'nora', requestCode, '--config', h.stack.config.source], env);
    const code = /^ {4}(\S+)$/m.exec(respond.stdout)![1]!;
    const answered = await runCli(['test', 'nora', code, '--state', challenge.state, '--server', server, '--config', h.stack.config.source], env);
    t.is(answered.exitCode, 0, answered.stderr);
    t.regex(answered.stdout, /^Access-Accept/);
  } finally {
    await h.close();
  }
});
