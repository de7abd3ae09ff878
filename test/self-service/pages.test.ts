import test from 'ava';
import { REPLY_WAIT_MS } from '../../harness/patience.js';
import { codeInSms } from '../../harness/sms-gateway.js';
import { until } from '../../harness/until.js';
import { startSelfServiceStack, type SelfServiceStack } from '../../harness/self-service.js';
import type { WebClient, WebResponse } from '../../harness/web-client.js';

// The self-service pages' guards, request by request, over the real SelfService
// implementation, a real redis-server and the test's own SMS gateway (the browser test
// drives the happy path): headers and cookies, CSRF, the per-source limit and the trusted
// proxy, the same page whoever a code request names, nothing secret in a log line.

let site: SelfServiceStack;

test.before(async () => {
  // A high per-source limit here: the tests that check the limit start pages of their own.
  site = await startSelfServiceStack({ selfService: '  requests_per_source_per_minute: 1000\n' });
  await site.addUser('alice', '80604217', '+4915112345601');
  await site.addUser('bob', '80604217', '+4915112345602');
  await site.addUser('carol', '80604217', '+4915112345603');
  await site.addUser('no-mobile', '80604217', null);
  await site.addUser('frank', '80604217', '+4915112345606');
});

test.after.always(async () => {
  await site?.close();
});

/** A code request as a browser makes it: the form page (for its CSRF token), then the post. */
async function requestCode(client: WebClient, user: string): Promise<WebResponse> {
  await client.get('/code');
  return client.post('/code', { user });
}

const withoutCsrf = (body: string): string => body.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""');

