import test from 'ava';
import { startSelfServiceStack, type SelfServiceStack } from '../../harness/self-service.js';
import { totpAt } from '../../harness/otp.js';

// An SMS gateway that takes the request and never answers holds neither the page (it
// answers after the answer time, while the provider still hangs) nor the gateway (a RADIUS
// login meanwhile is answered). Checked by events: the test's SMS gateway says when the
// provider's request arrived and whether it is still held open; no timing upper bound.

let site: SelfServiceStack;

test.before(async () => {
  site = await startSelfServiceStack();
});

test.after.always(async () => {
  await site?.close();
});

test('a hanging SMS provider stalls neither the page nor a RADIUS login', async (t) => {
  const uri = await site.addUser('heidi', '80604217', '+4915112345621');
  site.sms.answer('hang');
  const client = site.client();
  await client.get('/code');
  const answer = client.post('/code', { user: 'heidi' });
  await site.sms.requests(1);
  t.is(site.sms.hangingNow, 1, 'the provider holds the SMS');

  t.is(await site.login('heidi', `80604217${totpAt(uri, site.stack.clock.now)}`), 0, 'Access-Accept while the provider hangs');
  t.is(site.sms.hangingNow, 1, 'still hanging after the login');

  const page = await answer;
  // No delivery has failed yet, so the answer is the one every name gets: on its way.
  t.is(page.status, 200);
  t.regex(page.body, /a code is on its way/);
  t.is(site.sms.hangingNow, 1, 'the page answered while the provider still hangs');
});
