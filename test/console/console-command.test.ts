import { readFileSync } from 'node:fs';
import test from 'ava';
import { runCli } from '../support/cli.js';
import { ConsoleClient, consoleCertificate, consoleSection } from '../support/console.js';
import { SECRET_ENV } from '../support/config.js';
import { RADGATE_BIN, REPO_ROOT } from '../support/paths.js';
import { patient } from '../support/patience.js';
import { startServerProcess } from '../support/processes.js';
import { startStack, type Stack } from '../support/stack.js';

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
  const configPath = stack.configPath;
  let port: number | undefined;
  let listening: (() => void) | undefined;
  const started = new Promise<void>((resolve) => (listening = resolve));
  const server = startServerProcess(process.execPath, [RADGATE_BIN, 'console', '--config', configPath], {
    env: { ...process.env, ...SECRET_ENV },
    cwd: REPO_ROOT,
    onLine: (line) => {
      const match = /"port":(\d+),"msg":"listening for the helpdesk console \(HTTPS\)"/.exec(line);
      if (match !== null) {
        port = Number(match[1]);
        listening?.();
      }
    },
  });
  const timer = setTimeout(() => void server.stop('SIGKILL'), patient(10_000));
  await Promise.race([started, server.exited]);
  clearTimeout(timer);
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
