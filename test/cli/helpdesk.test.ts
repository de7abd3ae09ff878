import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { Gateway } from '../../src/serve/gateway.js';
import { runCli, type CliResult } from '../../harness/cli.js';
import { SECRET_ENV } from '../../harness/config.js';
import { TEST_SECRET } from '../../harness/packets.js';
import { RADGATE_BIN } from '../../harness/paths.js';
import { radclient } from '../../harness/radclient.js';
import { storedState, type TestRedis } from '../../harness/redis.js';
import { startStack, type Stack } from '../../harness/stack.js';
import { totpAt } from '../../harness/otp.js';

// The helpdesk's CLI as a subprocess (the built binary), against a real redis-server; the
// gateway then authenticates with what the CLI issued.

let stack: Stack;
let redis: TestRedis;
let configPath: string;
let gateway: Gateway;
let server: string;

test.before(async () => {
  stack = await startStack();
  redis = stack.redis;
  configPath = stack.configPath;
  gateway = await stack.startGateway();
  server = `127.0.0.1:${gateway.server.addresses()[0]!.port}`;
});

test.after.always(async () => {
  await stack.close();
});

/**
 * Every key and value except the per-request decision keys, which expire by themselves
 * (reply-cache lifetime) and would make a before/after comparison flaky.
 */

/** The global options first: a test's own --operator comes last, and an option given twice takes its last value. */
const cli = (...args: string[]): Promise<CliResult> => runCli(['--config', configPath, '--operator', 'helpdesk-1', ...args], { env: SECRET_ENV });

async function login(user: string, password: string): Promise<number> {
  const result = await radclient(server, 'auth', `User-Name = "${user}", User-Password = "${password}", Message-Authenticator = 0x00\n`, TEST_SECRET);
  return result.exitCode;
}

test.serial('add a user, assign a token, issue a code → Accept through radclient; revoke → Reject', async (t) => {
  t.is((await cli('user', 'add', 'alice', '--pin', '4821', '--reason', 'INC-1')).exitCode, 0);
  const assigned = await cli('token', 'assign', 'alice', '--json');
  t.is(assigned.exitCode, 0, assigned.stderr);
  const { serial, uri } = JSON.parse(assigned.stdout) as { serial: string; uri: string };
  t.regex(serial, /^[0-9A-F]{10}$/);
  t.regex(uri, /^otpauth:\/\/totp\/radgate:alice\?secret=[A-Z2-7]+&issuer=radgate&algorithm=SHA1&digits=6&period=30$/);
  t.is(await login('alice', `4821${totpAt(uri, stack.clock.now)}`), 0, 'PIN + tokencode from the enrolled secret');

  const issued = await cli('code', 'issue', 'alice', '--kind', 'emergency-tokencode', '--lifetime', '3d', '--json', '--reason', 'INC-2 lost token');
  t.is(issued.exitCode, 0, issued.stderr);
  const { codes } = JSON.parse(issued.stdout) as { codes: { id: string; code: string; kind: string; expires_at: string; max_uses: number | null }[] };
  t.is(codes.length, 1);
  t.like(codes[0], { kind: 'emergency-tokencode', max_uses: null });
  t.true(Math.abs(Date.parse(codes[0]!.expires_at) - (Date.now() + 3 * 86_400_000)) < 60_000);
  t.is(await login('alice', `4821${codes[0]!.code}`), 0);

  const listed = await cli('code', 'list', 'alice', '--json');
  const listedCodes = (JSON.parse(listed.stdout) as { codes: Record<string, unknown>[] }).codes;
  t.like(listedCodes[0], { id: codes[0]!.id, state: 'active', uses: 1, issuedBy: 'helpdesk-1', reason: 'INC-2 lost token' });
  t.false(listed.stdout.includes(codes[0]!.code), 'code list never shows a code');

  const revoked = await cli('code', 'revoke', 'alice', '--id', codes[0]!.id);
  t.is(revoked.exitCode, 0);
  t.regex(revoked.stdout, new RegExp(`revoked 1 code: ${codes[0]!.id}`));
  t.is(await login('alice', `4821${codes[0]!.code}`), 1);
  t.regex((await cli('code', 'list', 'alice')).stdout, /revoked/);
});

