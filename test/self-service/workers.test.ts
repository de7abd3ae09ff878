import test from 'ava';
import { consoleCertificate } from '../../harness/console.js';
import { scrape, series } from '../../harness/ops.js';
import { patient } from '../../harness/patience.js';
import { selfServiceSection } from '../../harness/self-service.js';
import { codeInSms, TestSmsGateway, webhookSmsSection } from '../../harness/sms-gateway.js';
import { OPERATOR, startStack } from '../../harness/stack.js';
import { addUserWithToken } from '../../harness/users.js';
import { WebClient } from '../../harness/web-client.js';

// With several workers the self-service pages and their SMS run in the primary (one
// listener, one per-source count), and /metrics merges the primary's counts with the
// workers': `radgate serve` as an admin runs it, workers: 2.

test('serve with 2 workers: one self-service listener, the page answers, the SMS goes out and /metrics counts it', async (t) => {
  const sms = await TestSmsGateway.start();
  const tls = consoleCertificate();
  const extra = `${webhookSmsSection(sms.url)}${selfServiceSection(tls)}`;
  const stack = await startStack({ extra });
  try {
    await addUserWithToken(stack.admin, 'wendy', '80604217');
    await stack.admin.service.setMobile('wendy', '+4915112345699', OPERATOR);
    const serve = await stack.startServe({ config: { extra, workers: 2 } });
    t.truthy(serve.selfServicePort, serve.lines.join('\n'));
    t.is(serve.countLogged((line) => line.msg === 'listening for self-service (HTTPS)'), 1, 'one listener, in the primary');

    const client = new WebClient(serve.selfServicePort!, tls.certificate);
    await client.get('/code');
    const page = await client.post('/code', { user: 'wendy' });
    t.is(page.status, 200);
    t.regex(page.body, /a code is on its way/);
    t.regex(codeInSms(await sms.messageTo('+4915112345699')), /^[0-9A-Z-]+$/);

    // The delivery is counted once the provider answered, which the SMS's arrival does not
    // prove; the sender logs "SMS sent" right after counting it.
    await serve.logged('the delivery', (line) => line.msg === 'SMS sent', 1, patient(5000));
    const { samples } = await scrape(serve.opsPort!);
    t.is(samples.get(series('radgate_sms_deliveries_total', { provider: 'webhook', result: 'sent' })), 1);
  } finally {
    await stack.close();
    await sms.close();
  }
});
