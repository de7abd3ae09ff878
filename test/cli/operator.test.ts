import test from 'ava';
import { verifyOperatorPassword } from '../../src/credentials/operator-password.js';
import { runCli } from '../../harness/cli.js';
import { SECRET_ENV } from '../../harness/config.js';
import { withConnection } from '../../harness/redis.js';
import { startStack, type Stack } from '../../harness/stack.js';

// `radgate operator`, as an admin runs it: accounts for the helpdesk console, each action
// audited, a generated password shown once and stored only as its scrypt hash.

let stack: Stack;

test.before(async () => {
  stack = await startStack();
});

test.after.always(async () => {
  await stack.close();
});

test.serial('add with a generated password, list, set-role, reset-password, reset-totp, unlock, remove', async (t) => {
  const added = await stack.cli('operator', 'add', 'erin', '--role', 'helpdesk', '--reason', 'INC-1 new hire');
  t.is(added.exitCode, 0, added.stderr);
  const password = /password: (\S+)/.exec(added.stdout)![1]!;
  t.true(password.length >= 20);
  const stored = await withConnection(stack.redis, (client) => client.hgetall(`${stack.config.redis.keyPrefix}operator:{erin}`));
  t.regex(stored.password!, /^scrypt\$15\$8\$1\$/);
  t.false(JSON.stringify(stored).includes(password), 'only the hash is stored');
  t.true(await verifyOperatorPassword(password, stored.password));

  const listed = JSON.parse((await stack.cli('operator', 'list', '--json')).stdout) as { operators: { name: string; role: string; totp: string; signIn: string }[] };
  t.like(listed.operators.find((view) => view.name === 'erin'), { role: 'helpdesk', totp: 'not enrolled', signIn: 'password' });
  t.false(JSON.stringify(listed).includes(stored.password!), 'never a hash in a listing');

  t.is((await stack.cli('operator', 'set-role', 'erin', '--role', 'auditor')).exitCode, 0);
  t.is((await stack.admin.operators.find('erin'))!.role, 'auditor');
  const reset = await stack.cli('operator', 'reset-password', 'erin', '--json');
  t.not((JSON.parse(reset.stdout) as { password: string }).password, password);
  for (const action of ['reset-totp', 'unlock', 'remove']) t.is((await stack.cli('operator', action, 'erin')).exitCode, 0, action);
  t.is(await stack.admin.operators.find('erin'), undefined);

  const audit = await stack.admin.audit.query({ user: undefined, sinceMs: 0, kinds: new Set(['admin']), limit: 20, operator: 'test-helpdesk' });
  const actions = audit.map((entry) => (entry.kind === 'login' ? '' : entry.event)).filter((event) => event.startsWith('operator.')).reverse();
  t.deepEqual(actions, ['operator.add', 'operator.set-role', 'operator.reset-password', 'operator.reset-totp', 'operator.unlock', 'operator.remove']);
});

test('a password from standard input, a short password refused, a taken name, an unknown one', async (t) => {
  const fromStdin = await runCli(['operator', 'add', 'frank', '--role', 'admin', '--password', '-', '--config', stack.configPath], { env: SECRET_ENV, input: 'a long enough password\n' });
  t.is(fromStdin.exitCode, 0, fromStdin.stderr);
  t.false(fromStdin.stdout.includes('a long enough password'), 'a password given is not printed back');
  const short = await stack.cli('operator', 'add', 'gina', '--role', 'admin', '--password', 'short');
  t.is(short.exitCode, 1);
  t.regex(short.stderr, /at least 12 characters/);
  t.regex((await stack.cli('operator', 'add', 'frank', '--role', 'admin')).stderr, /already exists/);
  t.regex((await stack.cli('operator', 'unlock', 'nobody')).stderr, /no console operator named "nobody"/);
  t.is((await stack.cli('operator', 'add', 'bad name', '--role', 'admin')).exitCode, 1);
});

test('an operator record written to Redis without the key file is not an operator', async (t) => {
  await stack.admin.operators.add('henry', 'helpdesk', { password: 'a long enough password' }, { operator: 'test', reason: undefined });
  await withConnection(stack.redis, (client) => client.hset(`${stack.config.redis.keyPrefix}operator:{henry}`, 'role', 'admin'));
  t.is(await stack.admin.operators.find('henry'), undefined, 'the seal no longer matches');
});
