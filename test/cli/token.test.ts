import test from 'ava';
import { runCli, type CliResult } from '../../harness/cli.js';
import { SECRET_ENV } from '../../harness/config.js';
import { totpAt } from '../../harness/otp.js';
import { TEST_SECRET } from '../../harness/packets.js';
import { radclient } from '../../harness/radclient.js';
import { storedState } from '../../harness/redis.js';
import { startStackWithGateway, type Stack } from '../../harness/stack.js';

// A token is replaced only when the helpdesk says so, and the audit names the one replaced;
// `token found` on a token that is not lost changes nothing. The CLI runs as a subprocess
// against a real redis-server, and a real radclient logs in through the gateway.

let stack: Stack;
let server: string;

test.before(async () => {
  ({ stack, server } = await startStackWithGateway());
});

test.after.always(async () => {
  await stack.close();
});

const cli = (...args: string[]): Promise<CliResult> => runCli([...args, '--config', stack.configPath, '--operator', 'helpdesk-1'], { env: SECRET_ENV });


/** radclient's exit code: 0 for Access-Accept. */
async function login(user: string, password: string): Promise<number> {
  return (await radclient(server, 'auth', `User-Name = "${user}", User-Password = "${password}", Message-Authenticator = 0x00\n`, TEST_SECRET)).exitCode;
}

/** alice's token as the first test assigned it. */
let first: { serial: string; uri: string };

const lastAudit = async (): Promise<Record<string, string>> => (await stack.admin.store.repository.recentAudit(1))[0]!;

test.serial('token assign on a user with a token is refused and asks for --replace; nothing changes', async (t) => {
  t.is((await cli('user', 'add', 'alice', '--pin', '4821')).exitCode, 0);
  const assigned = await cli('token', 'assign', 'alice', '--json');
  t.is(assigned.exitCode, 0, assigned.stderr);
  first = JSON.parse(assigned.stdout) as { serial: string; uri: string };
  const { serial, uri } = first;
  t.false('replaced' in first, 'nothing replaced the first time');

  const before = await storedState(stack.redis);
  const again = await cli('token', 'assign', 'alice');
  t.is(again.exitCode, 1);
  t.is(again.stderr, `radgate: alice already has token ${serial}: replace it with radgate token assign alice --replace\n`);
  t.is(again.stdout, '');
  t.is(await storedState(stack.redis), before, 'no new token, no audit record');
  t.is(await login('alice', `4821${totpAt(uri, stack.clock.now)}`), 0, 'the token alice has still works');
});

test.serial('token assign --replace replaces it: the old tokencodes stop working, the audit names the serial replaced', async (t) => {
  const { serial: old, uri: oldUri } = first;
  const replaced = await cli('token', 'assign', 'alice', '--replace', '--reason', 'INC-7 phone lost', '--json');
  t.is(replaced.exitCode, 0, replaced.stderr);
  const { serial, uri, replaced: was } = JSON.parse(replaced.stdout) as { serial: string; uri: string; replaced: string };
  t.is(was, old);
  t.not(serial, old);
  t.like(await lastAudit(), { action: 'token.assign', user: 'alice', operator: 'helpdesk-1', reason: 'INC-7 phone lost', serial, replaced: old });
  t.is(await login('alice', `4821${totpAt(oldUri, stack.clock.now, 1)}`), 1, "the replaced token's tokencode is refused");
  t.is(await login('alice', `4821${totpAt(uri, stack.clock.now, 1)}`), 0, 'the new one is accepted');

  const human = await cli('token', 'assign', 'alice', '--replace');
  t.is(human.exitCode, 0, human.stderr);
  t.regex(human.stdout, new RegExp(`^assigned TOTP token [0-9A-F]{10} to alice, replacing token ${serial}$`, 'm'));
});

test.serial('token found on a token that is not lost says so and changes nothing', async (t) => {
  for (const state of ['active', 'disabled'] as const) {
    if (state === 'disabled') t.is((await cli('token', 'disable', 'alice')).exitCode, 0);
    const { token } = await stack.admin.service.showUser('alice');
    const before = await storedState(stack.redis);
    const found = await cli('token', 'found', 'alice');
    t.is(found.exitCode, 1, state);
    t.is(found.stderr, `radgate: alice's token ${token!.serial} is not lost (it is ${state}): nothing to do\n`);
    t.is(found.stdout, '');
    t.is(await storedState(stack.redis), before, `${state}: the record is unchanged and no audit record was written`);
  }
});

test.serial('token found on a lost token ends the lost state, audited', async (t) => {
  t.is((await cli('token', 'enable', 'alice')).exitCode, 0);
  t.is((await cli('token', 'lost', 'alice')).exitCode, 0);
  const found = await cli('token', 'found', 'alice', '--reason', 'in the car');
  t.is(found.exitCode, 0, found.stderr);
  t.is(found.stdout, "alice's token marked found\n");
  t.like(await lastAudit(), { action: 'token.found', user: 'alice', reason: 'in the car' });
  t.is((await stack.admin.service.showUser('alice')).token?.state, 'active');
});
