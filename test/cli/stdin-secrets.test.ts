import test from 'ava';
import { assertUsageError, runCli, type CliResult } from '../../harness/cli.js';
import { SECRET_ENV } from '../../harness/config.js';
import { TEST_SECRET } from '../../harness/packets.js';
import { storedState } from '../../harness/redis.js';
import { startStackWithGateway, type Stack } from '../../harness/stack.js';

// A PIN, password or secret given as `-` is read from standard input (README "CLI"), so it
// stays out of `ps` and shell history. The CLI runs as a subprocess with a real stdin, and
// the gateway then checks what it stored.

let stack: Stack;
let server: string;

test.before(async () => {
  ({ stack, server } = await startStackWithGateway());
});

test.after.always(async () => {
  await stack.close();
});

const cli = (input: string, ...args: string[]): Promise<CliResult> =>
  runCli([...args, '--config', stack.configPath, '--operator', 'helpdesk-1'], { env: SECRET_ENV, input });


/** An emergency tokencode for the user, typed after the PIN: a login that proves the PIN. */
async function emergencyTokencode(user: string): Promise<string> {
  const issued = await cli('', 'code', 'issue', user, '--kind', 'emergency-tokencode', '--json');
  if (issued.exitCode !== 0) throw new Error(issued.stderr);
  return (JSON.parse(issued.stdout) as { codes: { code: string }[] }).codes[0]!.code;
}

test.serial('user add --pin - and user set-pin USER -: the PIN from stdin is the one the gateway accepts', async (t) => {
  const added = await cli('482913\n', 'user', 'add', 'alice', '--pin', '-');
  t.is(added.exitCode, 0, added.stderr);
  t.regex(added.stdout, /added alice with a PIN/);
  t.is((await cli('', 'token', 'assign', 'alice')).exitCode, 0);
  const code = await emergencyTokencode('alice');

  // The password for `radgate test` comes from stdin too: `-` as a positional.
  const first = await cli(`482913${code}\n`, 'test', 'alice', '-', '--server', server);
  t.is(first.exitCode, 0, first.stderr);
  t.regex(first.stdout, /^Access-Accept from /);

  const set = await cli('13579\n', 'user', 'set-pin', 'alice', '-');
  t.is(set.exitCode, 0, set.stderr);
  t.is(set.stdout, 'PIN set for alice\n');
  const withNewPin = await cli(`13579${code}\n`, 'test', 'alice', '-', '--server', server);
  t.is(withNewPin.exitCode, 0, withNewPin.stderr);
  t.regex(withNewPin.stdout, /^Access-Accept from /);
  const withOldPin = await cli(`482913${code}\n`, 'test', 'alice', '-', '--server', server, '--json');
  t.is(withOldPin.exitCode, 1);
  t.is((JSON.parse(withOldPin.stdout) as { code: string }).code, 'Access-Reject');
});

test.serial('a CRLF line ending is not part of the PIN; only the first line is read', async (t) => {
  const set = await cli('24680\r\nignored\n', 'user', 'set-pin', 'alice', '-');
  t.is(set.exitCode, 0, set.stderr);
  const code = await emergencyTokencode('alice');
  t.is((await cli(`24680${code}\n`, 'test', 'alice', '-', '--server', server)).exitCode, 0);
});

test.serial('radgate test --secret - reads the shared secret from stdin', async (t) => {
  const code = await emergencyTokencode('alice');
  const result = await cli(`${TEST_SECRET.toString()}\n`, 'test', 'alice', `24680${code}`, '--server', server, '--secret', '-');
  t.is(result.exitCode, 0, result.stderr);
  t.regex(result.stdout, /^Access-Accept from /);
});

test.serial('token assign --secret - reads the base32 secret of a hardware token from stdin', async (t) => {
  t.is((await cli('', 'user', 'add', 'hana')).exitCode, 0);
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  const assigned = await cli(`${secret}\n`, 'token', 'assign', 'hana', '--secret', '-', '--json');
  t.is(assigned.exitCode, 0, assigned.stderr);
  t.true((JSON.parse(assigned.stdout) as { uri: string }).uri.includes(`secret=${secret}&`));
});

const usage: [string, string, string[], RegExp][] = [
  ['an empty stdin for user set-pin USER -', '', ['user', 'set-pin', 'alice', '-'], /- means: read the PIN from standard input, and it held none/],
  ['an empty first line for user add --pin -', '\n1234\n', ['user', 'add', 'ivan', '--pin', '-'], /- means: read the PIN from standard input, and it held none/],
  ['an empty stdin for radgate test USER -', '', ['test', 'alice', '-', '--server', '127.0.0.1:9'], /- means: read the password from standard input/],
  ['two arguments read from stdin', '1234\nsecret\n', ['test', 'alice', '-', '--secret', '-', '--server', '127.0.0.1:9'], /only one argument can be - \(standard input\)/],
];

for (const [name, input, args, message] of usage) {
  test.serial(`usage error, nothing written: ${name}`, async (t) => {
    const before = await storedState(stack.redis);
    const result = await cli(input, ...args);
    assertUsageError(t, result, message);
    t.is(await storedState(stack.redis), before);
  });
}

test.serial('a PIN from stdin that breaks the policy is refused without being echoed', async (t) => {
  const before = await storedState(stack.redis);
  const result = await cli('9753x1\n', 'user', 'set-pin', 'alice', '-');
  t.is(result.exitCode, 1);
  t.regex(result.stderr, /a PIN may contain digits only/);
  t.false(result.stderr.includes('9753x1'));
  t.is(await storedState(stack.redis), before);
});
