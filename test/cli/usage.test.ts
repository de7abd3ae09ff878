import test from 'ava';
import { assertUsageError, runCli, type CliResult } from '../../harness/cli.js';
import { CHALLENGE } from '../../harness/challenge-harness.js';
import { SECRET_ENV } from '../../harness/config.js';
import { storedState } from '../../harness/redis.js';
import { OPERATOR, startStack, type Stack } from '../../harness/stack.js';

// Exit codes are a contract with scripts (README "CLI"): 2 when the command line itself is
// wrong (a value of the wrong form, or outside the option's own range), 1 when a well-formed
// request is refused (an unknown user, a date in the past, the PIN policy). Either way
// nothing is written: not a record, not an audit entry.

let stack: Stack;

test.before(async () => {
  // The challenge flow on, so that authcode respond gets as far as the validity.
  stack = await startStack({ extra: CHALLENGE(false) });
  await stack.admin.service.addUser('alice', '2468', OPERATOR);
  await stack.admin.service.assignToken('alice', {}, OPERATOR);
});

test.after.always(async () => {
  await stack.close();
});

/** The global options first, so that a test's own --operator comes last and counts. */
const cli = (...args: string[]): Promise<CliResult> => runCli(['--config', stack.configPath, '--operator', 'helpdesk-1', ...args], { env: SECRET_ENV });


const issue = (...more: string[]): string[] => ['code', 'issue', 'alice', '--kind', 'emergency-passcode', ...more];
const RESPOND = ['authcode', 'respond', 'alice', '7KAC-3EWX'];
const TEST_LOGIN = ['test', 'alice', '2468', '--server', '127.0.0.1:9'];

