import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Registry } from '@prometheus-io/client';
import test from 'ava';
import type { SmsConfig } from '../../src/config/types.js';
import { registerSmsMetrics } from '../../src/observability/sms-metrics.js';
import { SmsDeliveryError } from '../../src/sms/sms-error.js';
import { smsSenderFor } from '../../src/sms/open-sms.js';
import { parseConfig } from '../../src/config/load.js';
import { consoleCertificate } from '../../harness/console.js';
import { capturingLogger } from '../../harness/logger.js';
import { TestSmsGateway, webhookSmsSection } from '../../harness/sms-gateway.js';
import { tempDir } from '../../harness/temp.js';

// The webhook provider against the test's own HTTP server on loopback: what it sends, when
// it retries, when it gives up, what it counts, and that no log line holds the number, the
// message text or a credential.

const NUMBER = '+4915112345678';
const CODE = 'ABCD1234EF56';
const EXPIRES = new Date('2026-12-08T10:00:00Z');
const TOKEN = 'Bearer s3cret-gateway-token';

let gateway: TestSmsGateway;
const registry = new Registry();
registerSmsMetrics(registry);

test.before(async () => {
  gateway = await TestSmsGateway.start();
});

test.after.always(async () => {
  await gateway.close();
});

/** The sms section parsed by the config loader, as `serve` would get it (`env`: where its variables are read). */
function smsConfig(section: string, env: NodeJS.ProcessEnv = {}): SmsConfig {
  const directory = tempDir('sms');
  writeFileSync(join(directory, 'sms-token'), `${TOKEN}\n`, { mode: 0o600 });
  const text = `clients:\n  - { name: nas, address: 127.0.0.1, secret: a-shared-secret-of-16+ }\n${section.replaceAll('TOKEN_FILE', join(directory, 'sms-token'))}`;
  return parseConfig(text, { source: join(directory, 'radgate.yaml'), baseDir: directory, env }).sms!;
}

