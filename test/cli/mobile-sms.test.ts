import test from 'ava';
import type { Gateway } from '../../src/serve/gateway.js';
import { TEST_SECRET } from '../../harness/packets.js';
import { radclient } from '../../harness/radclient.js';
import { dumpAll, keysContaining, storedState } from '../../harness/redis.js';
import { codeInSms, TestSmsGateway, webhookSmsSection } from '../../harness/sms-gateway.js';
import { OPERATOR, startStack, type Stack } from '../../harness/stack.js';
import { addUserWithToken } from '../../harness/users.js';

// Mobile numbers on the user record and `code issue --send-sms`, through the built CLI
// against a real redis-server; the SMS goes to the test's own HTTP server on loopback, and
// the code it carried is typed at a real radclient.

const NUMBER = '+4915112345678';
const MASKED = '+49•••••••••78';

let sms: TestSmsGateway;
let stack: Stack;
let gateway: Gateway;

test.before(async () => {
  sms = await TestSmsGateway.start();
  stack = await startStack({ extra: webhookSmsSection(sms.url) });
  gateway = await stack.startGateway();
});

test.after.always(async () => {
  await stack?.close();
  await sms?.close();
});

async function login(user: string, password: string): Promise<number> {
  const server = `127.0.0.1:${gateway.server.addresses()[0]!.port}`;
  return (await radclient(server, 'auth', `User-Name = "${user}", User-Password = "${password}", Message-Authenticator = 0x00\n`, TEST_SECRET)).exitCode;
}

test.serial('user set --mobile: typed with spaces and hyphens, stored sealed, shown masked everywhere, removed with none', async (t) => {
  await stack.admin.service.addUser('mona', '2468', OPERATOR);
  const set = await stack.cli('user', 'set', 'mona', '--mobile', '+49 151-1234 5678', '--reason', 'INC-7');
  t.is(set.exitCode, 0, set.stderr);
  t.is(set.stdout, `mobile number ${MASKED} set for mona\n`);

  const dump = await dumpAll(stack.redis);
  for (const digits of [NUMBER, NUMBER.slice(1), '12345678', '5112345']) t.deepEqual(keysContaining(dump, digits), [], `no ${digits.length} digits of the number in Redis`);
  t.regex(dump.get('rg:user:{mona}')!, /^mobile=[\w-]{6}\.[\w-]+$/m, 'a sealed value under the key id');

  const shown = await stack.cli('user', 'show', 'mona');
  t.regex(shown.stdout, new RegExp(`^mobile: +\\${MASKED}$`, 'm'));
  t.is((JSON.parse((await stack.cli('user', 'show', 'mona', '--json')).stdout) as { mobile: string }).mobile, MASKED);
  const [audited] = await stack.admin.audit.query({ user: 'mona', sinceMs: 0, kinds: new Set(['admin']), limit: 1 });
  t.like(audited, { kind: 'admin', event: 'user.set', reason: 'INC-7', details: { mobile: MASKED } });
  for (const output of [set.stdout + set.stderr, shown.stdout + shown.stderr, JSON.stringify(audited)]) t.false(output.includes('5112345678'));

  const removed = await stack.cli('user', 'set', 'mona', '--mobile', 'none', '--json');
  t.deepEqual(JSON.parse(removed.stdout), { user: 'mona', mobile: null });
  t.regex((await stack.cli('user', 'show', 'mona')).stdout, /^mobile: +none$/m);
  t.false('mobile' in (JSON.parse((await stack.cli('user', 'show', 'mona', '--json')).stdout) as object));
});

test.serial('code issue --send-sms: the code goes to the number on record, never to the terminal, and works once at radclient', async (t) => {
  await addUserWithToken(stack.admin, 'sam', '1357');
  await stack.admin.service.setMobile('sam', NUMBER, OPERATOR);
  const before = sms.received.length;
  const issued = await stack.cli('code', 'issue', 'sam', '--kind', 'online-authcode', '--send-sms', '--uses', '1', '--json', '--reason', 'INC-9');
  t.is(issued.exitCode, 0, issued.stderr);
  const shown = JSON.parse(issued.stdout) as Record<string, string>;
  t.deepEqual(Object.keys(shown).sort(), ['expires_at', 'id', 'kind', 'sent_to']);
  t.like(shown, { kind: 'online-authcode', sent_to: MASKED });

  const [message] = (await sms.requests(before + 1)).slice(before);
  t.is((JSON.parse(message!.body) as { to: string }).to, NUMBER);
  const code = codeInSms(message!);
  t.false(issued.stdout.includes(code) || issued.stderr.includes(code), 'the code is not printed');
  t.is(await login('sam', `1357${code}`), 0, 'PIN + the code from the SMS: Access-Accept');
  t.is(await login('sam', `1357${code}`), 1, 'single use: refused the second time');
});

test.serial('code issue --send-sms for a user without a number: refused before anything is issued', async (t) => {
  await addUserWithToken(stack.admin, 'nina', '1357');
  const before = await storedState(stack.redis);
  const result = await stack.cli('code', 'issue', 'nina', '--kind', 'online-authcode', '--send-sms');
  t.is(result.exitCode, 1);
  t.regex(result.stderr, /nina has no mobile number on record \(radgate user set nina --mobile \+…\); nothing was issued/);
  t.is(await storedState(stack.redis), before, 'no code, no audit entry');
});

test.serial('code issue --send-sms whose SMS fails: the code is revoked, the command exits 1 and says so', async (t) => {
  await addUserWithToken(stack.admin, 'otto', '1357');
  await stack.admin.service.setMobile('otto', NUMBER, OPERATOR);
  sms.answer(500);
  const result = await stack.cli('code', 'issue', 'otto', '--kind', 'online-authcode', '--send-sms');
  t.is(result.exitCode, 1);
  const revokedId = /the SMS was not sent: the gateway answered HTTP 500; code ([0-9a-f]{10}) was revoked/.exec(result.stderr)?.[1];
  t.truthy(revokedId, result.stderr);
  t.false(result.stderr.includes('5112345678'));
  const [code] = await stack.admin.service.listCodes('otto');
  t.like(code, { id: revokedId, state: 'revoked' });
  const [revocation] = await stack.admin.audit.query({ user: 'otto', sinceMs: 0, kinds: new Set(['admin']), limit: 1 });
  t.like(revocation, { event: 'code.revoke', reason: 'the SMS was not delivered', details: { ids: JSON.stringify([revokedId]) } });
});