test('every page carries the security headers and no inline script; the CSRF cookie is __Host-, Secure, HttpOnly, SameSite=Strict, signed', async (t) => {
  const client = site.client();
  const pages = [await client.get('/'), await client.get('/code'), await client.get('/pin'), await client.get('/token'), await client.get('/no-such-page'), await client.post('/code', { user: 'alice' })];
  t.regex(codeInSms(await site.sms.messageTo('+4915112345601')), /^[0-9A-F -]{12,}$/, 'the code for alice went out');
  for (const page of pages) {
    const csp = String(page.headers['content-security-policy']);
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"]) t.true(csp.includes(directive), directive);
    t.false(csp.includes('unsafe-inline'));
    t.regex(String(page.headers['strict-transport-security']), /max-age=31536000/);
    t.is(page.headers['x-content-type-options'], 'nosniff');
    t.is(page.headers['referrer-policy'], 'no-referrer');
    t.is(page.headers['cache-control'], 'no-store');
    t.false(/<script>|\son\w+=|style="/.test(page.body), 'no inline script, handler or style');
  }
  t.deepEqual(
    pages.map((page) => page.status),
    [200, 200, 200, 200, 404, 200],
  );
  const fresh = await site.client().get('/pin');
  const cookie = (fresh.headers['set-cookie'] as string[]).find((line) => line.startsWith('__Host-radgate-self-service-csrf='))!;
  t.truthy(cookie);
  for (const flag of ['Secure', 'HttpOnly', 'SameSite=Strict', 'Path=/']) t.true(cookie.includes(flag), flag);
  t.false(/Domain=/i.test(cookie));
  t.regex(cookie.split(';')[0]!, /\.[A-Za-z0-9+/_-]{40,}=*$/, 'signed (an HMAC after the value)');
  t.false(/name="(user|code|pin)"[^>]*value="[^"]+"/.test(fresh.body), 'no field is filled in');
});

test('a post without the CSRF token, or with another browser’s, is refused and changes nothing', async (t) => {
  const client = site.client();
  const sent = await requestCode(client, 'bob');
  t.is(sent.status, 200);
  const code = codeInSms(await site.sms.messageTo('+4915112345602'));

  const form = { user: 'bob', code, pin: '11223344', pin_again: '11223344' };
  const other = site.client();
  await other.get('/pin');
  await client.get('/pin');
  for (const attempt of [{ ...form, _csrf: '' }, { ...form, _csrf: other.csrf! }]) {
    const refused = await client.request('POST', '/pin', attempt);
    t.is(refused.status, 403);
    t.regex(refused.body, /This form has expired or did not come from this site/);
  }
  const noCookie = await site.client().request('POST', '/code', { user: 'frank', _csrf: client.csrf! });
  t.is(noCookie.status, 403, 'a token without its cookie');

  // The code was not spent and the PIN not changed: the form with its token still works.
  t.is(await site.login('bob', '11223344'), 1);
  const reset = await client.post('/pin', form);
  t.is(reset.status, 200, reset.body);
  t.regex(reset.body, /Your PIN is changed/);
  // And the refused code request issued nothing: once the one asked for now has arrived, it is frank's only code.
  await requestCode(site.client(), 'frank');
  await site.sms.messageTo('+4915112345606');
  t.is((await site.stack.admin.service.listCodes('frank')).length, 1);
});

test('a code request gets the same page, after at least the answer time, for an unknown user, a user without a number and a real user', async (t) => {
  const answers: { status: number; body: string; ms: number }[] = [];
  for (const user of ['nobody-here', 'no-mobile', 'carol']) {
    const client = site.client();
    await client.get('/code');
    const started = Date.now();
    const answer = await client.post('/code', { user });
    answers.push({ status: answer.status, body: withoutCsrf(answer.body), ms: Date.now() - started });
  }
  t.deepEqual(
    answers.map((answer) => answer.status),
    [200, 200, 200],
  );
  t.is(answers[0]!.body, answers[1]!.body);
  t.is(answers[1]!.body, answers[2]!.body);
  t.regex(answers[0]!.body, /If this user name has a mobile number on record, a code is on its way/);
  for (const answer of answers) t.true(answer.ms >= 300, `answered after the answer time (${answer.ms} ms)`);
  t.false(answers[2]!.body.includes('carol') || /\+49|\d{4,}\b/.test(answers[2]!.body.replace(/\b(1d|200|300)\b/g, '')), 'no name, no number');
  t.truthy(await site.sms.messageTo('+4915112345603'), 'the real user got the code');
});

test('the per-source limit holds for every form post together; a new minute is not needed to see it', async (t) => {
  const port = await site.startPages((settings) => ({ ...settings, requestsPerSourcePerMinute: 3 }));
  const client = site.client(port);
  await client.get('/pin');
  const statuses = [];
  for (const path of ['/pin', '/token', '/code', '/pin']) statuses.push((await client.post(path, { user: 'nobody-here', code: 'ABC', pin: '1', pin_again: '1' })).status);
  t.deepEqual(statuses.slice(0, 3), [400, 400, 200]);
  const limited = await client.post('/token', { user: 'nobody-here', code: 'ABC', pin: '1' });
  t.is(statuses[3], 429);
  t.is(limited.status, 429);
  t.regex(limited.body, /Too many requests from your address/);
  t.truthy(limited.headers['content-security-policy']);
  t.is((await client.get('/pin')).status, 200, 'pages still load: the limit is on form posts');
});

test('behind the trusted proxy the client is the header’s last entry; from elsewhere the header is ignored', async (t) => {
  const proxied = await site.startPages((settings) => ({ ...settings, requestsPerSourcePerMinute: 2, trustedProxy: { address: '127.0.0.1', header: 'x-forwarded-for' } }));
  const post = async (port: number, forwarded: string): Promise<number> => {
    const client = site.client(port);
    await client.get('/pin');
    return (await client.request('POST', '/pin', { _csrf: client.csrf!, user: 'nobody-here', code: 'ABC', pin: '1', pin_again: '1' }, { 'x-forwarded-for': forwarded })).status;
  };
  t.deepEqual([await post(proxied, '198.51.100.7, 192.0.2.1'), await post(proxied, '203.0.113.9, 192.0.2.1'), await post(proxied, '192.0.2.1')], [400, 400, 429], 'the last entry counts');
  t.is(await post(proxied, '192.0.2.2'), 400, 'another client, its own limit');
  // The request line is written once the response has gone (onResponse): wait for it.
  await until('the log names the client behind the proxy', REPLY_WAIT_MS, () => site.stack.lines.some((line) => line.includes('"source":"192.0.2.2"') && line.includes('self-service request')));
  t.pass('the log names the client behind the proxy');

  const direct = await site.startPages((settings) => ({ ...settings, requestsPerSourcePerMinute: 2, trustedProxy: { address: '10.9.9.9', header: 'x-forwarded-for' } }));
  t.deepEqual([await post(direct, '192.0.2.10'), await post(direct, '192.0.2.11'), await post(direct, '192.0.2.12')], [400, 400, 429], 'a header from an address that is not the proxy is ignored');
});

test('an IPv6 client is limited by its /64: a new address in the same network is the same source', async (t) => {
  const proxied = await site.startPages((settings) => ({ ...settings, requestsPerSourcePerMinute: 2, trustedProxy: { address: '127.0.0.1', header: 'x-forwarded-for' } }));
  const post = async (forwarded: string): Promise<number> => {
    const client = site.client(proxied);
    await client.get('/pin');
    return (await client.request('POST', '/pin', { _csrf: client.csrf!, user: 'nobody-here', code: 'ABC', pin: '1', pin_again: '1' }, { 'x-forwarded-for': forwarded })).status;
  };
  t.deepEqual([await post('2001:db8:5:6::1'), await post('2001:db8:5:6::2'), await post('2001:db8:5:6:a:b:c:d')], [400, 400, 429], 'one /64, one limit');
  t.is(await post('2001:db8:5:7::1'), 400, 'the next /64 is another source');
  t.deepEqual([await post('::ffff:192.0.2.77'), await post('192.0.2.77'), await post('::ffff:192.0.2.77')], [400, 400, 429], 'an IPv4-mapped address is its IPv4 client');
});

test('the code request page says the code lifetime in words, however the config writes it', async (t) => {
  const port = await site.startPages((settings) => ({ ...settings, service: { ...settings.service, codeLifetime: '1mo' } }));
  const client = site.client(port);
  await client.get('/code');
  const answer = await client.post('/code', { user: 'nobody-here' });
  t.regex(answer.body, /It works once, for 1 month\./);
});

test('a new token is shown once: a resent form finds the code used and shows nothing; the form page shows nothing either', async (t) => {
  await site.addUser('dave', '80604217', '+4915112345604');
  const client = site.client();
  await requestCode(client, 'dave');
  const code = codeInSms(await site.sms.messageTo('+4915112345604'));
  await client.get('/token');
  const form = { user: 'dave', code, pin: '80604217' };
  const shown = await client.post('/token', form);
  t.is(shown.status, 200, shown.body);
  t.is(shown.headers['cache-control'], 'no-store');
  t.regex(shown.body, /otpauth:\/\/totp\//);
  t.regex(shown.body, /<img class="qr" src="data:image\/png;base64,/);
  const again = await client.post('/token', form);
  t.is(again.status, 400);
  t.false(again.body.includes('otpauth'));
  t.false(again.body.includes('data:image'));
  t.false((await client.get('/token')).body.includes('otpauth'));
});

test('no code, PIN, token secret or mobile number in any log line', async (t) => {
  await site.addUser('erin', '80604217', '+4915112345605');
  const client = site.client();
  await requestCode(client, 'erin');
  const first = codeInSms(await site.sms.messageTo('+4915112345605'));
  await client.get('/pin');
  t.is((await client.post('/pin', { user: 'erin', code: first, pin: '55667788', pin_again: '55667788' })).status, 200);
  await requestCode(client, 'erin');
  const second = codeInSms(await site.sms.messageTo('+4915112345605'));
  await client.get('/token');
  const shown = await client.post('/token', { user: 'erin', code: second, pin: '55667788' });
  const uri = /(otpauth:\/\/[^<"]+)/.exec(shown.body)![1]!.replace(/&amp;/g, '&');
  const secret = new URL(uri).searchParams.get('secret')!;
  const logged = site.stack.lines.join('\n');
  for (const [what, value] of [
    ['first code', first],
    ['second code', second],
    ['the old PIN', '80604217'],
    ['the new PIN', '55667788'],
    ['the token secret', secret],
    ['the mobile number', '4915112345605'],
  ] as const) {
    t.false(logged.includes(value.replace(/[- ]/g, '')) || logged.includes(value), what);
  }
  t.true(site.stack.lines.some((line) => line.includes('self-service request')), 'the pages did log their requests');
});
