import test from 'ava';
import type { CliResult } from '../../harness/cli.js';
import { DEFAULT_POLICY } from '../../harness/config.js';
import { loginOnce } from '../../harness/nas.js';
import { totpAt } from '../../harness/otp.js';
import { storedState } from '../../harness/redis.js';
import { OPERATOR, startStack, type Stack } from '../../harness/stack.js';
import { PacketCode } from '../../src/protocol/index.js';

// SPEC "Resolving a password": one canonical user name everywhere. The CLI (as a
// subprocess) applies NFC, strip_realm and fold_case exactly as the gateway does, so what
// the helpdesk types and what the NAS sends meet; a real gateway and redis-server check it.

let stack: Stack;
let port: number;

test.before(async () => {
  stack = await startStack({ policy: `${DEFAULT_POLICY}  fold_case: true\n  strip_realm: true\n` });
  port = (await stack.startGateway()).server.addresses()[0]!.port;
});

test.after.always(async () => {
  await stack.close();
});

const login = (user: string, password: string): Promise<number | undefined> => loginOnce(port, user, password);

/** The user's enrolment URI, from `token assign --json`. */
async function assignToken(user: string): Promise<string> {
  const assigned = await stack.cli('token', 'assign', user, '--json');
  if (assigned.exitCode !== 0) throw new Error(assigned.stderr);
  return (JSON.parse(assigned.stdout) as { uri: string }).uri;
}

/** Every key and value but the per-request outcomes, which expire by themselves (reply-cache lifetime). */
async function storedNames(): Promise<string[]> {
  return stack.admin.store.redis.zrange(stack.admin.store.keys.users(), 0, -1);
}

function refusedAsUsage(t: { is(a: unknown, b: unknown, message?: string): void; regex(a: string, b: RegExp): void }, result: CliResult): void {
  t.is(result.exitCode, 2, result.stderr);
  t.regex(result.stderr, /starts or ends with white space/);
  t.is(result.stdout, '');
}

test.serial('user add GREG with fold_case stores greg, who logs in as greg and as GREG', async (t) => {
  const added = await stack.cli('user', 'add', 'GREG', '--pin', '4821');
  t.is(added.exitCode, 0, added.stderr);
  t.is(added.stdout, 'added greg with a PIN\n');
  t.true((await storedNames()).includes('greg'));
  t.false((await storedNames()).includes('GREG'));
  const uri = await assignToken('GREG');
  t.is(await login('greg', `4821${totpAt(uri, stack.clock.now, -1)}`), PacketCode.AccessAccept);
  t.is(await login('GREG', `4821${totpAt(uri, stack.clock.now)}`), PacketCode.AccessAccept);
  t.regex((await stack.cli('user', 'show', 'Greg')).stdout, /^user: +greg$/m);
});

test.serial('Carol, then carol: the second is refused as existing; both spellings reach the one user', async (t) => {
  t.is((await stack.cli('user', 'add', 'Carol', '--pin', '2468')).exitCode, 0);
  const before = await storedState(stack.redis);
  const again = await stack.cli('user', 'add', 'carol', '--pin', '1357');
  t.is(again.exitCode, 1);
  t.regex(again.stderr, /a user named "carol" already exists/);
  t.deepEqual(await storedState(stack.redis), before, 'nothing written');
  t.is((await stack.cli('user', 'disable', 'CAROL')).exitCode, 0);
  t.is((JSON.parse((await stack.cli('user', 'show', 'carol', '--json')).stdout) as { status: string }).status, 'disabled');
  t.deepEqual((await storedNames()).filter((name) => name.toLowerCase() === 'carol'), ['carol']);
});

test.serial('a decomposed (NFD) name is stored composed and logs in with the composed (NFC) form', async (t) => {
  const decomposed = 'rene\u0301';
  const composed = 'ren\u00e9';
  t.not(decomposed, composed);
  t.is((await stack.cli('user', 'add', decomposed, '--pin', '9753')).exitCode, 0);
  t.true((await storedNames()).includes(composed));
  t.false((await storedNames()).includes(decomposed));
  const uri = await assignToken(composed);
  t.is(await login(composed, `9753${totpAt(uri, stack.clock.now, -1)}`), PacketCode.AccessAccept, 'the NAS sends NFC');
  t.is(await login(decomposed, `9753${totpAt(uri, stack.clock.now)}`), PacketCode.AccessAccept, 'the NAS sends NFD: the gateway normalises too');
});

