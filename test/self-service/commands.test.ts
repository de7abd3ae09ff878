import test from 'ava';
import { runCli } from '../../harness/cli.js';
import { consoleCertificate } from '../../harness/console.js';
import { SECRET_ENV } from '../../harness/config.js';
import { REPO_ROOT } from '../../harness/paths.js';
import { selfServiceSection } from '../../harness/self-service.js';
import { TestSmsGateway, webhookSmsSection } from '../../harness/sms-gateway.js';
import { startStack, type Stack } from '../../harness/stack.js';
import { startWebCommand } from '../../harness/web-command.js';
import { WebClient } from '../../harness/web-client.js';

// `radgate serve` runs the self-service pages beside the gateway when configured, and
// `radgate self-service` runs them alone (a DMZ host), over the same store and key.

let stack: Stack;
let sms: TestSmsGateway;
let certificate: string;

test.before(async () => {
  sms = await TestSmsGateway.start();
  const tls = consoleCertificate();
  certificate = tls.certificate;
  stack = await startStack({ extra: `${webhookSmsSection(sms.url)}${selfServiceSection(tls)}` });
});

test.after.always(async () => {
  await stack?.close();
  await sms?.close();
});

test('radgate serve starts the self-service pages and says where', async (t) => {
  const serve = await stack.startServe();
  t.truthy(serve.selfServicePort, serve.lines.join('\n'));
  const start = await new WebClient(serve.selfServicePort!, certificate).get('/');
  t.is(start.status, 200);
  t.regex(start.body, /Request a code by SMS/);
  t.true(serve.lines.some((line) => line.includes('"msg":"ready"') && line.includes(`"self_service":${serve.selfServicePort}`)));
});

test('radgate self-service serves the pages on its own and stops cleanly on SIGTERM', async (t) => {
  const { server, port } = await startWebCommand('self-service', stack.configPath, 'self-service');
  t.truthy(port, server.output().join('\n'));
  const page = await new WebClient(port!, certificate).get('/code');
  t.is(page.status, 200);
  t.regex(page.body, /User name/);
  t.is(await server.stop('SIGTERM'), 0);
});

test('radgate self-service without a self_service section is refused with a message', async (t) => {
  const result = await runCli(['self-service', '--config', `${REPO_ROOT}config/quickstart.yaml`], { env: SECRET_ENV });
  t.is(result.exitCode, 1);
  t.regex(result.stderr, /no self_service section/);
});
