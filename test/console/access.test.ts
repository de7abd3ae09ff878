import test from 'ava';
import { RedisSessionStore } from '../../src/console/session-store.js';
import type { Session } from 'fastify';
import type { RadgateConfig } from '../../src/config/types.js';
import { startConsole, type RunningConsole } from '../../src/serve/console-endpoint.js';
import { ConsoleClient, consoleCertificate, consoleSection, enrolledOperator, type ConsoleCertificate, type TestOperator } from '../../harness/console.js';
import { patient } from '../../harness/patience.js';
import { OPERATOR, startStack, type Stack } from '../../harness/stack.js';
import { addUserWithToken, issue } from '../../harness/users.js';

// The console's guards, request by request (the browser test drives the happy path): who may
// do what, CSRF, sessions ending, headers, sign-in limits. One stack; each test starts the
// consoles it needs on it, and each operator signs in only in its own test.

let stack: Stack;
let tls: ConsoleCertificate;
const consoles: RunningConsole[] = [];

test.before(async () => {
  tls = consoleCertificate();
  stack = await startStack({ extra: consoleSection(tls, '  login:\n    per_source_per_minute: 1000\n') });
  await addUserWithToken(stack.admin, 'alice', '4821');
});

test.after.always(async () => {
  for (const running of consoles) await running.close();
  await stack?.close();
});

/** A console on the stack, with the stack's clock, and a settings change when a test needs one. */
async function openConsole(change: (config: RadgateConfig) => RadgateConfig = (config) => config): Promise<ConsoleClient> {
  const running = await startConsole(change(stack.config), stack.logger, { connectTimeoutMs: patient(5000), clock: stack.clock.read });
  consoles.push(running!);
  return new ConsoleClient(running!.port, tls.certificate, new Map(), stack.clock.read);
}

const withConsole = (config: RadgateConfig, settings: Partial<NonNullable<RadgateConfig['console']>>): RadgateConfig => ({ ...config, console: { ...config.console!, ...settings } });

async function signedIn(name: string, role: 'helpdesk' | 'admin' | 'auditor', client?: ConsoleClient): Promise<{ client: ConsoleClient; operator: TestOperator }> {
  const operator = await enrolledOperator(stack.admin, name, role, stack.clock.now);
  const browser = client ?? (await openConsole());
  const result = await browser.signIn(operator);
  if (result.status !== 303 || result.headers.location !== '/users') throw new Error(`${name} could not sign in: ${result.status} ${result.body}`);
  return { client: browser, operator };
}

test('every page carries the security headers; the session cookie is __Host-, Secure, HttpOnly, SameSite=Strict', async (t) => {
  const client = await openConsole();
  const login = await client.get('/login');
  t.is(login.status, 200);
  const csp = String(login.headers['content-security-policy']);
  for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"]) {
    t.true(csp.includes(directive), directive);
  }
  t.false(csp.includes('unsafe-inline'));
  t.regex(String(login.headers['strict-transport-security']), /max-age=31536000/);
  t.is(login.headers['x-content-type-options'], 'nosniff');
  t.is(login.headers['referrer-policy'], 'no-referrer');
  t.is(login.headers['cache-control'], 'no-store');
  t.is(login.headers['cross-origin-opener-policy'], 'same-origin');
  const cookie = (login.headers['set-cookie'] as string[]).find((line) => line.startsWith('__Host-radgate-console='))!;
  t.truthy(cookie);
  for (const flag of ['Secure', 'HttpOnly', 'SameSite=Strict', 'Path=/']) t.true(cookie.includes(flag), flag);
  t.false(/Domain=/i.test(cookie));
  t.false(/<script>|\son\w+=|style="/.test(login.body), 'no inline script, handler or style');
  const notFound = await client.get('/nothing-here');
  t.is(notFound.status, 404);
  t.truthy(notFound.headers['content-security-policy']);
});

test('sign-in: a wrong password or code is refused; the session id is renewed at sign-in', async (t) => {
  const client = await openConsole();
  const operator = await enrolledOperator(stack.admin, 'sign-in-op', 'helpdesk', stack.clock.now);
  await client.get('/login');
  const before = client.cookies.get('__Host-radgate-console');
  t.is((await client.post('/login', { name: operator.name, password: 'not the password' })).status, 401);
  t.is((await client.post('/login', { name: 'nobody', password: operator.password })).status, 401);
  t.is((await client.post('/login', { name: operator.name, password: operator.password })).status, 303);
  await client.get('/login/code');
  t.is((await client.post('/login/code', { code: '000000' })).status, 401);
  t.is((await client.get('/users')).status, 303, 'not signed in with the password alone');
  const result = await client.signIn(operator);
  t.is(result.headers.location, '/users');
  t.not(client.cookies.get('__Host-radgate-console'), before);
  t.is((await client.get('/users')).status, 200);
});

