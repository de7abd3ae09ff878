import { performance } from 'node:perf_hooks';
import test from 'ava';
import type { SelfService } from '../../src/self-service/self-service.js';
import { PROVIDER_FAILING_MS, SmsProviderHealth } from '../../src/self-service/provider-health.js';
import { SelfServiceActions } from '../../src/self-service/self-service-actions.js';
import { DEFAULT_SELF_SERVICE_SETTINGS } from '../../src/self-service/self-service-settings.js';
import { smsSenderFor } from '../../src/sms/open-sms.js';
import { openSelfService, selfServiceMaker, selfServiceOver } from '../../src/serve/self-service-access.js';
import { USER_FIELDS } from '../../src/store/record-format.js';
import { patient } from '../../harness/patience.js';
import { withConnection } from '../../harness/redis.js';
import { codeInSms, TestSmsGateway, webhookSmsSection } from '../../harness/sms-gateway.js';
import { OPERATOR, startStack, type Stack } from '../../harness/stack.js';
import { addUserWithToken } from '../../harness/users.js';

// SelfService.requestCode (issue 18): one answer, after one time, whoever the name is; the
// SMS in the background; the per-name limit in Redis, across instances. The SMS provider is
// the test's own HTTP server on loopback.

const NUMBER = '+4915112345678';
const ANSWER_MS = 400;
const SOURCE = { source: '203.0.113.7' };

let sms: TestSmsGateway;
let stack: Stack;
let selfService: SelfService;

test.before(async () => {
  sms = await TestSmsGateway.start();
  stack = await startStack({ extra: webhookSmsSection(sms.url) });
  selfService = selfServiceOver(stack.admin, stack.config, stack.logger, { answerMs: ANSWER_MS });
});

test.after.always(async () => {
  await sms?.close();
  await stack?.close();
});

/** A user with a PIN, a token and (unless told otherwise) the number on record. */
async function user(name: string, withNumber = true): Promise<void> {
  await addUserWithToken(stack.admin, name, '2468');
  if (withNumber) await stack.admin.service.setMobile(name, NUMBER, OPERATOR);
}

/** The answer and how long it took, measured around the call. */
async function timed(name: string, service: SelfService = selfService): Promise<{ answer: string; ms: number }> {
  const started = performance.now();
  const answer = await service.requestCode(name, SOURCE);
  return { answer, ms: performance.now() - started };
}