/** [what, command line, the message it must give]: each exits 2. */
const usageErrors: [string, string[], RegExp][] = [
  ['--lifetime without a unit', issue('--lifetime', '3'), /"3" is not a lifetime: write a number and a unit/],
  ['--lifetime of zero', issue('--lifetime', '0h'), /"0h" is not a positive lifetime/],
  ['--lifetime in words', issue('--lifetime', 'a week'), /is not a lifetime/],
  ['--lifetime under a day for an authorization code', ['code', 'issue', 'alice', '--kind', 'online-authcode', '--lifetime', '12h'], /--lifetime 12h: an authorization code is valid 1 to 31 days, or 1month/],
  ['--lifetime over 31 days for an authorization code', ['code', 'issue', 'alice', '--kind', 'online-authcode', '--lifetime', '40d'], /--lifetime 40d: an authorization code is valid 1 to 31 days, or 1month/],
  ['--lifetime over 31 days for an emergency code', issue('--lifetime', '5w'), /a code lives at most 31 days or 1month \(asked for 35d\)/],
  ['--count 0', issue('--count', '0'), /--count must be a whole number from 1 to 100/],
  ['--count 101', issue('--count', '101'), /--count must be a whole number from 1 to 100/],
  ['--count 2.5', issue('--count', '2.5'), /--count must be a whole number/],
  ['--uses -1', issue('--uses', '-1'), /--uses must be a whole number from 1 to 1000000/],
  ['--uses 0', issue('--uses', '0'), /--uses must be a whole number from 1 to 1000000/],
  ['--uses not a number', issue('--uses', 'many'), /--uses must be a whole number/],
  ['--expires on a month that does not exist', issue('--expires', '2026-13-01'), /--expires "2026-13-01" is not a date/],
  ['--expires with an offset that does not exist', ['token', 'assign', 'alice', '--replace', '--expires', '2031-02-03T15:00+24:00'], /--expires "2031-02-03T15:00\+24:00" is not a date/],
  ['--expires on a day that does not exist', ['token', 'assign', 'alice', '--replace', '--expires', '2031-02-30'], /--expires "2031-02-30" is not a date/],
  ['--lifetime and --expires together', issue('--lifetime', '1d', '--expires', '2030-01-01'), /mutually exclusive/],
  ['an unknown --kind', ['code', 'issue', 'alice', '--kind', 'golden-ticket'], /Invalid values:[\s\S]*kind/],
  ['no --kind', ['code', 'issue', 'alice'], /Missing required argument: kind/],
  ['an option without its value', issue('--lifetime'), /Not enough arguments following: lifetime/],
  ['--id that cannot be a code id', ['code', 'revoke', 'alice', '--id', '../../x'], /--id "..\/..\/x" is not a code id: 10 hexadecimal characters/],
  ['revoke without a selector', ['code', 'revoke', 'alice'], /name exactly one of --id ID, --last, --all or --request CODE/],
  ['--kind without --last', ['code', 'revoke', 'alice', '--all', '--kind', 'online-authcode'], /--kind goes with --last/],
  ['--request that cannot be a request code', ['code', 'revoke', 'alice', '--request', 'BOGUS-111'], /--request: a request code is 8 characters of Z3467ACEFHJKRWXY/],
  ['--period 5', ['token', 'assign', 'alice', '--replace', '--period', '5'], /--period must be a whole number from 10 to 300/],
  ['--period not a number', ['token', 'assign', 'alice', '--replace', '--period', 'half'], /--period must be a whole number/],
  ['--digits 7', ['token', 'assign', 'alice', '--replace', '--digits', '7'], /Invalid values:[\s\S]*digits/],
  ['--type sms', ['token', 'assign', 'alice', '--replace', '--type', 'sms'], /Invalid values:[\s\S]*type/],
  ['--secret that is not base32', ['token', 'assign', 'alice', '--replace', '--secret', 'not base32 at all!'], /--secret: the token secret must be base32 of at least 16 bytes/],
  ['--secret too short', ['token', 'assign', 'alice', '--replace', '--secret', 'JBSWY3DP'], /--secret: the token secret must be base32 of at least 16 bytes/],
  ['a request code that cannot be one', [...RESPOND.slice(0, 3), 'BOGUS-111'], /a request code is 8 characters of Z3467ACEFHJKRWXY/],
  ['--validity without a unit', [...RESPOND, '--validity', '3'], /--validity "3" is not a lifetime such as 1d or 1month/],
  ['--validity over 31 days', [...RESPOND, '--validity', '40d'], /--validity "40d" is not 1d to 31d or 1month/],
  ['--validity in hours', [...RESPOND, '--validity', '36h'], /--validity "36h" is not 1d to 31d or 1month/],
  ['--server that is not HOST:PORT', [...TEST_LOGIN.slice(0, 3), '--server', 'gateway:port'], /--server "gateway:port" is not HOST\[:PORT\]/],
  ['--server with a port out of range', [...TEST_LOGIN.slice(0, 3), '--server', '127.0.0.1:70000'], /--server "127.0.0.1:70000" is not HOST\[:PORT\]/],
  ['--state that is not hex', [...TEST_LOGIN, '--state', 'zz'], /--state must be the hex State/],
  ['--state of an odd length', [...TEST_LOGIN, '--state', 'abc'], /--state must be the hex State/],
  ['--timeout 0', [...TEST_LOGIN, '--timeout', '0'], /--timeout must be more than 0 and at most 60 seconds/],
  ['--timeout not a number', [...TEST_LOGIN, '--timeout', 'soon'], /--timeout must be more than 0/],
  ['an empty --secret', [...TEST_LOGIN, '--secret='], /--secret must not be empty/],
  ['user set without a setting', ['user', 'set', 'alice'], /name a setting to change: --challenge on\|off/],
  ['--challenge maybe', ['user', 'set', 'alice', '--challenge', 'maybe'], /Invalid values:[\s\S]*challenge/],
  ['--mobile without a country code', ['user', 'set', 'alice', '--mobile', '015112345678'], /--mobile: a mobile number is \+ and 8 to 15 digits/],
  ['--mobile with letters', ['user', 'set', 'alice', '--mobile', '+49 151 CALLME'], /--mobile: a mobile number is \+ and 8 to 15 digits/],
  ['--send-sms for a code that is not an authorization code', issue('--send-sms'), /--send-sms sends an online authorization code/],
  ['--send-sms with a set of codes', ['code', 'issue', 'alice', '--kind', 'online-authcode', '--send-sms', '--count', '2'], /--send-sms sends one code/],
  ['user delete without --yes off a terminal', ['user', 'delete', 'alice'], /needs --yes/],
  ['an empty --operator (an option given twice counts once, the last)', ['user', 'unlock', 'alice', '--operator='], /--operator must be 1 to 64 printable characters/],
  ['a --reason over 200 characters', ['user', 'unlock', 'alice', '--reason', 'x'.repeat(201)], /--reason must be at most 200/],
  ['keys init --file with no name', ['keys', 'init', '--file='], /--file must name a file/],
  ['a missing argument', ['user', 'set-pin', 'alice'], /Not enough non-option arguments/],
  ['an extra argument', ['user', 'show', 'alice', 'bob'], /Unknown argument: bob/],
  ['an extra - shows as -', ['user', 'show', 'alice', '-'], /Unknown argument: -\n/],
  ['an unknown option', ['user', 'show', 'alice', '--colour'], /Unknown argument: colour/],
  ['an unknown command', ['frobnicate'], /Unknown argument: frobnicate/],
];

