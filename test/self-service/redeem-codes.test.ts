import test from 'ava';
import type { Gateway } from '../../src/serve/gateway.js';
import type { SelfService } from '../../src/self-service/self-service.js';
import { selfServiceOver } from '../../src/serve/self-service-access.js';
import { totpAt } from '../../harness/otp.js';
import { TEST_SECRET } from '../../harness/packets.js';
import { radclient } from '../../harness/radclient.js';
import { codeInSms, TestSmsGateway, webhookSmsSection } from '../../harness/sms-gateway.js';
import { OPERATOR, startStack, type Stack } from '../../harness/stack.js';
import { addUserWithToken } from '../../harness/users.js';

// SelfService.resetPin and registerToken (issue 18): a code that came by SMS spent once,
// everywhere (a RADIUS login included); failures counted toward the lockout; PIN and token
// changed atomically with it; audited as self-service actions without a secret; a store
// that is down means "unavailable", never a crash. radclient is the NAS.

const NUMBER = '+4915112345678';
const SOURCE = { source: '203.0.113.7' };

let sms: TestSmsGateway;
let stack: Stack;
let gateway: Gateway;
let selfService: SelfService;

test.before(async () => {
  sms = await TestSmsGateway.start();
  stack = await startStack({ extra: webhookSmsSection(sms.url), policy: '  reject_delay_ms: 0\n  max_failures: 3\n' });
  gateway = await stack.startGateway();
  selfService = selfServiceOver(stack.admin, stack.config, stack.logger, { answerMs: 200, requestsPerUserPerHour: 10 });
});

test.after.always(async () => {
  await sms?.close();
  await stack?.close();
});

async function login(user: string, password: string): Promise<number> {
  const server = `127.0.0.1:${gateway.server.addresses()[0]!.port}`;
  return (await radclient(server, 'auth', `User-Name = "${user}", User-Password = "${password}", Message-Authenticator = 0x00\n`, TEST_SECRET)).exitCode;
}

/** A user with PIN 2468, a TOTP token and the number on record; returns the token's otpauth URI. */
async function user(name: string): Promise<string> {
  const uri = await addUserWithToken(stack.admin, name, '2468');
  await stack.admin.service.setMobile(name, NUMBER, OPERATOR);
  return uri;
}

/** What the user asks the page for, and reads in the SMS. */
async function codeBySms(name: string): Promise<string> {
  const before = sms.received.length;
  if ((await selfService.requestCode(name, SOURCE)) !== 'sent') throw new Error('no code sent');
  return codeInSms((await sms.requests(before + 1))[before]!);
}

const failures = async (name: string): Promise<{ failures: number; locked: boolean }> => {
  const { failures: count, locked } = await stack.admin.service.showUser(name);
  return { failures: count, locked };
};

test.serial('resetPin: the PIN policy and the second PIN are checked first, and change nothing', async (t) => {
  await user('pia');
  t.deepEqual(await selfService.resetPin('pia', 'ABCD-1234-EF56', '12', '12', SOURCE), { ok: false, why: 'pin-policy', message: 'a PIN must be 4 to 8 characters long' });
  t.deepEqual(await selfService.resetPin('pia', 'ABCD-1234-EF56', '1357', '1375', SOURCE), { ok: false, why: 'pin-mismatch' });
  t.deepEqual(await failures('pia'), { failures: 0, locked: false });
});

test.serial('resetPin: a wrong code counts toward the lockout; locked, even the right code is refused; unlocked, it sets the PIN, and the code is spent everywhere', async (t) => {
  const uri = await user('lara');
  const code = await codeBySms('lara');
  const refused = { ok: false, why: 'refused' };
  t.deepEqual(await selfService.resetPin('lara', '0000-0000-0000', '1357', '1357', SOURCE), refused);
  t.deepEqual(await selfService.resetPin('lara', '1111-1111-1111', '1357', '1357', SOURCE), refused);
  t.deepEqual(await failures('lara'), { failures: 2, locked: false });
  t.deepEqual(await selfService.resetPin('lara', '2222-2222-2222', '1357', '1357', SOURCE), refused);
  t.deepEqual(await failures('lara'), { failures: 3, locked: true }, 'max_failures 3: locked');
  t.deepEqual(await selfService.resetPin('lara', code, '1357', '1357', SOURCE), refused, 'locked: the right code too');

  await stack.admin.service.unlockUser('lara', OPERATOR);
  // Typed as a person might: lower case, spaces for hyphens.
  t.deepEqual(await selfService.resetPin('lara', code.toLowerCase().replaceAll('-', ' '), '1357', '1357', SOURCE), { ok: true });
  t.is(await login('lara', `1357${totpAt(uri, stack.clock.now)}`), 0, 'the new PIN + tokencode: Access-Accept');
  t.deepEqual(await selfService.resetPin('lara', code, '9753', '9753', SOURCE), refused, 'the code is spent');
  t.is(await login('lara', `1357${code.replaceAll('-', '')}`), 1, 'and refused at a RADIUS login as well');
});