test.serial('a real user, a user without a number and an unknown name: the same answer, none before the answer time; one SMS, to the real user', async (t) => {
  await user('rita');
  await user('noah', false);
  const before = sms.received.length;
  const answers = [await timed('rita'), await timed('noah'), await timed('nobody-at-all')];
  t.deepEqual(answers.map(({ answer }) => answer), ['sent', 'sent', 'sent']);
  // Timers never fire early; the 1 ms is performance.now()'s fraction against setTimeout's whole milliseconds.
  for (const { ms } of answers) t.true(ms >= ANSWER_MS - 1, `answered after ${ms.toFixed(1)} ms`);
  const [message] = (await sms.requests(before + 1)).slice(before);
  t.is((JSON.parse(message!.body) as { to: string }).to, NUMBER);
  t.regex(codeInSms(message!), /^[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$/, 'the helpdesk kind\'s length and alphabet (12 × hex)');
  t.is(sms.received.length, before + 1, 'nothing for the others');
  const [code] = await stack.admin.service.listCodes('rita');
  t.like(code, { kind: 'online-authcode', maxUses: 1, issuedBy: 'self-service', reason: 'self-service request' });
});

/** Self-service actions over the stack, on a wall clock the test moves. */
function actionsAt(clock: () => number): SelfServiceActions {
  const { repository } = stack.admin.store;
  return new SelfServiceActions({
    service: stack.admin.service,
    countRequest: (name, windowMs) => repository.countCodeRequest(name, windowMs),
    sender: smsSenderFor(stack.config.sms!, stack.config.timeZone, stack.logger),
    policy: stack.config.policy,
    settings: { ...DEFAULT_SELF_SERVICE_SETTINGS, answerMs: ANSWER_MS },
    logger: stack.logger,
    providerHealth: new SmsProviderHealth(clock),
  });
}

test.serial('the provider failing: "could not send" for every name from then on, never decided by a request\'s own delivery; the undelivered code revoked; "sent" again a minute later', async (t) => {
  await user('fred');
  await user('gina', false);
  let now = Date.now();
  const actions = actionsAt(() => now);
  sms.answer(500);
  // Fred's own delivery fails, but his answer was fixed when he asked: what an unknown name gets.
  t.is((await timed('fred', actions)).answer, 'sent');
  await actions.deliveriesSettled();
  const [undelivered] = await stack.admin.service.listCodes('fred');
  t.is(undelivered!.state, 'revoked');
  for (const name of ['gina', 'nobody-else', 'fred']) t.is((await timed(name, actions)).answer, 'could-not-send', name);
  await actions.deliveriesSettled();
  now += PROVIDER_FAILING_MS;
  for (const name of ['gina', 'nobody-else-again']) t.is((await timed(name, actions)).answer, 'sent', name);
});

test.serial('actions rebuilt by a reload remember that the provider is failing', async (t) => {
  await user('rhea');
  const make = selfServiceMaker(stack.admin, stack.config, stack.logger);
  const before = make(stack.config, { answerMs: ANSWER_MS }) as SelfServiceActions;
  sms.answer(500);
  t.is(await before.requestCode('rhea', SOURCE), 'sent');
  await before.deliveriesSettled();
  const reloaded = make(stack.config, { answerMs: ANSWER_MS });
  t.is(await reloaded.requestCode('nobody-after-reload', SOURCE), 'could-not-send');
});

test.serial('a number the provider refuses (HTTP 400) changes nothing anyone hears: the provider is not failing', async (t) => {
  await user('lando');
  const actions = actionsAt(Date.now);
  sms.answer(400);
  t.is((await timed('lando', actions)).answer, 'sent');
  await actions.deliveriesSettled();
  t.is((await stack.admin.service.listCodes('lando'))[0]!.state, 'revoked', 'the undelivered code is revoked');
  for (const name of ['lando', 'nobody-at-all-here']) t.is((await timed(name, actions)).answer, 'sent', name);
});

test.serial('a provider that hangs does not hold the answer: it comes while the provider still hangs', async (t) => {
  await user('hank');
  const before = sms.received.length;
  sms.answer('hang');
  const answering = selfService.requestCode('hank', SOURCE);
  await sms.requests(before + 1);
  // The provider's timeout is 60 s (webhookSmsSection), far beyond the answer time.
  t.is(await answering, 'sent');
  t.is(sms.hangingNow, 1, 'the gateway has not answered the SMS request yet');
  sms.release();
});

test.serial('the per-name limit holds across two instances on one Redis, for unknown names as for real ones', async (t) => {
  await user('rosa');
  const settings = { answerMs: ANSWER_MS, requestsPerUserPerHour: 2 };
  const first = selfServiceOver(stack.admin, stack.config, stack.logger, settings);
  const other = await openSelfService(stack.config, stack.logger, { connectTimeoutMs: patient(5000), clock: stack.clock.read, settings });
  try {
    for (const name of ['rosa', 'nobody-third']) {
      const answers = await Promise.all([first.requestCode(name, SOURCE), other.selfService.requestCode(name, SOURCE), first.requestCode(name, SOURCE)]);
      t.deepEqual(answers.sort(), ['rate-limited', 'sent', 'sent'], name);
      t.is(await other.selfService.requestCode(name, SOURCE), 'rate-limited');
    }
  } finally {
    await other.close();
  }
});

test.serial('a disabled or locked user gets no SMS and the same answer', async (t) => {
  await user('dora');
  await user('lena');
  await stack.admin.service.disableUser('dora', OPERATOR);
  // Locked until an admin unlocks, as a run of failed logins leaves a user.
  await withConnection(stack.redis, (client) => client.hset('rg:user:{lena}', USER_FIELDS.locked, -1));
  const before = sms.received.length;
  t.deepEqual([(await timed('dora')).answer, (await timed('lena')).answer], ['sent', 'sent']);
  t.is(sms.received.length, before);
});

test.serial('a PIN reset and a token registration are answered no earlier than the answer time, for an unknown name as for a real user', async (t) => {
  await user('uma');
  const attempts: [string, () => Promise<unknown>][] = [
    ['reset, unknown name', () => selfService.resetPin('nobody-resets', 'AAAA-BBBB-CCCC', '1357', '1357', SOURCE)],
    ['reset, real user, wrong code', () => selfService.resetPin('uma', 'AAAA-BBBB-CCCC', '1357', '1357', SOURCE)],
    ['registration, unknown name', () => selfService.registerToken('nobody-registers', 'AAAA-BBBB-CCCC', '2468', SOURCE)],
    ['registration, real user, wrong code', () => selfService.registerToken('uma', 'AAAA-BBBB-CCCC', '2468', SOURCE)],
  ];
  for (const [what, attempt] of attempts) {
    const started = performance.now();
    t.like(await attempt(), { ok: false, why: 'refused' }, what);
    const ms = performance.now() - started;
    t.true(ms >= ANSWER_MS - 1, `${what}: answered after ${ms.toFixed(1)} ms`);
  }
});
