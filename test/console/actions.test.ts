import test from 'ava';
import { startConsole, type RunningConsole } from '../../src/serve/console-endpoint.js';
import { authcode, CHALLENGE, challengeHarness, challengeOf, userWithToken, type ChallengeHarness } from '../../harness/challenge-harness.js';
import { ConsoleClient, consoleCertificate, consoleSection, enrolledOperator } from '../../harness/console.js';
import { patient } from '../../harness/patience.js';

// The user page's other actions, as requests (the browser test drives issue and revoke):
// each calls the CLI's service, is audited with the operator and the reason, and shows a
// secret (an authorization code, a token's QR code) once.

let h: ChallengeHarness;
let running: RunningConsole;
let port: number;
let certificate: string;

test.before(async () => {
  const tls = consoleCertificate();
  certificate = tls.certificate;
  h = await challengeHarness(false, { extra: `${CHALLENGE(false)}${consoleSection(tls, '  login:\n    per_source_per_minute: 1000\n')}` });
  running = (await startConsole(h.stack.config, h.stack.logger, { connectTimeoutMs: patient(5000), clock: h.stack.clock.read }))!;
  port = running.port;
});

test.after.always(async () => {
  await running?.close();
  await h?.close();
});

async function signedIn(name: string, role: 'helpdesk' | 'admin'): Promise<ConsoleClient> {
  const operator = await enrolledOperator(h.stack.admin, name, role, h.stack.clock.now);
  const client = new ConsoleClient(port, certificate, new Map(), h.stack.clock.read);
  await client.signIn(operator);
  return client;
}

const onceOf = (body: string, index = 0): string => [...body.matchAll(/name="once" value="([^"]+)"/g)][index]![1]!;

test('a helpdesk answers a challenge request code: the authorization code is shown once, and it is the one the gateway accepts', async (t) => {
  await userWithToken(h, 'carol');
  const { requestCode } = challengeOf(await h.send('carol', '1357'));
  const client = await signedIn('hd-answer', 'helpdesk');
  const page = await client.get('/users/carol');
  t.regex(page.body, new RegExp(`Pending request code ${requestCode.slice(0, 4)}-${requestCode.slice(4)}`));
  const respond = { request_code: requestCode.toLowerCase(), validity: '3d', reason: 'INC-7 phone call' };
  const answered = await client.post('/users/carol/respond', { ...respond, once: onceOf(page.body, 1) });
  t.is(answered.status, 200, answered.body);
  const shown = /<li class="code">([^<]+)<\/li>/.exec(answered.body)![1]!.replace(/-/g, '');
  t.is(shown, authcode(h, 'carol', requestCode, '3d'));
  const [entry] = await h.stack.admin.audit.query({ user: 'carol', sinceMs: 0, kinds: new Set(['admin']), limit: 1, event: 'authcode.respond' });
  t.like(entry, { operator: 'hd-answer', reason: 'INC-7 phone call' });
  t.false(h.stack.lines.some((line) => line.includes(shown)));
});