test.serial('white space around a name is a usage error (exit 2) for every command, and nothing is written', async (t) => {
  const before = await storedState(stack.redis);
  refusedAsUsage(t, await stack.cli('user', 'add', 'dave ', '--pin', '1234'));
  refusedAsUsage(t, await stack.cli('user', 'add', ' dave'));
  refusedAsUsage(t, await stack.cli('user', 'add', '\tdave'));
  refusedAsUsage(t, await stack.cli('user', 'show', 'greg\u00a0'));
  refusedAsUsage(t, await stack.cli('code', 'issue', ' greg', '--kind', 'emergency-passcode'));
  refusedAsUsage(t, await stack.cli('token', 'lost', 'greg '));
  refusedAsUsage(t, await stack.cli('authcode', 'respond', 'greg ', '7KAC-3EWX'));
  t.deepEqual(await storedState(stack.redis), before);
});

test.serial('strip_realm: alice@corp and CORP\\alice in CLI commands are alice, as at the gateway', async (t) => {
  const added = await stack.cli('user', 'add', 'alice@corp', '--pin', '5555');
  t.is(added.exitCode, 0, added.stderr);
  t.true((await storedNames()).includes('alice'));
  const uri = await assignToken('CORP\\Alice');
  const issued = await stack.cli('code', 'issue', 'Alice@Corp.Example', '--kind', 'emergency-passcode', '--json');
  t.is(issued.exitCode, 0, issued.stderr);
  const [code] = (JSON.parse(issued.stdout) as { codes: { id: string; code: string }[] }).codes;
  t.is(await login('alice@corp', code!.code), PacketCode.AccessAccept, 'the passcode issued under alice@corp.example');
  t.is(await login('CORP\\alice', `5555${totpAt(uri, stack.clock.now)}`), PacketCode.AccessAccept);
  const listed = JSON.parse((await stack.cli('code', 'list', 'alice@elsewhere', '--json')).stdout) as { codes: { id: string }[] };
  t.deepEqual(listed.codes.map((c) => c.id), [code!.id]);
  t.is((await stack.cli('user', 'set', 'ALICE@corp', '--challenge', 'off')).exitCode, 0);
  t.like(JSON.parse((await stack.cli('user', 'show', 'corp\\alice', '--json')).stdout), { name: 'alice', challenge: 'off' });
});

test.serial('doctor lists stored names that are not canonical, and what they would be, without changing them', async (t) => {
  // Records an older radgate, or radgate before fold_case / strip_realm were turned on, stored.
  for (const name of ['Dora', 'CAROL', 'erin@corp', 'zoe\u0308']) await stack.admin.service.addUser(name, undefined, OPERATOR);
  const before = await storedState(stack.redis);
  const doctor = await stack.cli('doctor', '--json');
  t.is(doctor.exitCode, 0, doctor.stdout);
  const check = (JSON.parse(doctor.stdout) as { checks: { check: string; status: string; names?: unknown }[] }).checks.find((c) => c.check === 'user names');
  t.is(check?.status, 'warn');
  // In the order user list shows them: by creation time, then by name.
  t.deepEqual(check?.names, [
    { stored: 'CAROL', canonical: 'carol', taken: true },
    { stored: 'Dora', canonical: 'dora', taken: false },
    { stored: 'erin@corp', canonical: 'erin', taken: false },
    { stored: 'zoe\u0308', canonical: 'zo\u00eb', taken: false },
  ]);
  const human = await stack.cli('doctor');
  t.regex(
    human.stdout,
    /^WARN {2}user names: 4 stored names are not canonical under NFC, strip_realm, fold_case, so no login finds them: "CAROL" → "carol" \(taken by another user\), "Dora" → "dora", "erin@corp" → "erin", "zoe\u0308" → "zo\u00eb"\. Nothing was changed/m,
  );
  t.deepEqual(await storedState(stack.redis), before, 'doctor changed nothing');

  // The way out it names: the stored record, taken as stored.
  t.is((await stack.cli('user', 'show', 'Dora')).exitCode, 1, 'Dora is dora to the CLI, and dora does not exist');
  const deleted = await stack.cli('user', 'delete', 'Dora', '--as-stored', '--yes');
  t.is(deleted.exitCode, 0, deleted.stderr);
  t.false((await storedNames()).includes('Dora'));
  t.true((await storedNames()).includes('carol'), 'the canonical carol is untouched');
});

test.serial('doctor: every stored name canonical is ok', async (t) => {
  for (const name of ['CAROL', 'erin@corp', 'zoe\u0308']) t.is((await stack.cli('user', 'delete', name, '--as-stored', '--yes')).exitCode, 0, name);
  const checks = (JSON.parse((await stack.cli('doctor', '--json')).stdout) as { checks: { check: string; status: string; detail: string }[] }).checks;
  t.like(checks.find((c) => c.check === 'user names'), { status: 'ok', detail: 'every stored name is canonical (NFC, strip_realm, fold_case)' });
});
