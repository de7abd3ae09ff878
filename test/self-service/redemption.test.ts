import test from 'ava';
import { totpAt } from '../../harness/otp.js';
import { codeInSms } from '../../harness/sms-gateway.js';
import { startSelfServiceStack, type SelfServiceStack } from '../../harness/self-service.js';
import type { WebClient } from '../../harness/web-client.js';

// A code sent by SMS is single use everywhere: once a PIN reset used it, another reset, a
// token registration and a RADIUS login (PIN + code) with it are all refused.

let site: SelfServiceStack;
let graceToken: string;

test.before(async () => {
  site = await startSelfServiceStack();
  graceToken = await site.addUser('grace', '80604217', '+4915112345611');
});

test.after.always(async () => {
  await site?.close();
});

async function post(client: WebClient, path: string, form: Record<string, string>): Promise<{ status: number; body: string }> {
  await client.get(path);
  return client.post(path, form);
}

test('a code used for a PIN reset cannot be used again: not for another reset, a registration or a login', async (t) => {
  const client = site.client();
  t.is((await post(client, '/code', { user: 'grace' })).status, 200);
  const code = codeInSms(await site.sms.messageTo('+4915112345611'));

  const reset = await post(client, '/pin', { user: 'grace', code, pin: '24681357', pin_again: '24681357' });
  t.is(reset.status, 200, reset.body);

  const again = await post(client, '/pin', { user: 'grace', code, pin: '13572468', pin_again: '13572468' });
  t.is(again.status, 400);
  t.regex(again.body, /That did not work\. Check the user name and the code/);
  const register = await post(client, '/token', { user: 'grace', code, pin: '24681357' });
  t.is(register.status, 400);
  t.false(register.body.includes('otpauth'));

  const compact = code.replace(/[- ]/g, '');
  t.is(await site.login('grace', `24681357${compact}`), 1, 'Access-Reject for the new PIN + the used code');
  const tokencode = totpAt(graceToken, site.stack.clock.now);
  t.is(await site.login('grace', `13572468${tokencode}`), 1, 'the second reset changed nothing');
  t.is(await site.login('grace', `24681357${tokencode}`), 0, 'the first one holds');
});

test('the refusals a form can meet are rendered, each with its own message, and the code is never refilled', async (t) => {
  const client = site.client();
  const mismatch = await post(client, '/pin', { user: 'grace', code: 'ABCDEF123456', pin: '11112222', pin_again: '11112223' });
  t.is(mismatch.status, 400);
  t.regex(mismatch.body, /The two new PINs differ/);
  const policy = await post(client, '/pin', { user: 'grace', code: 'ABCDEF123456', pin: '12', pin_again: '12' });
  t.is(policy.status, 400);
  t.regex(policy.body, /role="alert">[^<]*PIN/);
  t.regex(policy.body, /name="user" value="grace"/, 'the name is refilled');
  t.false(policy.body.includes('ABCDEF123456'), 'the code is not');
  const unknown = await post(client, '/token', { user: 'nobody-here', code: 'ABCDEF123456', pin: '11112222' });
  const wrong = await post(client, '/token', { user: 'grace', code: 'ABCDEF123456', pin: '11112222' });
  t.is(unknown.status, 400);
  t.is(wrong.status, 400);
  const message = (body: string): string => /role="alert">([^<]*)</.exec(body)![1]!;
  t.is(message(unknown.body), message(wrong.body), 'one message for an unknown user and a wrong code');
});
