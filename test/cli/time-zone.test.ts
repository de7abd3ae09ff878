import test from 'ava';
import { runCli } from '../../harness/cli.js';
import { SECRET_ENV, writeTestConfig } from '../../harness/config.js';
import { OPERATOR, startStack, type Stack } from '../../harness/stack.js';
import { addUserWithToken, issue } from '../../harness/users.js';
import { formatInZone, instantOf, wallClockAt } from '../../src/credentials/time-zone.js';

// SPEC "Time": validities are counted in the helpdesk's zone (time_zone), stored and sent
// as UTC, shown in that zone with its offset. The CLI runs as a subprocess, as the helpdesk
// runs it; the credential service runs on the stack's injected clock.

const BERLIN = 'Europe/Berlin';
let stack: Stack;

test.before(async () => {
  stack = await startStack({ timeZone: BERLIN });
});

test.after.always(async () => {
  await stack.close();
});

/** The CLI with the stack's config, and a TZ that must not matter when time_zone is set. */
const cli = (...args: string[]) => runCli([...args, '--config', stack.configPath, '--operator', OPERATOR.operator], { env: { ...SECRET_ENV, TZ: 'Asia/Tokyo' } });

test.serial('1month issued in Berlin on Oct 20 at 15:00 ends Nov 20 at 15:00, after summer time ended', async (t) => {
  stack.clock.now = Date.parse('2026-10-20T15:00:00+02:00');
  await addUserWithToken(stack.admin, 'berta', '1357');
  const [code] = await issue(stack.admin, 'berta', { kind: 'online-authcode', lifetime: '1month' });
  t.is(code!.expiresAt, '2026-11-20T14:00:00.000Z', '15:00 CET');
  const [days] = await issue(stack.admin, 'berta', { kind: 'online-authcode', lifetime: '31d' });
  t.is(days!.expiresAt, '2026-11-20T14:00:00.000Z', '31 calendar days: 745 hours, still within 1 to 31 days');
  const [three] = await issue(stack.admin, 'berta', { kind: 'emergency-tokencode', lifetime: '3d' });
  stack.clock.now = Date.parse('2026-10-24T15:00:00+02:00');
  const [across] = await issue(stack.admin, 'berta', { kind: 'emergency-tokencode', lifetime: '3d' });
  t.is(three!.expiresAt, '2026-10-23T13:00:00.000Z', 'no change in between: 72 hours');
  t.is(across!.expiresAt, '2026-10-27T14:00:00.000Z', 'Oct 27 15:00 CET: 73 hours');
  const [hours] = await issue(stack.admin, 'berta', { kind: 'emergency-tokencode', lifetime: '72h' });
  t.is(hours!.expiresAt, '2026-10-27T13:00:00.000Z', 'hours are exact');
});

test.serial('code list, code issue and user show print dates in time_zone with the offset; TZ does not override it', async (t) => {
  stack.clock.now = Date.parse('2026-10-20T15:00:00+02:00');
  await addUserWithToken(stack.admin, 'clara', '2468');
  const [code] = await issue(stack.admin, 'clara', { kind: 'online-authcode', lifetime: '1month', uses: 1 });
  const list = await cli('code', 'list', 'clara');
  t.is(list.exitCode, 0, list.stderr);
  const row = list.stdout.split('\n').find((line) => line.startsWith(code!.id))!;
  t.regex(row, / 2026-10-20 15:00 \+02:00 +2026-11-20 15:00 \+01:00 +0\/1 /);
  const shown = await cli('user', 'show', 'clara');
  t.regex(shown.stdout, /^created: +2026-10-20 15:00 \+02:00$/m);

  const issued = await cli('code', 'issue', 'clara', '--kind', 'emergency-passcode', '--lifetime', '12h');
  t.is(issued.exitCode, 0, issued.stderr);
  const expires = /^Expires (\d{4}-\d{2}-\d{2} \d{2}:\d{2} [+-]\d{2}:\d{2});/m.exec(issued.stdout)?.[1];
  const [listed] = (JSON.parse((await cli('code', 'list', 'clara', '--json')).stdout) as { codes: { expiresAt: string }[] }).codes.slice(-1);
  t.is(expires, formatInZone(Date.parse(listed!.expiresAt), BERLIN), 'the issue output, in Berlin, not in Tokyo');
  t.regex(expires!, / \+0[12]:00$/);
});

