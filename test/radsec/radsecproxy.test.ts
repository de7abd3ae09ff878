import test from 'ava';
import type { Gateway } from '../../src/serve/gateway.js';
import { CHALLENGE } from '../../harness/challenge-harness.js';
import { deriveOfflineAuthcode } from '../../src/credentials/offline-authcode.js';
import { totpAt } from '../../harness/otp.js';
import { radclient } from '../../harness/radclient.js';
import { makeRadsecFiles, radsecSection, startRadsecproxy, type Radsecproxy } from '../../harness/radsec.js';
import { startStack, type Stack } from '../../harness/stack.js';
import { addUserWithToken, issue } from '../../harness/users.js';

// The real peer the issue asks for: radsecproxy 1.9.2 (Debian 12) takes RADIUS/UDP from
// radclient and speaks RADIUS/TLS to radgate with certificates made by `radgate certs`.
// The policy behind the TLS listener is the same as behind UDP: PIN + tokencode, an
// emergency passcode, the challenge flow, and a wrong password rejected.

let stack: Stack;
let gateway: Gateway;
let proxy: Radsecproxy;

test.before(async () => {
  const files = await makeRadsecFiles();
  stack = await startStack({ extra: `${CHALLENGE(false)}${radsecSection(files)}` });
  gateway = await stack.startGateway();
  proxy = await startRadsecproxy(files, gateway.radsec!.addresses()[0]!.port);
});

test.after.always(async () => {
  await proxy?.stop();
  await stack?.close();
});

const server = (): string => `127.0.0.1:${proxy.udpPort}`;
const login = (user: string, password: string, extra = ''): Promise<{ exitCode: number; output: string }> =>
  radclient(server(), 'auth', `User-Name = "${user}", User-Password = "${password}", Message-Authenticator = 0x00${extra}\n`, proxy.secret);

test.serial('PIN + tokencode through radsecproxy → Access-Accept; the decision is logged for client proxy1', async (t) => {
  const uri = await addUserWithToken(stack.admin, 'alice', '1357');
  const result = await login('alice', `1357${totpAt(uri, stack.clock.now)}`);
  t.is(result.exitCode, 0, result.output);
  t.regex(result.output, /Received Access-Accept/);
  t.true(stack.lines.some((line) => line.includes('"client":"proxy1"') && line.includes('"result":"accept"')));
  t.true(gateway.radsec!.counters.get('handshakes', 'ok') >= 1);
});

test.serial('an emergency passcode → Access-Accept; a wrong password → Access-Reject', async (t) => {
  await addUserWithToken(stack.admin, 'bob', '2468');
  const [code] = await issue(stack.admin, 'bob', { kind: 'emergency-passcode', uses: 1 });
  const accepted = await login('bob', code!.code);
  t.is(accepted.exitCode, 0, accepted.output);
  const rejected = await login('bob', '2468000000');
  t.is(rejected.exitCode, 1);
  t.regex(rejected.output, /Received Access-Reject/);
});

test.serial('the challenge flow completes over RadSec: PIN → Access-Challenge, authorization code with State → Access-Accept', async (t) => {
  await addUserWithToken(stack.admin, 'carol', '8642');
  const challenge = await login('carol', '8642');
  t.regex(challenge.output, /Received Access-Challenge/, challenge.output);
  const state = /State = (0x[0-9a-f]+)/.exec(challenge.output)![1]!;
  const requestCode = /request code ([Z3467ACEFHJKRWXY]{4}-[Z3467ACEFHJKRWXY]{4})/.exec(challenge.output)![1]!.replace('-', '');
  const answer = deriveOfflineAuthcode(stack.admin.keyring, 'carol', requestCode, '1d');
  const accepted = await login('carol', answer, `, State = ${state}`);
  t.is(accepted.exitCode, 0, accepted.output);
  t.regex(accepted.output, /Received Access-Accept/);
});

test.serial('requests over TLS are counted by transport: radsec', async (t) => {
  const before = gateway.radsec!.counters.get('received');
  await login('nobody', 'x');
  t.true(gateway.radsec!.counters.get('received') > before);
});