test.serial('the same code in concurrent resets: exactly one succeeds', async (t) => {
  await user('cora');
  const code = await codeBySms('cora');
  const results = await Promise.all(['1111', '2222', '3333', '4444', '5555'].map((pin) => selfService.resetPin('cora', code, pin, pin, SOURCE)));
  t.is(results.filter((result) => result.ok).length, 1);
});

test.serial('registerToken: a wrong PIN is refused and counted; the right one gives a new token that logs in while the old one stops', async (t) => {
  const oldUri = await user('rex');
  const code = await codeBySms('rex');
  t.deepEqual(await selfService.registerToken('rex', code, '9999', SOURCE), { ok: false, why: 'refused' });
  t.deepEqual(await failures('rex'), { failures: 1, locked: false });
  const registered = await selfService.registerToken('rex', code, '2468', SOURCE);
  if (!registered.ok) return t.fail(`refused: ${registered.why}`);
  t.regex(registered.serial, /^[0-9A-F]{10}$/);
  t.regex(registered.uri, /^otpauth:\/\/totp\/radgate:rex\?secret=[A-Z2-7]+&/);
  t.deepEqual(await failures('rex'), { failures: 0, locked: false }, 'a success resets the count');
  t.is(await login('rex', `2468${totpAt(oldUri, stack.clock.now)}`), 1, 'the old token: Access-Reject');
  t.is(await login('rex', `2468${totpAt(registered.uri, stack.clock.now)}`), 0, 'the new token: Access-Accept');
  t.deepEqual(await selfService.registerToken('rex', code, '2468', SOURCE), { ok: false, why: 'refused' }, 'the code is spent');
  t.is((await stack.admin.service.showUser('rex')).token?.serial, registered.serial);
});

test.serial('a user without a token gets a code that only registers one: no login, no PIN reset with it', async (t) => {
  await stack.admin.service.addUser('tina', '2468', OPERATOR);
  await stack.admin.service.setMobile('tina', NUMBER, OPERATOR);
  const code = await codeBySms('tina');
  t.is(await login('tina', `2468${code.replaceAll('-', '')}`), 1, 'RSA\'s rule: no emergency access without a token');
  t.deepEqual(await selfService.resetPin('tina', code, '1357', '1357', SOURCE), { ok: false, why: 'refused' });
  await stack.admin.service.unlockUser('tina', OPERATOR);
  const registered = await selfService.registerToken('tina', code, '2468', SOURCE);
  if (!registered.ok) return t.fail(`refused: ${registered.why}`);
  t.is(await login('tina', `2468${totpAt(registered.uri, stack.clock.now)}`), 0);
});

test.serial('unknown names are refused like wrong codes, and leave nothing under their name', async (t) => {
  t.deepEqual(await selfService.resetPin('nobody-here', 'ABCD-1234-EF56', '1357', '1357', SOURCE), { ok: false, why: 'refused' });
  t.deepEqual(await selfService.registerToken('nobody-here', 'ABCD-1234-EF56', '2468', SOURCE), { ok: false, why: 'refused' });
  t.deepEqual(await stack.admin.audit.query({ user: 'nobody-here', sinceMs: 0, kinds: new Set(['self-service', 'admin']), limit: 10 }), []);
});

test.serial('every step is a self-service audit entry with the source address, and none holds a code or a PIN', async (t) => {
  const entries = await stack.admin.audit.query({ user: 'lara', sinceMs: 0, kinds: new Set(['self-service']), limit: 100 });
  t.deepEqual([...new Set(entries.map((entry) => (entry.kind === 'login' ? '' : entry.event)))].sort(), ['code.issue', 'code.refused', 'user.set-pin']);
  for (const entry of entries) {
    if (entry.kind === 'login') continue;
    t.like(entry, { kind: 'self-service', operator: 'self-service', details: { source: SOURCE.source } });
    t.false(/1357|9753|[0-9A-F]{4}-[0-9A-F]{4}/.test(JSON.stringify(entry)), 'no PIN, no code');
  }
  const registration = await stack.admin.audit.query({ user: 'rex', sinceMs: 0, kinds: new Set(['self-service']), limit: 100 });
  t.true(registration.some((entry) => entry.kind === 'self-service' && entry.event === 'token.assign'));
});

test.serial('no log line holds a number, a code sent, a PIN typed or the message text', (t) => {
  const log = stack.lines.join('\n');
  const codes = sms.received.map(codeInSms);
  t.is(codes.length, 4, 'lara, cora, rex and tina got one each');
  for (const secret of [NUMBER.slice(1), 'authorization code:', ...codes, ...codes.map((code) => code.replaceAll('-', '')), '"1357"', '"9753"']) t.false(log.includes(secret), secret.slice(0, 6));
  t.true(log.includes('+49•••••••••78'), 'the number masked');
});

test.serial('Redis down: "unavailable" (nothing changed), "could not send", and no crash', async (t) => {
  await stack.redis.stop();
  t.deepEqual(await selfService.resetPin('lara', 'ABCD-1234-EF56', '1357', '1357', SOURCE), { ok: false, why: 'unavailable' });
  t.deepEqual(await selfService.registerToken('lara', 'ABCD-1234-EF56', '2468', SOURCE), { ok: false, why: 'unavailable' });
  t.is(await selfService.requestCode('lara', SOURCE), 'could-not-send');
});