for (const [name, args, message] of usageErrors) {
  test.serial(`exit 2, nothing written: ${name}`, async (t) => {
    const before = await storedState(stack.redis);
    const result = await cli(...args);
    assertUsageError(t, result, message);
    t.is(await storedState(stack.redis), before);
  });
}

test.serial('a --secret of the wrong form is never repeated in the message', async (t) => {
  const secret = 'JBSWY3DP!EHPK3PXPJBSWY3DPEHPK3PXP';
  const result = await cli('token', 'assign', 'alice', '--replace', '--secret', secret);
  t.is(result.exitCode, 2);
  t.false(result.stderr.includes(secret));
  t.false(result.stderr.includes('JBSWY3DP'));
});

/** Well-formed requests the rules refuse: each exits 1. */
const refusals: [string, string[], RegExp][] = [
  ['an unknown user', ['code', 'issue', 'nobody', '--kind', 'emergency-passcode'], /no user named "nobody"/],
  ['--expires in the past', issue('--expires', '2020-01-01'), /the expiry date is in the past/],
  ['--expires more than 31 days ahead', issue('--expires', '2099-01-01'), /a code lives at most 31 days or 1month \(asked for a later date\)/],
  ['a PIN the policy refuses', ['user', 'set-pin', 'alice', '12'], /a PIN must be 4 to 8 characters long/],
  ['a validity this gateway does not grant', [...RESPOND, '--validity', '2d'], /validity 2d is not one the gateway accepts \(challenge.validities: 1d, 3d\)/],
  ['a code id that names no code', ['code', 'revoke', 'alice', '--id', 'ffffffffff'], /no code with id ffffffffff/],
  ['--send-sms with no sms section in the config', ['code', 'issue', 'alice', '--kind', 'online-authcode', '--send-sms'], /--send-sms needs the sms section in the config/],
];

for (const [name, args, message] of refusals) {
  test.serial(`exit 1, nothing written: ${name}`, async (t) => {
    const before = await storedState(stack.redis);
    const result = await cli(...args);
    t.is(result.exitCode, 1, result.stderr);
    t.regex(result.stderr, message);
    t.false(/\n\s+at /.test(result.stderr), 'a message, not a stack trace');
    t.is(await storedState(stack.redis), before);
  });
}

test.serial('exit 1: a config file that does not exist', async (t) => {
  const result = await runCli(['user', 'show', 'alice', '--config', '/nonexistent/radgate.yaml']);
  t.is(result.exitCode, 1);
  t.regex(result.stderr, /\/nonexistent\/radgate\.yaml: cannot read the file: ENOENT/);
});