async function deliveries(result: 'sent' | 'failed'): Promise<number> {
  const line = (await registry.metrics()).split('\n').find((candidate) => candidate.startsWith(`radgate_sms_deliveries_total{provider="webhook",result="${result}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

function assertNothingSecretLogged(t: { false(value: boolean, message?: string): void }, lines: readonly string[]): void {
  const all = lines.join('\n');
  for (const secret of [NUMBER, NUMBER.slice(1), CODE, 'ABCD-1234-EF56', 's3cret-gateway-token', 'Valid until']) t.false(all.includes(secret), `no log line holds ${secret.slice(0, 4)}…`);
}

test.serial('POST with the fixed headers, the authorization from a file, and the JSON body template with escaped values', async (t) => {
  const before = gateway.received.length;
  const config = smsConfig(
    webhookSmsSection(gateway.url, {
      more: '    headers:\n      X-Api-Version: "2"\n    authorization_file: TOKEN_FILE\n    body: \'{"to":"{number}","text":"{message}","from":"radgate"}\'\n',
    }).replace('provider: webhook', 'provider: webhook\n  message: \'Code "{code}" until {expires}\''),
  );
  const { logger, lines } = capturingLogger();
  await smsSenderFor(config, 'Europe/Berlin', logger).sendCode(NUMBER, { code: CODE, expiresAt: EXPIRES });
  const [sms] = (await gateway.requests(before + 1)).slice(before);
  t.is(sms!.method, 'POST');
  t.is(sms!.path, '/send');
  t.is(sms!.headers.authorization, TOKEN);
  t.is(sms!.headers['x-api-version'], '2');
  t.is(sms!.headers['content-type'], 'application/json');
  // The quotes of the message template are escaped inside the JSON string, not breaking it.
  t.deepEqual(JSON.parse(sms!.body), { to: NUMBER, text: 'Code "ABCD-1234-EF56" until 2026-12-08 11:00 +01:00', from: 'radgate' });
  assertNothingSecretLogged(t, lines);
  t.true(lines.some((line) => line.includes('"to":"+49•••••••••78"') && line.includes('SMS sent')), 'the number masked at most');
});

test.serial('PUT, form-encoded (Twilio-like), the authorization from an environment variable', async (t) => {
  const before = gateway.received.length;
  const config = smsConfig(
    webhookSmsSection(gateway.url, {
      more: '    method: PUT\n    content_type: application/x-www-form-urlencoded\n    body: To={number}&Body={message}\n    authorization_env: RADGATE_TEST_SMS_AUTH\n    authorization_header: X-Auth\n',
    }),
    { RADGATE_TEST_SMS_AUTH: TOKEN },
  );
  await smsSenderFor(config, 'UTC', capturingLogger().logger).sendCode(NUMBER, { code: CODE, expiresAt: EXPIRES });
  const [sms] = (await gateway.requests(before + 1)).slice(before);
  t.is(sms!.method, 'PUT');
  t.is(sms!.headers['x-auth'], TOKEN);
  t.is(sms!.headers['content-type'], 'application/x-www-form-urlencoded');
  const form = new URLSearchParams(sms!.body);
  t.is(form.get('To'), NUMBER);
  t.is(form.get('Body'), 'Your radgate authorization code: ABCD-1234-EF56. Valid until 2026-12-08 10:00 +00:00.');
});

test.serial('5xx and 429 are retried with backoff, then the message goes through', async (t) => {
  const before = gateway.received.length;
  const sentBefore = await deliveries('sent');
  gateway.answer(503, 429);
  await smsSenderFor(smsConfig(webhookSmsSection(gateway.url, { retries: 2 })), 'UTC', capturingLogger().logger).sendCode(NUMBER, { code: CODE, expiresAt: EXPIRES });
  t.is(gateway.received.length - before, 3, 'two refusals, then the one taken');
  t.is(await deliveries('sent'), sentBefore + 1);
});

test.serial('a 4xx is not retried: the gateway refused the message itself', async (t) => {
  const before = gateway.received.length;
  gateway.answer(400);
  const error = await t.throwsAsync(smsSenderFor(smsConfig(webhookSmsSection(gateway.url, { retries: 2 })), 'UTC', capturingLogger().logger).sendCode(NUMBER, { code: CODE, expiresAt: EXPIRES }), { instanceOf: SmsDeliveryError });
  t.is(error!.message, 'the SMS was not sent: the gateway answered HTTP 400');
  t.is(gateway.received.length - before, 1);
});

test.serial('a gateway that never answers: given up at the timeout, not retried (it may have taken it), counted as failed, nothing secret logged', async (t) => {
  const before = gateway.received.length;
  const failedBefore = await deliveries('failed');
  gateway.answer('hang');
  const { logger, lines } = capturingLogger();
  const sending = smsSenderFor(smsConfig(webhookSmsSection(gateway.url, { timeoutMs: 300, retries: 2 })), 'UTC', logger).sendCode(NUMBER, { code: CODE, expiresAt: EXPIRES });
  const error = await t.throwsAsync(sending, { instanceOf: SmsDeliveryError });
  t.is(error!.code, 'RADGATE_SMS_DELIVERY_FAILED');
  t.is(error!.message, 'the SMS was not sent: no answer within 300 ms');
  t.is(gateway.received.length - before, 1);
  t.is(await deliveries('failed'), failedBefore + 1);
  assertNothingSecretLogged(t, lines);
  t.true(lines.some((line) => line.includes('SMS not sent') && line.includes('RADGATE_SMS_DELIVERY_FAILED')));
});

test.serial('a gateway that cannot be reached is retried, then reported by its errno alone', async (t) => {
  const closed = await TestSmsGateway.start();
  const url = closed.url;
  await closed.close();
  const error = await t.throwsAsync(smsSenderFor(smsConfig(webhookSmsSection(url, { retries: 1 })), 'UTC', capturingLogger().logger).sendCode(NUMBER, { code: CODE, expiresAt: EXPIRES }), { instanceOf: SmsDeliveryError });
  t.is(error!.message, 'the SMS was not sent: could not reach the gateway (ECONNREFUSED) (after 2 attempts)');
});

test.serial('an https:// gateway whose certificate is not trusted is refused and counted as failed; with ca_file set to its CA it is used', async (t) => {
  // A gateway with a certificate of a private CA (self-signed: the certificate is its own CA), which no system store holds.
  const tls = consoleCertificate(tempDir('sms-tls'));
  const bodies: string[] = [];
  const server = createHttpsServer({ cert: readFileSync(tls.certificateFile), key: readFileSync(tls.keyFile) }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      response.writeHead(200).end('{"status":"queued"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/send`;
    const failedBefore = await deliveries('failed');
    const { logger, lines } = capturingLogger();
    const untrusted = smsSenderFor(smsConfig(webhookSmsSection(url)), 'UTC', logger).sendCode(NUMBER, { code: CODE, expiresAt: EXPIRES });
    const error = await t.throwsAsync(untrusted, { instanceOf: SmsDeliveryError });
    t.is(error!.message, 'the SMS was not sent: could not reach the gateway (DEPTH_ZERO_SELF_SIGNED_CERT)');
    t.deepEqual(bodies, [], 'nothing was sent over the unverified connection');
    t.is(await deliveries('failed'), failedBefore + 1);
    assertNothingSecretLogged(t, lines);

    const sentBefore = await deliveries('sent');
    await smsSenderFor(smsConfig(webhookSmsSection(url, { more: `    ca_file: ${tls.certificateFile}\n` })), 'UTC', capturingLogger().logger).sendCode(NUMBER, { code: CODE, expiresAt: EXPIRES });
    t.is(bodies.length, 1);
    t.is((JSON.parse(bodies[0]!) as { to: string }).to, NUMBER);
    t.is(await deliveries('sent'), sentBefore + 1);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
