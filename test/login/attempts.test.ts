import test from 'ava';
import { groupCode } from '../../src/credentials/codes/alphabet.js';
import { ATTEMPTS_KEPT } from '../../src/credentials/login-attempt.js';
import { AttributeType, PacketCode, type RawAttribute } from '../../src/protocol/index.js';
import { CHALLENGE, challengeHarness, challengeOf, type ChallengeHarness } from '../../harness/challenge-harness.js';
import type { CliResult } from '../../harness/cli.js';
import { openNas } from '../../harness/nas.js';
import { totpAt } from '../../harness/otp.js';
import { OPERATOR } from '../../harness/stack.js';

// Issue 14, "who tried to log in": a real gateway decides, decide.lua records, and the
// helpdesk reads the attempts with `user show` and `radgate audit --user`, newest first,
// with where each came from and never what was typed.

const PIN = '846203';
const FROM: RawAttribute[] = [
  { type: AttributeType.NasIpAddress, value: Buffer.from([192, 0, 2, 7]) },
  { type: AttributeType.NasIdentifier, value: Buffer.from('vpn-east') },
  { type: AttributeType.CallingStationId, value: Buffer.from('00-11-22-33-44-55') },
  { type: AttributeType.NasPort, value: Buffer.from([0, 0, 0x12, 0x67]) },
];

let h: ChallengeHarness;

test.before(async () => {
  h = await challengeHarness(false, { extra: CHALLENGE(false), policy: '  reject_delay_ms: 0\n  max_failures: 100\n' });
});

test.after.always(async () => {
  await h.close();
});

async function send(user: string, password: string, state?: Buffer): Promise<number | undefined> {
  const nas = await openNas({ port: h.port });
  try {
    const attributes = state === undefined ? FROM : [...FROM, { type: AttributeType.State, value: state }];
    const reply = (await nas.send({ kind: 'access', userName: user, password, attributes })).reply?.packet;
    if (reply?.code === PacketCode.AccessChallenge) typedSecrets.push(challengeOf(reply).requestCode, challengeOf(reply).state.toString('hex'));
    return reply?.code;
  } finally {
    await nas.close();
  }
}

/** Everything typed or handed out that must never be shown: passwords, PINs, codes, request codes, States. */
const typedSecrets: string[] = [];

function assertNoSecret(t: import('ava').ExecutionContext, result: CliResult): void {
  const output = result.stdout + result.stderr;
  for (const secret of typedSecrets) {
    for (const form of new Set([secret, secret.toLowerCase(), groupCode(secret), Buffer.from(secret).toString('hex'), Buffer.from(secret).toString('base64')])) {
      t.false(output.includes(form), `a typed secret shows as ${JSON.stringify(form)}`);
    }
  }
}

interface AttemptJson {
  result: string;
  method: string | null;
  reason: string | null;
  codeId: string | null;
  client: string;
  nasAddress: string | null;
  nasIdentifier: string | null;
  callingStationId: string | null;
  nasPort: number | null;
}