test('a helpdesk operator cannot reach admin actions, by page or by direct request', async (t) => {
  const { client } = await signedIn('hd-roles', 'helpdesk');
  const page = await client.get('/users/alice');
  t.is(page.status, 200);
  t.false(page.body.includes('/token/assign'), 'no admin form on the page');
  t.false(page.body.includes('href="/operators"'), 'no link to the operators page');
  t.is((await client.get('/operators')).status, 403);
  const serialBefore = (await stack.admin.service.showUser('alice')).token!.serial;
  for (const path of ['/users/alice/token/assign', '/users/alice/token/lost', '/users/alice/disable', '/users', '/operators', '/operators/hd-roles/remove']) {
    const refused = await client.post(path, { reason: 'INC-1', user: 'mallory', name: 'mallory', role: 'admin', replace: 'yes' });
    t.is(refused.status, 403, path);
  }
  t.is((await stack.admin.service.showUser('alice')).token!.serial, serialBefore);
  t.deepEqual((await stack.admin.operators.list()).map((view) => view.name).filter((name) => name === 'mallory'), []);
});

test('an auditor reads users and the audit, and cannot change anything', async (t) => {
  const { client } = await signedIn('auditor-1', 'auditor');
  const page = await client.get('/users/alice');
  t.is(page.status, 200);
  t.false(page.body.includes('method="post" action="/users/alice'), 'no action form');
  t.is((await client.get('/audit')).status, 200);
  const codesBefore = (await stack.admin.service.listCodes('alice')).length;
  for (const path of ['/users/alice/issue', '/users/alice/revoke', '/users/alice/unlock', '/users/alice/respond', '/users/alice/token/lost']) {
    t.is((await client.post(path, { reason: 'INC-2', kind: 'emergency-tokencode', selector: 'all' })).status, 403, path);
  }
  t.is((await stack.admin.service.listCodes('alice')).length, codesBefore);
});

test('a request without the CSRF token, or with another session’s, is refused and changes nothing', async (t) => {
  const { client } = await signedIn('hd-csrf', 'helpdesk');
  const other = await signedIn('hd-csrf-other', 'helpdesk', client.otherBrowser());
  await issue(stack.admin, 'alice', { kind: 'emergency-tokencode' });
  const active = async (): Promise<number> => (await stack.admin.service.listCodes('alice')).filter((code) => code.state === 'active').length;
  const before = await active();
  t.true(before > 0);
  const withoutToken = await client.request('POST', '/users/alice/revoke', { selector: 'all', reason: 'INC-3' });
  t.is(withoutToken.status, 403);
  t.regex(withoutToken.body, /did not come from this console/);
  await other.client.get('/users/alice');
  const foreignToken = await client.request('POST', '/users/alice/revoke', { selector: 'all', reason: 'INC-3', _csrf: other.client.csrf! });
  t.is(foreignToken.status, 403);
  t.is(await active(), before);
});

test('after signing out in one tab, the other tab is refused', async (t) => {
  const { client } = await signedIn('hd-tabs', 'helpdesk');
  const second = client.tab();
  t.is((await second.get('/users/alice')).status, 200);
  const secondToken = second.csrf!;
  await client.get('/users');
  t.is((await client.post('/logout')).status, 303);
  t.is((await second.get('/users/alice')).status, 303, 'a page asks to sign in again');
  const action = await second.request('POST', '/users/alice/unlock', { reason: 'INC-4', _csrf: secondToken });
  t.is(action.status, 401);
  t.regex(action.body, /not signed in/);
  // The old cookie, presented again (a copy taken before sign-out), is as dead.
  const replay = new ConsoleClient(client.port, tls.certificate, new Map([['__Host-radgate-console', 'stale']]), stack.clock.read);
  t.is((await replay.get('/users')).status, 303);
});

