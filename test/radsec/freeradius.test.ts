import test from 'ava';
import type { Gateway } from '../../src/serve/gateway.js';
import { CHALLENGE } from '../../harness/challenge-harness.js';
import { deriveOfflineAuthcode } from '../../src/credentials/offline-authcode.js';
import { startFreeradiusRadsecClient, type FreeradiusRadsecClient, type RadsecCredential } from '../../harness/freeradius-radsec.js';
import { totpAt } from '../../harness/otp.js';
import { patient } from '../../harness/patience.js';
import { radclient } from '../../harness/radclient.js';
import { makeRadsecFiles, radsecSection } from '../../harness/radsec.js';
import { startStack, type Stack } from '../../harness/stack.js';
import { until } from '../../harness/until.js';
import { addUserWithToken, issue } from '../../harness/users.js';

// The second real RadSec peer of the issue: FreeRADIUS 3.2.1 (Debian 12) as a proxy whose
// home server is radgate over TLS with `proxy1`'s certificate made by `radgate certs`.
// radclient speaks UDP to FreeRADIUS; the policy behind the TLS listener answers as it does
// behind UDP. TLS-PSK was asked for too, but FreeRADIUS 3.2.1 cannot be a TLS-PSK client:
// the parser of a home server's `tls` section does not know psk_identity/psk_hexphrase (they
// are missing from `freeradius -X`'s dump of it), so no PSK client callback is set and
// OpenSSL drops every PSK suite ("no ciphers available"). The last test proves that with
// FreeRADIUS's own error, so that a FreeRADIUS that can is noticed (README, "RadSec").

let stack: Stack;
let gateway: Gateway;
const peers = new Map<RadsecCredential, FreeradiusRadsecClient>();

test.before(async () => {
  const files = await makeRadsecFiles();
  stack = await startStack({ extra: `${CHALLENGE(false)}${radsecSection(files)}` });
  gateway = await stack.startGateway();
  const port = gateway.radsec!.addresses()[0]!.port;
  const [certificate, psk] = await Promise.all([startFreeradiusRadsecClient(files, port, 'certificate'), startFreeradiusRadsecClient(files, port, 'psk')]);
  peers.set('certificate', certificate).set('psk', psk);
});

test.after.always(async () => {
  await Promise.all([...peers.values()].map((peer) => peer.stop()));
  await stack?.close();
});

const CLIENT_NAME: Record<RadsecCredential, string> = { certificate: 'proxy1', psk: 'fr-psk' };

function login(credential: RadsecCredential, user: string, password: string, extra = ''): Promise<{ exitCode: number; output: string }> {
  const peer = peers.get(credential)!;
  return radclient(`127.0.0.1:${peer.udpPort}`, 'auth', `User-Name = "${user}", User-Password = "${password}", Message-Authenticator = 0x00${extra}\n`, peer.secret);
}

{
  const credential = 'certificate' as const;
  const tag = 'cert';

  test.serial(`${credential}: PIN + tokencode through FreeRADIUS → Access-Accept, logged for client ${CLIENT_NAME[credential]}`, async (t) => {
    const uri = await addUserWithToken(stack.admin, `alice-${tag}`, '1357');
    const result = await login(credential, `alice-${tag}`, `1357${totpAt(uri, stack.clock.now)}`);
    t.is(result.exitCode, 0, `${result.output}\n${peers.get(credential)!.process.output().join('\n')}`);
    t.regex(result.output, /Received Access-Accept/);
    t.true(stack.lines.some((line) => line.includes(`"client":"${CLIENT_NAME[credential]}"`) && line.includes(`"user":"alice-${tag}"`) && line.includes('"result":"accept"')));
  });

  test.serial(`${credential}: an emergency passcode → Access-Accept; a wrong password → Access-Reject`, async (t) => {
    await addUserWithToken(stack.admin, `bob-${tag}`, '2468');
    const [code] = await issue(stack.admin, `bob-${tag}`, { kind: 'emergency-passcode', uses: 1 });
    const accepted = await login(credential, `bob-${tag}`, code!.code);
    t.is(accepted.exitCode, 0, accepted.output);
    const rejected = await login(credential, `bob-${tag}`, '2468000000');
    t.is(rejected.exitCode, 1);
    t.regex(rejected.output, /Received Access-Reject/);
  });

  test.serial(`${credential}: the challenge flow completes through FreeRADIUS: PIN → Access-Challenge, authorization code with State → Access-Accept`, async (t) => {
    await addUserWithToken(stack.admin, `carol-${tag}`, '8642');
    const challenge = await login(credential, `carol-${tag}`, '8642');
    t.regex(challenge.output, /Received Access-Challenge/, challenge.output);
    const state = /State = (0x[0-9a-f]+)/.exec(challenge.output)![1]!;
    const requestCode = /request code ([Z3467ACEFHJKRWXY]{4}-[Z3467ACEFHJKRWXY]{4})/.exec(challenge.output)![1]!.replace('-', '');
    const answer = deriveOfflineAuthcode(stack.admin.keyring, `carol-${tag}`, requestCode, '1d');
    const accepted = await login(credential, `carol-${tag}`, answer, `, State = ${state}`);
    t.is(accepted.exitCode, 0, accepted.output);
    t.regex(accepted.output, /Received Access-Accept/);
  });
}

test.serial('psk: FreeRADIUS 3.2.1 cannot be a TLS-PSK client: with psk_identity and only PSK suites, it has no cipher to offer', async (t) => {
  const result = await login('psk', 'alice-cert', 'x');
  t.is(result.exitCode, 1);
  const peer = peers.get('psk')!;
  // The rejection is FreeRADIUS's own, after its TLS client refused to start the handshake
  // (its log line may reach us just after radclient's answer).
  await until('FreeRADIUS logs why its TLS client failed', patient(2000), () => peer.process.output().some((line) => line.includes('no ciphers available')));
  t.pass();
  t.false(stack.lines.some((line) => line.includes('"client":"fr-psk"')));
});