test('an admin marks a token lost and found, and assigns a new token whose QR code is shown once', async (t) => {
  await userWithToken(h, 'dave');
  const client = await signedIn('admin-tokens', 'admin');
  await client.get('/users/dave');
  t.is((await client.post('/users/dave/token/lost', { reason: 'INC-8 lost on a train' })).status, 303);
  t.is((await h.stack.admin.service.showUser('dave')).token!.state, 'lost');
  const lostPage = await client.get('/users/dave');
  t.regex(lostPage.body, /token is marked lost/);
  t.is((await client.post('/users/dave/token/found', { reason: 'INC-8 found' })).status, 303);
  t.is((await h.stack.admin.service.showUser('dave')).token!.state, 'active');
  const before = (await h.stack.admin.service.showUser('dave')).token!.serial;
  const page = await client.get('/users/dave');
  const once = onceOf(page.body, 2);
  const assigned = await client.post('/users/dave/token/assign', { replace: 'yes', reason: 'INC-9 new phone', once });
  t.is(assigned.status, 200);
  t.regex(assigned.body, /<img class="qr" src="data:image\/png;base64,/);
  t.not((await h.stack.admin.service.showUser('dave')).token!.serial, before);
  t.is((await client.post('/users/dave/token/assign', { replace: 'yes', reason: 'INC-9 again', once })).status, 403, 'not twice');
});

// Serial: it moves the stack's clock, which the other tests' TOTP codes read while they enrol
// (a step boundary crossed in between made their enrolment code two steps old).
test.serial('unlock, revoke the last and all, an action without a reason, a problem the service reports', async (t) => {
  await userWithToken(h, 'erin');
  const [first] = await h.stack.admin.service.issueCodes('erin', { kind: 'emergency-tokencode' }, { operator: 'cli', reason: 'x' });
  h.stack.clock.advance(1000);
  const [last] = await h.stack.admin.service.issueCodes('erin', { kind: 'emergency-passcode' }, { operator: 'cli', reason: 'x' });
  const states = async (): Promise<string[]> => {
    const codes = await h.stack.admin.service.listCodes('erin');
    return [first!.id, last!.id].map((id) => codes.find((code) => code.id === id)!.state);
  };
  const client = await signedIn('hd-revoke', 'helpdesk');
  await client.get('/users/erin');
  t.is((await client.post('/users/erin/unlock', { reason: '' })).status, 400, 'a reason is required');
  t.is((await client.post('/users/erin/unlock', { reason: 'INC-10' })).status, 303);
  t.regex((await client.get('/users/erin')).body, /erin unlocked/);
  await client.post('/users/erin/revoke', { selector: 'last', reason: 'INC-11' });
  t.deepEqual(await states(), ['active', 'revoked']);
  await client.post('/users/erin/revoke', { selector: 'all', reason: 'INC-12' });
  t.deepEqual(await states(), ['revoked', 'revoked']);
  await h.stack.admin.service.addUser('frank', '2468', { operator: 'cli', reason: 'x' });
  const page = await client.get('/users/frank');
  await client.post('/users/frank/issue', { kind: 'emergency-tokencode', reason: 'INC-13', once: onceOf(page.body) });
  t.regex((await client.get('/users/frank')).body, /frank has no token: assign one first/, "the service's own message");
});

test('an admin adds a user and an operator in the console', async (t) => {
  const client = await signedIn('admin-adds', 'admin');
  await client.get('/users');
  t.is((await client.post('/users', { user: 'gina', pin: '8642', reason: 'INC-14' })).headers.location, '/users/gina');
  t.true((await h.stack.admin.service.showUser('gina')).pinSet);
  await client.get('/operators');
  const added = await client.post('/operators', { name: 'new-helper', role: 'auditor', reason: 'INC-15' });
  t.is(added.status, 200);
  t.regex(added.body, /<li class="code">[A-Za-z0-9_-]{20}<\/li>/);
  t.like(await h.stack.admin.operators.find('new-helper'), { role: 'auditor' });
  await client.get('/users/gina');
  t.is((await client.post('/users/gina/challenge', { challenge: 'off', reason: 'INC-16' })).status, 303);
  t.is((await h.stack.admin.service.showUser('gina')).challenge, 'off');
  t.is((await client.post('/users/gina/pin', { pin: '12', reason: 'INC-17' })).status, 303);
  t.regex((await client.get('/users/gina')).body, /role="alert">[^<]*PIN/, 'the PIN policy refuses it, and says so');
  await client.post('/users/gina/delete', { confirm: 'ginaa', reason: 'INC-18' });
  t.truthy(await h.stack.admin.service.showUser('gina'), 'not deleted without the name typed again');
  t.is((await client.post('/users/gina/delete', { confirm: 'gina', reason: 'INC-18 left' })).headers.location, '/users');
  await t.throwsAsync(h.stack.admin.service.showUser('gina'), { message: /no user named "gina"/ });
});