test('a password or TOTP reset ends the sessions signed in before it; a role change or an unlock does not', async (t) => {
  const password = await signedIn('hd-reset-password', 'helpdesk');
  const totp = await signedIn('hd-reset-totp', 'helpdesk');
  const role = await signedIn('hd-new-role', 'helpdesk');
  for (const { client } of [password, totp, role]) t.is((await client.get('/users')).status, 200);
  await stack.admin.operators.resetPassword('hd-reset-password', 'a new horse battery staple', OPERATOR);
  await stack.admin.operators.resetTotp('hd-reset-totp', OPERATOR);
  await stack.admin.operators.setRole('hd-new-role', 'admin', OPERATOR);
  await stack.admin.operators.unlock('hd-new-role', OPERATOR);
  t.is((await password.client.get('/users')).status, 303, 'a new password signs the old sessions out');
  t.is((await totp.client.get('/users')).status, 303, 'so does a TOTP reset (a lost phone)');
  const kept = await role.client.get('/operators');
  t.is(kept.status, 200, 'a new role applies to the session at once, without signing it out');
  // Signing in again with the new password works, and that session is kept.
  t.is((await password.client.signIn(password.operator, 'a new horse battery staple')).headers.location, '/users');
  t.is((await password.client.get('/users')).status, 200);
});

// Serial: it moves the stack's clock, which every other test's TOTP codes and sessions read.
test.serial('a session ends after the idle timeout', async (t) => {
  const { client } = await signedIn('hd-idle', 'helpdesk');
  t.is((await client.get('/users')).status, 200);
  stack.clock.advance(stack.config.console!.sessionIdleSeconds * 1000 + 1000);
  t.is((await client.get('/users')).status, 303);
});

test('failed sign-ins lock the operator; the right password is then refused too, and an admin unlocks', async (t) => {
  const client = await openConsole();
  const operator = await enrolledOperator(stack.admin, 'hd-locked', 'helpdesk', stack.clock.now);
  await client.get('/login');
  for (let i = 0; i < stack.config.console!.loginMaxFailures; i++) t.is((await client.post('/login', { name: operator.name, password: `wrong ${i}` })).status, 401);
  // A wrong password meets the answer an unknown name gets: the page does not say who exists.
  const wrongWhileLocked = await client.post('/login', { name: operator.name, password: 'still wrong' });
  const unknown = await client.post('/login', { name: 'hd-nobody-at-all', password: 'still wrong' });
  t.is(wrongWhileLocked.status, 401);
  t.notRegex(wrongWhileLocked.body, /locked/);
  t.is(wrongWhileLocked.body.replace(/name="_csrf" value="[^"]+"/, ''), unknown.body.replace(/name="_csrf" value="[^"]+"/, '').replace('hd-nobody-at-all', operator.name));
  const locked = await client.post('/login', { name: operator.name, password: operator.password });
  t.is(locked.status, 401);
  t.regex(locked.body, /locked/);
  const [entry] = await stack.admin.audit.query({ user: undefined, sinceMs: 0, kinds: new Set(['admin']), limit: 1, event: 'operator.locked' });
  t.like(entry, { operator: 'hd-locked' });
  await stack.admin.operators.unlock(operator.name, OPERATOR);
  t.is((await client.signIn(operator)).headers.location, '/users');
});

test('sign-in attempts per source address are limited', async (t) => {
  const client = await openConsole((config) => withConsole(config, { loginAttemptsPerSourcePerMinute: 3 }));
  await client.get('/login');
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await client.post('/login', { name: `nobody-${i}`, password: 'whatever whatever' })).status);
  t.deepEqual(statuses, [401, 401, 401, 403]);
});

test('a trusted proxy names the operator, from its own address only', async (t) => {
  await stack.admin.operators.add('sso-dana', 'helpdesk', { sso: true }, OPERATOR);
  const trusted = await openConsole((config) => withConsole(config, { trustedProxy: { address: '127.0.0.1', header: 'x-remote-user' } }));
  const page = await trusted.get('/users', { 'x-remote-user': 'sso-dana' });
  t.is(page.status, 200);
  t.regex(page.body, /sso-dana \(helpdesk\)/);
  // And acts: a form posted with the token of the page before is the same session's.
  await trusted.get('/users/alice', { 'x-remote-user': 'sso-dana' });
  const acted = await trusted.request('POST', '/users/alice/unlock', { reason: 'INC-9 via SSO', _csrf: trusted.csrf! }, { 'x-remote-user': 'sso-dana' });
  t.is(acted.status, 303, 'an SSO operator\'s form post is accepted');
  t.is((await trusted.tab().get('/users', { 'x-remote-user': 'not-an-operator' })).status, 303);
  const elsewhere = await openConsole((config) => withConsole(config, { trustedProxy: { address: '10.9.8.7', header: 'x-remote-user' } }));
  t.is((await elsewhere.get('/users', { 'x-remote-user': 'sso-dana' })).status, 303);
  t.true(stack.lines.some((line) => line.includes('ignored the SSO header')));
  // An SSO operator has no password to sign in with.
  await elsewhere.get('/login');
  t.is((await elsewhere.post('/login', { name: 'sso-dana', password: '' })).status, 401);
});