test.serial('--json keeps UTC ISO strings', async (t) => {
  stack.clock.now = Date.parse('2026-10-20T15:00:00+02:00');
  await addUserWithToken(stack.admin, 'dora', '3579');
  await issue(stack.admin, 'dora', { kind: 'online-authcode', lifetime: '1month' });
  const { codes } = JSON.parse((await cli('code', 'list', 'dora', '--json')).stdout) as { codes: { issuedAt: string; expiresAt: string }[] };
  t.like(codes[0], { issuedAt: '2026-10-20T13:00:00.000Z', expiresAt: '2026-11-20T14:00:00.000Z' });
  t.like(JSON.parse((await cli('user', 'show', 'dora', '--json')).stdout), { createdAt: '2026-10-20T13:00:00.000Z' });
  const issued = JSON.parse((await cli('code', 'issue', 'dora', '--kind', 'emergency-passcode', '--json')).stdout) as { codes: { expires_at: string }[] };
  t.regex(issued.codes[0]!.expires_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
});

test.serial('--expires YYYY-MM-DD is midnight in time_zone; an offset given is taken as given', async (t) => {
  stack.clock.now = Date.now();
  await addUserWithToken(stack.admin, 'emil', '4680');
  // Ten days from now on Berlin's calendar: the CLI reads it against the real clock.
  const { year, month, day } = wallClockAt(Date.now() + 10 * 86_400_000, BERLIN);
  const date = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  const local = await cli('code', 'issue', 'emil', '--kind', 'emergency-passcode', '--expires', date, '--json');
  t.is(local.exitCode, 0, local.stderr);
  const midnight = instantOf({ year, month, day, hour: 0, minute: 0, second: 0, millisecond: 0 }, BERLIN);
  t.is((JSON.parse(local.stdout) as { codes: { expires_at: string }[] }).codes[0]!.expires_at, new Date(midnight).toISOString());
  const offset = await cli('code', 'issue', 'emil', '--kind', 'emergency-passcode', '--expires', `${date}T15:00+05:30`, '--json');
  t.is((JSON.parse(offset.stdout) as { codes: { expires_at: string }[] }).codes[0]!.expires_at, new Date(`${date}T15:00:00+05:30`).toISOString());
  const token = await cli('token', 'assign', 'emil', '--replace', '--expires', date, '--json');
  t.is(token.exitCode, 0, token.stderr);
  t.is((JSON.parse((await cli('user', 'show', 'emil', '--json')).stdout) as { token: { expiresAt: string } }).token.expiresAt, new Date(midnight).toISOString());
  const refused = await cli('code', 'issue', 'emil', '--kind', 'emergency-passcode', '--expires', `${year}-02-30`);
  t.is(refused.exitCode, 2);
  t.regex(refused.stderr, /is not a date: .*read in Europe\/Berlin, the config's time_zone, unless an offset/);
});

test.serial("without time_zone the CLI shows dates in the host's zone (TZ)", async (t) => {
  const hostZoned = writeTestConfig(stack.redis.url, { timeZone: null, keyFile: stack.config.keys.file }, stack.directory, 'host-zone.yaml');
  const shown = await runCli(['user', 'show', 'dora', '--config', hostZoned.path], { env: { ...SECRET_ENV, TZ: 'Asia/Tokyo' } });
  t.is(shown.exitCode, 0, shown.stderr);
  t.regex(shown.stdout, /^created: +2026-10-20 22:00 \+09:00$/m);
});
