import test from 'ava';
import { sinceOf } from '../../src/cli/commands/audit.js';
import { PacketCode } from '../../src/protocol/index.js';
import { loginOnce } from '../../harness/nas.js';
import { totpAt } from '../../harness/otp.js';
import { patient } from '../../harness/patience.js';
import { until } from '../../harness/until.js';
import { OPERATOR, startStack, type Stack } from '../../harness/stack.js';

// `radgate audit`: admin actions (the Redis audit stream), alerts the gateway records
// there, filters, and usage errors (exit 2) found before anything is opened.

let stack: Stack;
let port: number;

test.before(async () => {
  stack = await startStack({ policy: '  reject_delay_ms: 0\n  max_failures: 2\n  lockout_seconds: 600\n' });
  port = (await stack.startGateway()).server.addresses()[0]!.port;
});

test.after.always(async () => {
  await stack.close();
});

interface Entry {
  kind: string;
  at: string;
  user: string | null;
  event: string;
  operator: string | null;
  reason: string | null;
  details: Record<string, string>;
}

async function entries(...args: string[]): Promise<Entry[]> {
  const result = await stack.cli('audit', '--json', ...args);
  if (result.exitCode !== 0) throw new Error(`audit ${args.join(' ')}: exit ${result.exitCode}: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { entries: Entry[] }).entries;
}

test.serial('--kind admin lists admin actions newest first, with operator and reason; --user and --limit filter', async (t) => {
  t.is((await stack.cli('user', 'add', 'carol', '--reason', 'INC-1')).exitCode, 0);
  t.is((await stack.cli('user', 'add', 'dave', '--reason', 'INC-2')).exitCode, 0);
  t.is((await stack.cli('user', 'disable', 'carol', '--reason', 'INC-3')).exitCode, 0);
  const admin = await entries('--kind', 'admin');
  t.like(admin.slice(0, 3), [
    { kind: 'admin', user: 'carol', event: 'user.disable', operator: OPERATOR.operator, reason: 'INC-3' },
    { kind: 'admin', user: 'dave', event: 'user.add', reason: 'INC-2' },
    { kind: 'admin', user: 'carol', event: 'user.add', reason: 'INC-1' },
  ]);
  t.deepEqual((await entries('--kind', 'admin', '--user', 'carol')).map((entry) => entry.event), ['user.disable', 'user.add']);
  t.deepEqual((await entries('--kind', 'admin', '--limit', '1')).map((entry) => entry.event), ['user.disable']);
  const human = await stack.cli('audit', '--kind', 'admin', '--user', 'carol');
  t.regex(human.stdout, /^TIME +KIND +USER +WHAT +DETAILS\n/);
  t.regex(human.stdout, /\d{4}-\d\d-\d\d \d\d:\d\d [+-]\d\d:\d\d +admin +carol +user\.disable +by test-helpdesk, reason "INC-3"/);
  t.regex(human.stderr, /2 entries/);
});

test.serial('--since: a duration or a date; older entries are left out', async (t) => {
  await stack.cli('user', 'add', 'erin');
  t.true((await entries('--kind', 'admin', '--since', '1h')).some((entry) => entry.user === 'erin'));
  t.deepEqual(await entries('--kind', 'admin', '--since', '2999-01-01'), [], 'nothing is that recent');
  t.true((await entries('--kind', 'admin', '--since', '2000-01-01T00:00Z')).length >= 4);
  const now = Date.parse('2026-11-20T14:00:00Z');
  t.is(sinceOf('2h', 'Europe/Zurich', now), now - 7_200_000);
  t.is(sinceOf('3d', 'Europe/Zurich', now), now - 3 * 86_400_000);
  t.is(sinceOf('2026-11-20T15:00', 'Europe/Zurich', now), now, 'a date is read in time_zone');
});

test.serial('--kind alert: a lockout and a lost token used, recorded by the gateway in the audit stream', async (t) => {
  await stack.admin.service.addUser('frank', '2468', OPERATOR);
  const { uri } = await stack.admin.service.assignToken('frank', {}, OPERATOR);
  await stack.admin.service.addUser('grace', '2468', OPERATOR);
  for (let i = 0; i < 2; i++) t.is(await loginOnce(port, 'grace', '0000000000'), PacketCode.AccessReject);
  await stack.admin.service.markTokenLost('frank', OPERATOR);
  t.is(await loginOnce(port, 'frank', `2468${totpAt(uri, stack.clock.now)}`), PacketCode.AccessReject);
  // The gateway appends alerts without holding up the reply: wait until both have landed.
  const query = { user: undefined, sinceMs: 0, kinds: new Set(['alert'] as const), limit: 10 };
  await until('both alerts in the audit stream', patient(5000), async () => (await stack.admin.audit.query(query)).length === 2);
  const alerts = await entries('--kind', 'alert');
  t.like(alerts.find((entry) => entry.user === 'grace'), { kind: 'alert', event: 'locked-out', reason: 'bad-pin', details: { client: 'test-nas', source: '127.0.0.1' } });
  t.like(alerts.find((entry) => entry.user === 'frank'), { kind: 'alert', event: 'lost-token-used', details: { client: 'test-nas' } });
  t.true((await entries('--kind', 'admin')).every((entry) => entry.kind === 'admin'), 'alerts are not admin actions');
  t.deepEqual((await entries('--user', 'grace', '--kind', 'alert')).map((entry) => entry.event), ['locked-out']);
});

test.serial('usage errors exit 2 before anything is opened; the message says what to write', async (t) => {
  for (const [args, message] of [
    [['--kind', 'login'], /login attempts are kept per user: name one with --user/],
    [['--kind', 'everything'], /Invalid values/],
    [['--since', 'yesterday'], /--since "yesterday" is neither a duration/],
    [['--since', '2026-02-30'], /is not a date/],
    [['--limit', '0'], /--limit must be a whole number from 1/],
    [['--user', ' alice'], /white space/i],
  ] as const) {
    const result = await stack.cli('audit', ...args);
    t.is(result.exitCode, 2, `${args.join(' ')}: ${result.stderr}`);
    t.regex(result.stderr, message);
  }
});