test('user names are canonical as the CLI makes them (fold_case, strip_realm)', async (t) => {
  const client = await openConsole((config) => ({ ...config, policy: { ...config.policy, foldCase: true, stripRealm: true } }));
  await signedIn('hd-names', 'helpdesk', client);
  const page = await client.get('/users/CORP%5CAlice');
  t.is(page.status, 303);
  t.is(page.headers.location, '/users/alice');
  const search = await client.get('/users?q=ALI');
  t.regex(search.body, /href="\/users\/alice"/);
});

test('an issued code is shown once: not cached, not in a log line, not on the user page, not shown again by resending the form', async (t) => {
  const { client } = await signedIn('hd-issue', 'helpdesk');
  await client.get('/users/alice');
  const once = /name="once" value="([^"]+)"/.exec((await client.get('/users/alice')).body)![1]!;
  const form = { kind: 'emergency-passcode', lifetime: '2h', count: '1', reason: 'INC-5 phone call', once };
  const issued = await client.post('/users/alice/issue', form);
  t.is(issued.status, 200);
  t.is(issued.headers['cache-control'], 'no-store');
  const grouped = /<li class="code">([^<]+)<\/li>/.exec(issued.body)![1]!;
  t.regex(grouped, /^[A-Z0-9]{4}(-[A-Z0-9]{1,4})+$/);
  const code = grouped.replace(/-/g, '');
  t.false(stack.lines.some((line) => line.includes(code) || line.includes(grouped)), 'never in a log line');
  t.false((await client.get('/users/alice')).body.includes(grouped), 'never on the user page');
  const again = await client.post('/users/alice/issue', form);
  t.is(again.status, 403);
  t.false(again.body.includes(grouped));
  const [entry] = await stack.admin.audit.query({ user: 'alice', sinceMs: 0, kinds: new Set(['admin']), limit: 1, operator: 'hd-issue', event: 'code.issue' });
  t.like(entry, { operator: 'hd-issue', reason: 'INC-5 phone call' });
  const audit = await client.get('/audit?operator=hd-issue&action=code.issue&since=all');
  t.regex(audit.body, /INC-5 phone call/);
  t.false((await client.get('/audit?operator=somebody-else&since=all')).body.includes('INC-5'));
});

test('no password, TOTP secret, code or session cookie in a log line', async (t) => {
  const { client, operator } = await signedIn('hd-logs', 'helpdesk');
  await client.get('/users?q=ali');
  const secret = new URL(operator.uri).searchParams.get('secret')!;
  const session = client.cookies.get('__Host-radgate-console')!.split('.')[0]!;
  for (const line of stack.lines) {
    t.false(line.includes(operator.password), 'password');
    t.false(line.includes(secret), 'TOTP secret');
    t.false(line.includes(session), 'session id');
  }
  t.true(stack.lines.some((line) => line.includes('"route":"/users"') && line.includes('"operator":"hd-logs"')), 'requests are logged, by route');
});

test('a request that read a session before its sign-out cannot save it again', async (t) => {
  const store = new RedisSessionStore(stack.admin.store.operators, 60, 3600);
  const call = (run: (done: (error?: unknown, value?: unknown) => void) => void) =>
    new Promise<unknown>((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value))));
  const session = { operator: 'hd-raced', signedInAt: stack.clock.now, lastSeenAt: stack.clock.now } as unknown as Session;
  await call((done) => store.set('raced-session-id', session, done));
  t.like(await call((done) => store.get('raced-session-id', done)), { operator: 'hd-raced' });
  await call((done) => store.destroy('raced-session-id', done));
  // The late write of a request that loaded the session before the sign-out.
  await call((done) => store.set('raced-session-id', session, done));
  t.is(await call((done) => store.get('raced-session-id', done)), null);
});