test.serial('human output: the code once, grouped; the QR code and URI for a token', async (t) => {
  await cli('user', 'add', 'bob', '--pin', '1357');
  const assigned = await cli('token', 'assign', 'bob');
  t.regex(assigned.stdout, /assigned TOTP token [0-9A-F]{10} to bob/);
  t.regex(assigned.stdout, /▄|█/, 'a QR code drawn in the terminal');
  t.regex(assigned.stdout, /otpauth:\/\/totp\//);
  const issued = await cli('code', 'issue', 'bob', '--kind', 'emergency-tokencode', '--count', '3');
  t.is(issued.exitCode, 0);
  const grouped = [...issued.stdout.matchAll(/^ {4}([Z3467ACEFHJKRWXY]{4}-[Z3467ACEFHJKRWXY]{4}) {4}id [0-9a-f]{10}$/gm)].map((match) => match[1]!);
  t.is(grouped.length, 3);
  t.regex(issued.stdout, /1 use per code/);
  t.regex(issued.stdout, /only time the code is shown/);
  t.is(await login('bob', `1357${grouped[0]!.toLowerCase()}`), 0, 'the grouped form, lower case, logs in');
  t.is(await login('bob', `1357${grouped[0]!}`), 1, 'a one-time code works once');
});

const refusals: [string, string[], RegExp, number][] = [
  ['a PIN outside the policy', ['user', 'set-pin', 'alice', '12'], /4 to 8/, 1],
  ['a PIN with letters', ['user', 'add', 'carol', '--pin', '12ab'], /digits only/, 1],
  ['--lifetime 40d for an authorization code', ['code', 'issue', 'alice', '--kind', 'online-authcode', '--lifetime', '40d'], /1 to 31 days, or 1month/, 2],
  ['--uses 0', ['code', 'issue', 'alice', '--kind', 'emergency-passcode', '--uses', '0'], /--uses must be/, 2],
  ['--uses not a number', ['code', 'issue', 'alice', '--kind', 'emergency-passcode', '--uses', 'many'], /--uses must be a whole number/, 2],
  ['an unknown --kind', ['code', 'issue', 'alice', '--kind', 'golden-ticket'], /Invalid values:[\s\S]*kind/, 2],
  ['an unparseable date', ['code', 'issue', 'alice', '--kind', 'emergency-passcode', '--expires', 'next tuesday'], /is not a date/, 2],
  ['a date that does not exist', ['token', 'assign', 'alice', '--expires', '2031-02-30'], /is not a date/, 2],
  ['a date in the past', ['code', 'issue', 'alice', '--kind', 'emergency-passcode', '--expires', '2020-01-01'], /in the past/, 1],
  ['an unknown user', ['code', 'issue', 'nobody', '--kind', 'emergency-passcode'], /no user named "nobody"/, 1],
  ['a user without a token', ['code', 'issue', 'dave-no-token', '--kind', 'emergency-passcode'], /no user named|assign one first/, 1],
  ['an existing user', ['user', 'add', 'alice'], /already exists/, 1],
  ['revoke without a selector', ['code', 'revoke', 'alice'], /exactly one of --id ID, --last, --all or --request CODE/, 2],
  ['revoke with two selectors', ['code', 'revoke', 'alice', '--last', '--all'], /exactly one of/, 2],
  ['revoke an unknown id', ['code', 'revoke', 'alice', '--id', 'ffffffffff'], /no code with id ffffffffff/, 1],
  ['lifetime and expiry together', ['code', 'issue', 'alice', '--kind', 'emergency-passcode', '--lifetime', '1d', '--expires', '2030-01-01'], /mutually exclusive/, 2],
  ['delete without --yes off a terminal', ['user', 'delete', 'alice'], /needs --yes/, 2],
  ['a missing argument', ['user', 'set-pin', 'alice'], /Not enough non-option arguments/, 2],
  ['a user name with control characters', ['user', 'add', 'eve\u0007\u001b[31m'], /control characters/, 1],
  ['a user name longer than a User-Name can carry', ['user', 'add', 'x'.repeat(300)], /longer than 253 bytes/, 1],
  ['shell metacharacters are just characters, never run', ['code', 'issue', '$(touch /tmp/radgate-pwned);`id`', '--kind', 'emergency-passcode'], /no user named/, 1],
  ['an --operator with control characters', ['user', 'unlock', 'alice', '--operator', 'x\u0007y'], /--operator must be/, 2],
];

for (const [name, args, message, exitCode] of refusals) {
  test.serial(`refused before anything is written: ${name}`, async (t) => {
    const before = await storedState(redis);
    const result = await cli(...args);
    t.is(result.exitCode, exitCode, result.stderr);
    t.regex(result.stderr, message);
    t.is(result.stdout, '');
    t.is(await storedState(redis), before, 'Redis is unchanged');
  });
}

test.serial('a non-UTF-8 user name is refused cleanly', async (t) => {
  const before = await storedState(redis);
  // Raw bytes 0xff 0xfe in argv, through a shell (Node's spawn would re-encode them as UTF-8).
  // Node turns them into U+FFFD; the name is refused, not mangled into another user's.
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn('bash', ['-c', `"${process.execPath}" "${RADGATE_BIN}" user add "$(printf 'a\\xff\\xfeb')" --config "${configPath}"`], { env: { ...process.env, ...SECRET_ENV } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
  t.is(result.code, 1);
  t.regex(result.stderr, /not valid UTF-8/);
  t.is(await storedState(redis), before);
});

test.serial('user show, list, disable, enable, unlock and delete', async (t) => {
  const shown = await cli('user', 'show', 'alice', '--json');
  t.like(JSON.parse(shown.stdout), { name: 'alice', status: 'active', pinSet: true, locked: false });
  t.is((await cli('user', 'disable', 'alice')).exitCode, 0);
  t.regex((await cli('user', 'show', 'alice')).stdout, /status: +disabled/);
  t.is((await cli('user', 'enable', 'alice')).exitCode, 0);
  t.is((await cli('user', 'unlock', 'alice')).exitCode, 0);
  const list = await cli('user', 'list', '--json');
  const names = list.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { name: string }).name);
  t.true(names.includes('alice') && names.includes('bob'));
  t.is((await cli('user', 'delete', 'bob', '--yes')).exitCode, 0);
  t.is((await cli('user', 'show', 'bob')).exitCode, 1);
  t.regex((await cli('user', 'list')).stdout, /^alice/m);
});

test.serial('token lost → its tokencode is refused; found → accepted again', async (t) => {
  await cli('user', 'add', 'frank', '--pin', '2468');
  const { uri } = JSON.parse((await cli('token', 'assign', 'frank', '--json')).stdout) as { uri: string };
  t.is((await cli('token', 'lost', 'frank', '--reason', 'left on a train')).exitCode, 0);
  t.is(await login('frank', `2468${totpAt(uri, stack.clock.now)}`), 1);
  t.is((await cli('token', 'found', 'frank')).exitCode, 0);
  t.is(await login('frank', `2468${totpAt(uri, stack.clock.now, 1)}`), 0);
  t.is((await cli('token', 'unassign', 'frank')).exitCode, 0);
  t.regex((await cli('user', 'show', 'frank')).stdout, /token: +none/);
});

test.serial('radgate test sends a real Access-Request and prints the verified reply', async (t) => {
  await cli('user', 'add', 'gina', '--pin', '9753');
  await cli('token', 'assign', 'gina');
  const { codes } = JSON.parse((await cli('code', 'issue', 'gina', '--kind', 'emergency-passcode', '--json')).stdout) as { codes: { code: string }[] };
  const accepted = await cli('test', 'gina', codes[0]!.code, '--server', server);
  t.is(accepted.exitCode, 0, accepted.stderr);
  t.regex(accepted.stdout, /^Access-Accept from 127\.0\.0\.1:\d+ in [\d.]+ ms/);
  const rejected = await cli('test', 'gina', 'wrong', '--server', server, '--json');
  t.is(rejected.exitCode, 1);
  t.is((JSON.parse(rejected.stdout) as { code: string }).code, 'Access-Reject');
  const wrongSecret = await cli('test', 'gina', codes[0]!.code, '--server', server, '--secret', 'not-the-right-secret', '--timeout', '0.3');
  t.is(wrongSecret.exitCode, 1);
  t.regex(wrongSecret.stderr, /no valid reply/);
});

test.serial('doctor reports Redis, persistence, eviction, key file and clients', async (t) => {
  const result = await cli('doctor', '--json');
  t.is(result.exitCode, 0, result.stdout);
  const checks = (JSON.parse(result.stdout) as { checks: { check: string; status: string }[] }).checks;
  const byName = new Map(checks.map((check) => [check.check, check.status]));
  t.is(byName.get('redis'), 'ok');
  t.is(byName.get('redis persistence'), 'ok');
  t.is(byName.get('redis eviction'), 'ok');
  t.is(byName.get('key file'), 'ok');
  t.is(byName.get('client test-nas'), 'ok');
});

test.serial('every command has --help with an example', async (t) => {
  for (const command of [['user', 'add'], ['user', 'list'], ['token', 'assign'], ['code', 'issue'], ['code', 'revoke'], ['test'], ['doctor'], ['keys', 'init']]) {
    const help = await runCli([...command, '--help']);
    t.is(help.exitCode, 0);
    t.regex(help.stdout, /Examples:/, command.join(' '));
  }
  const completion = await runCli(['completion']);
  t.regex(completion.stdout, /radgate/);
});

test('authcode respond never creates a master key, even with keys.create_if_missing (only serve does)', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'radgate-nokey-'));
  const config = join(directory, 'radgate.yaml');
  writeFileSync(config, `listen: ["127.0.0.1:0"]\nclients:\n  - name: local\n    address: 127.0.0.1\n    secret: ${TEST_SECRET.toString()}\nredis:\n  url: ${redis.url}\nkeys:\n  file: ./radgate.key\n  create_if_missing: true\n`);
  const result = await runCli(['--config', config, 'authcode', 'respond', 'alice', '7KAC-3EWX']);
  t.is(result.exitCode, 1, 'refused: a code derived from a fresh key would be refused by the gateway');
  t.regex(result.stderr, /radgate\.key/);
  t.false(existsSync(join(directory, 'radgate.key')), 'no key file was written');
});
