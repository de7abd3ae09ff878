import test from 'ava';
import { ConsoleClient, consoleCertificate, consoleSection, enrolledOperator } from '../../harness/console.js';
import { DEFAULT_POLICY, writeTestConfig } from '../../harness/config.js';
import { patient } from '../../harness/patience.js';
import { selfServiceSection } from '../../harness/self-service.js';
import { codeInSms, TestSmsGateway, webhookSmsSection } from '../../harness/sms-gateway.js';
import { OPERATOR, startStack } from '../../harness/stack.js';
import { addUserWithToken } from '../../harness/users.js';
import { WebClient } from '../../harness/web-client.js';

// A reload applies `policy` and `codes` to the gateway at once and says no restart is
// needed, so the web apps must apply them too: the self-service pages and the console
// check a PIN against the reloaded policy, never the one `serve` started with.

test('after a reload that tightens the PIN policy, the self-service pages and the console apply the new rule', async (t) => {
  const sms = await TestSmsGateway.start();
  const tls = consoleCertificate();
  const extra = `${webhookSmsSection(sms.url)}${selfServiceSection(tls)}${consoleSection(tls)}`;
  const stack = await startStack({ extra });
  try {
    await addUserWithToken(stack.admin, 'ivy', '80604217');
    await stack.admin.service.setMobile('ivy', '+4915112345681', OPERATOR);
    const operator = await enrolledOperator(stack.admin, 'rita', 'admin');
    const serve = await stack.startServe();

    // The same file, with PINs of 6 to 8 digits from now on (4 to 8 before).
    writeTestConfig(stack.redis.url, { extra, policy: `${DEFAULT_POLICY}  pin:\n    min_length: 6\n`, keyFile: stack.config.keys.file }, stack.directory);
    process.kill(serve.pid, 'SIGHUP');
    await serve.logged('the reload', (line) => line.outcome === 'reloaded', 1, patient(5000));
    t.false(serve.lines.some((line) => line.includes('restart_needed')), 'a reload of the policy needs no restart');

    const pages = new WebClient(serve.selfServicePort!, tls.certificate);
    await pages.get('/code');
    await pages.post('/code', { user: 'ivy' });
    const code = codeInSms(await sms.messageTo('+4915112345681'));
    const form = await pages.get('/pin');
    t.regex(form.body, /6 to 8 digits/, 'the field describes the reloaded policy');
    const short = await pages.post('/pin', { user: 'ivy', code, pin: '13579', pin_again: '13579' });
    t.is(short.status, 400);
    t.regex(short.body, /a PIN must be 6 to 8 characters long/);
    const fits = await pages.post('/pin', { user: 'ivy', code, pin: '135791', pin_again: '135791' });
    t.is(fits.status, 200, 'the policy is checked before the code, which is still good');

    const helpdesk = new ConsoleClient(serve.consolePort!, tls.certificate);
    t.is((await helpdesk.signIn(operator)).status, 303);
    await helpdesk.get('/users/ivy');
    t.is((await helpdesk.post('/users/ivy/pin', { pin: '2468', reason: 'INC-1' })).status, 303);
    t.regex((await helpdesk.get('/users/ivy')).body, /a PIN must be 6 to 8 characters long/, 'the console refuses a PIN the reloaded policy refuses');
  } finally {
    await stack.close();
    await sms.close();
  }
});
