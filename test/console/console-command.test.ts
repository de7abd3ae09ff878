import { readFileSync } from 'node:fs';
import test from 'ava';
import { runCli } from '../../harness/cli.js';
import { ConsoleClient, consoleCertificate, consoleSection } from '../../harness/console.js';
import { SECRET_ENV } from '../../harness/config.js';
import { REPO_ROOT } from '../../harness/paths.js';
import { startStack, type Stack } from '../../harness/stack.js';
import { startWebCommand } from '../../harness/web-command.js';

// `radgate console`: the console alone, for a host that answers no RADIUS, over the same
// store and key as the gateways; refused with a message when the config has no console.

let stack: Stack;

test.before(async () => {
  const tls = consoleCertificate();
  stack = await startStack({ extra: consoleSection(tls) });
});

test.after.always(async () => {
  await stack?.close();
});

test('radgate console serves the sign-in page and stops cleanly on SIGTERM', async (t) => {
  const { server, port } = await startWebCommand('console', stack.configPath, 'the helpdesk console');
  t.truthy(port, server.output().join('\n'));
  const page = await new ConsoleClient(port!, readFileSync(stack.config.console!.certificateFile, 'utf8')).get('/login');
  t.is(page.status, 200);
  t.regex(page.body, /Operator name/);
  t.is(await server.stop('SIGTERM'), 0);
});

test('radgate console without a console section is refused with a message', async (t) => {
  const result = await runCli(['console', '--config', `${REPO_ROOT}config/quickstart.yaml`], { env: SECRET_ENV });
  t.is(result.exitCode, 1);
  t.regex(result.stderr, /no console section/);
});