test.serial('user show and audit --user list accept, reject and challenge newest first, with the NAS, and no secret', async (t) => {
  await h.stack.admin.service.addUser('alice', PIN, OPERATOR);
  const { uri } = await h.stack.admin.service.assignToken('alice', {}, OPERATOR);
  const [passcode] = await h.stack.admin.service.issueCodes('alice', { kind: 'emergency-passcode' }, OPERATOR);
  const tokencode = totpAt(uri, h.stack.clock.now);
  typedSecrets.push(PIN, tokencode, `${PIN}${tokencode}`, passcode!.code, '999999', '000000');

  t.is(await send('alice', `${PIN}${tokencode}`), PacketCode.AccessAccept);
  t.is(await send('alice', `999999${tokencode}`), PacketCode.AccessReject);
  t.is(await send('alice', PIN), PacketCode.AccessChallenge);
  t.is(await send('alice', `${PIN}000000`), PacketCode.AccessReject);
  t.is(await send('alice', passcode!.code), PacketCode.AccessAccept);

  // The decision lines carry the same: where from, never what was typed.
  const decisions = h.stack.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === 'decision' && line.user === 'alice');
  t.is(decisions.length, 5);
  for (const line of decisions) t.like(line, { client: 'test-nas', nas: 'vpn-east', nas_address: '192.0.2.7', nas_identifier: 'vpn-east', calling_station_id: '00-11-22-33-44-55', nas_port: 4711 });
  assertNoSecret(t, { exitCode: 0, stdout: decisions.map((line) => JSON.stringify(line)).join('\n'), stderr: '' });

  const expected = [
    { result: 'accept', method: 'emergency-passcode', reason: null, codeId: passcode!.id },
    { result: 'reject', method: null, reason: 'bad-code' },
    { result: 'challenge', method: 'offline-authcode', reason: null },
    { result: 'reject', method: null, reason: 'bad-pin' },
    { result: 'accept', method: 'token', reason: null, codeId: null },
  ];
  const where = { client: 'test-nas', nasAddress: '192.0.2.7', nasIdentifier: 'vpn-east', callingStationId: '00-11-22-33-44-55', nasPort: 4711 };

  const shown = await h.stack.cli('user', 'show', 'alice', '--json');
  t.is(shown.exitCode, 0, shown.stderr);
  const view = JSON.parse(shown.stdout) as { name: string; attempts: (AttemptJson & { at: string })[] };
  t.like(view.attempts, expected);
  for (const attempt of view.attempts) t.like(attempt, where);
  t.regex(view.attempts[0]!.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, '--json keeps UTC ISO');
  assertNoSecret(t, shown);

  const human = await h.stack.cli('user', 'show', 'alice');
  t.is(human.exitCode, 0, human.stderr);
  const rows = human.stdout.split('\n').filter((line) => line.includes('test-nas'));
  t.is(rows.length, 5);
  t.regex(rows[0]!, /accept emergency-passcode.*192\.0\.2\.7 +vpn-east +00-11-22-33-44-55 +4711/);
  t.regex(rows[1]!, /reject bad-code/);
  t.regex(rows[2]!, /challenge sent/);
  t.regex(rows[3]!, /reject bad-pin/);
  t.regex(rows[4]!, /accept token/);
  t.regex(rows[0]!, /\d{4}-\d\d-\d\d \d\d:\d\d [+-]\d\d:\d\d/, 'dates in time_zone with their offset');
  assertNoSecret(t, human);

  const audit = await h.stack.cli('audit', '--user', 'alice', '--kind', 'login', '--json');
  t.is(audit.exitCode, 0, audit.stderr);
  const entries = (JSON.parse(audit.stdout) as { entries: { kind: string; user: string; attempt: AttemptJson }[] }).entries;
  t.like(entries.map((entry) => entry.attempt), expected);
  t.true(entries.every((entry) => entry.kind === 'login' && entry.user === 'alice'));
  assertNoSecret(t, audit);

  const all = await h.stack.cli('audit', '--user', 'alice');
  t.is(all.exitCode, 0, all.stderr);
  t.regex(all.stdout, /login +alice +accept emergency-passcode/);
  t.regex(all.stdout, /admin +alice +code\.issue +by test-helpdesk/, 'with the admin actions on alice');
  assertNoSecret(t, all);
});

test.serial(`at most ${ATTEMPTS_KEPT} attempts are kept, the newest; a user never tried shows none`, async (t) => {
  await h.stack.admin.service.addUser('bob', PIN, OPERATOR);
  const shownEmpty = await h.stack.cli('user', 'show', 'bob');
  t.regex(shownEmpty.stdout, /last attempts: none recorded/);
  // Sent one after another: each reply is in before the next request leaves.
  for (let i = 0; i < ATTEMPTS_KEPT + 3; i++) t.is(await send('bob', `${PIN}${String(i).padStart(6, '0')}`), PacketCode.AccessReject);
  const shown = JSON.parse((await h.stack.cli('user', 'show', 'bob', '--json')).stdout) as { attempts: { at: string }[] };
  t.is(shown.attempts.length, ATTEMPTS_KEPT);
  const times = shown.attempts.map((attempt) => attempt.at);
  t.deepEqual(times, [...times].sort().reverse(), 'newest first');
  const audit = JSON.parse((await h.stack.cli('audit', '--user', 'bob', '--kind', 'login', '--json')).stdout) as { entries: unknown[] };
  t.is(audit.entries.length, ATTEMPTS_KEPT);
});

test.serial('an unknown user: nothing recorded under the name typed; audit --user still answers', async (t) => {
  t.is(await send('mallory-was-here', '123456'), PacketCode.AccessReject);
  t.is(await h.stack.admin.store.redis.exists(h.stack.admin.store.keys.attempts('mallory-was-here')), 0);
  const audit = await h.stack.cli('audit', '--user', 'mallory-was-here', '--json');
  t.is(audit.exitCode, 0, audit.stderr);
  t.deepEqual(JSON.parse(audit.stdout), { entries: [] });
});
