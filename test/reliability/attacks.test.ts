import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { parseConfig } from '../../src/config/load.js';
import { PacketCode, RadiusErrorCode } from '../../src/protocol/index.js';
import type { RadiusClient } from '../../src/client/radius-client.js';
import type { Gateway } from '../../src/serve/gateway.js';
import { runCli } from '../../harness/cli.js';
import { MANY_FAILURES_POLICY, SECRET_ENV, writeTestConfig } from '../../harness/config.js';
import { openNas, replyName, tagged, type Tagged } from '../../harness/nas.js';
import { patient, REPLY_WAIT_MS } from '../../harness/patience.js';
import { RADGATE_BIN } from '../../harness/paths.js';
import { dumpAll, startTestRedis } from '../../harness/redis.js';
import { startStack, type Stack } from '../../harness/stack.js';
import { until } from '../../harness/until.js';
import { addUserWithToken, issue } from '../../harness/users.js';

// Attack and bad-input tests against the real thing: a gateway on a real
// redis-server, the built CLI as a subprocess. The BlastRADIUS checklist has its own file
// (blastradius.test.ts); hostile CLI input that test/cli/helpdesk.test.ts already covers
// (control characters and > 253 bytes in a user name, shell metacharacters in a user
// name, a non-UTF-8 user name, control characters in --operator) is not repeated here.

async function withGateway(stack: Stack, use: (nas: RadiusClient, server: Gateway) => Promise<void>): Promise<void> {
  const gateway = await stack.startGateway();
  const nas = await openNas({ port: gateway.server.addresses()[0]!.port, sockets: 2, retransmitMs: patient(3000), transmissions: 1 });
  try {
    await use(nas, gateway);
  } finally {
    await nas.close();
  }
}

async function userShow(stack: Stack, user: string): Promise<{ failures: number; locked: boolean }> {
  const shown = await stack.cli('user', 'show', user, '--json');
  if (shown.exitCode !== 0) throw new Error(shown.stderr);
  return JSON.parse(shown.stdout) as { failures: number; locked: boolean };
}

test('a wrong shared secret is dropped and never touches the failure counter or a code', async (t) => {
  const stack = await startStack({ policy: MANY_FAILURES_POLICY, captureLevel: 'info' });
  try {
    await addUserWithToken(stack.admin, 'alice', '2468');
    const [code] = await issue(stack.admin, 'alice', { kind: 'emergency-passcode', uses: 1 });
    await withGateway(stack, async (_nas, gateway) => {
      const forger = await openNas({ port: gateway.server.addresses()[0]!.port, secret: Buffer.from('not-the-shared-secret-1'), retransmitMs: patient(500), transmissions: 1 });
      try {
        // Wrong guesses, and the right code too: none may be answered or counted.
        const guesses = await Promise.all([
          ...Array.from({ length: 30 }, (_, i) => forger.accessRequest('alice', `2468${String(i).padStart(6, '0')}`)),
          forger.accessRequest('alice', code!.code),
        ]);
        t.is(guesses.filter((e) => e.reply !== undefined).length, 0, 'no reply to any of them');
        t.is(forger.strayReplies, 0);
      } finally {
        await forger.close();
      }
      // Counted as the gateway reads them: on a busy machine it may still be reading when the forger stops waiting.
      await until('every forged request is dropped', REPLY_WAIT_MS, () => gateway.server.counters.get('dropped', RadiusErrorCode.MessageAuthenticatorInvalid) >= 31);
      t.is(gateway.server.counters.get('dropped', RadiusErrorCode.MessageAuthenticatorInvalid), 31);
      t.like(await userShow(stack, 'alice'), { failures: 0, locked: false }, 'user show: failures 0');
      t.is((await stack.admin.service.listCodes('alice'))[0]!.uses, 0, 'the code was not consumed');
      t.false(stack.lines.some((line) => line.includes('"event":"decision"')), 'no decision was even taken');
      const nas = await openNas({ port: gateway.server.addresses()[0]!.port });
      t.is((await nas.accessRequest('alice', code!.code)).reply?.code, PacketCode.AccessAccept, 'the real NAS still gets in');
      await nas.close();
    });
  } finally {
    await stack.close();
  }
});

test('lockout at max_failures 100: of 150 concurrent guesses only 100 are evaluated; the 101st try with the right password is refused as locked', async (t) => {
  // The default reject delay (1 s) is on: the guesses are answered together, not one a second.
  const stack = await startStack({ policy: '  reject_delay_ms: 1000\n  max_failures: 100\n  lockout_seconds: 3600\n', captureLevel: 'info' });
  try {
    await addUserWithToken(stack.admin, 'bob', '1357');
    const [code] = await issue(stack.admin, 'bob', { kind: 'emergency-tokencode' });
    await withGateway(stack, async (nas) => {
      const guesses = await Promise.all(Array.from({ length: 150 }, (_, i) => nas.accessRequest('bob', `1357${String(i).padStart(8, '0')}`)));
      t.is(guesses.filter((e) => e.reply?.code === PacketCode.AccessReject).length, 150);
      const decisions = stack.lines.filter((line) => line.includes('"event":"decision"')).map((line) => JSON.parse(line) as { reason: string });
      const evaluated = decisions.filter((d) => d.reason !== 'locked');
      t.is(evaluated.length, 100, 'exactly 100 guesses were checked against the credentials');
      t.is(decisions.filter((d) => d.reason === 'locked').length, 50, 'the other 50 were refused unseen');
      t.is(evaluated.filter((d) => d.reason.endsWith('now locked')).length, 1);
      t.like(await userShow(stack, 'bob'), { failures: 100, locked: true });

      const right = await nas.accessRequest('bob', `1357${code!.code}`);
      t.is(right.reply?.code, PacketCode.AccessReject, 'the right password after 100 failures is refused');
      t.regex(stack.lines.filter((line) => line.includes('"event":"decision"')).at(-1)!, /"result":"reject","reason":"locked"/);
      t.is((await stack.admin.service.listCodes('bob'))[0]!.uses, 0);

      t.is((await stack.cli('user', 'unlock', 'bob')).exitCode, 0);
      t.is((await nas.accessRequest('bob', `1357${code!.code}`)).reply?.code, PacketCode.AccessAccept);
    });
  } finally {
    await stack.close();
  }
});

test('max_failures above 100 is refused by the schema, in the loader and in config check', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'radgate-schema-')), 'radgate.yaml');
  const text = `listen: ["127.0.0.1:0"]\nclients:\n  - name: nas\n    address: 127.0.0.1\n    secret_env: TEST_SECRET\nredis:\n  url: redis://127.0.0.1:1\npolicy:\n  max_failures: 101\n`;
  const error = t.throws(() => parseConfig(text, { source: 'radgate.yaml', baseDir: tmpdir(), env: SECRET_ENV }));
  t.regex(error!.message, /policy\.max_failures/);
  t.regex(error!.message, /100/);
  writeFileSync(path, text);
  const checked = await runCli(['config', 'check', '--config', path], { env: SECRET_ENV });
  t.is(checked.exitCode, 1);
  t.regex(checked.stderr, /radgate\.yaml:\d+: policy\.max_failures: .*100/);
});

test('the reject delay holds up nothing else: a right password sent after 20 wrong ones is answered first', async (t) => {
  // The delay is longer than any login takes, on a busy machine too.
  const stack = await startStack({ policy: `  reject_delay_ms: ${patient(1000)}\n  max_failures: 100\n`, captureLevel: 'info' });
  try {
    await addUserWithToken(stack.admin, 'carol', '9753');
    await addUserWithToken(stack.admin, 'dave', '8642');
    const [carols] = await issue(stack.admin, 'carol', { kind: 'emergency-tokencode' });
    const [daves] = await issue(stack.admin, 'dave', { kind: 'emergency-passcode' });
    await withGateway(stack, async (nas) => {
      const order: string[] = [];
      const track = (promise: Promise<Tagged<string>>) => promise.then((e) => order.push(`${e.tag}:${replyName(e.reply?.code)}`));
      const wrong = Array.from({ length: 20 }, (_, i) => track(tagged(nas.accessRequest(i % 2 === 0 ? 'carol' : 'dave', `9753${String(i).padStart(8, '0')}`), `wrong${i}`)));
      const right = [track(tagged(nas.accessRequest('carol', `9753${carols!.code}`), 'carol')), track(tagged(nas.accessRequest('dave', daves!.code), 'dave'))];
      await Promise.all([...wrong, ...right]);
      t.log(order.join(' '));
      t.deepEqual(order.slice(0, 2).sort(), ['carol:accept', 'dave:accept'], 'both Accepts come before any of the delayed Rejects');
      t.true(order.slice(2).every((entry) => entry.endsWith(':reject')));
    });
  } finally {
    await stack.close();
  }
});

// --- hostile CLI input ------------------------------------------------------------------

test('hostile CLI input is refused cleanly and writes nothing', async (t) => {
  const stack = await startStack({ policy: MANY_FAILURES_POLICY, captureLevel: 'info' });
  const scratch = mkdtempSync(join(tmpdir(), 'radgate-hostile-'));
  try {
    await addUserWithToken(stack.admin, 'alice', '2468');
    const stored = async () => [...(await dumpAll(stack.redis)).entries()].filter(([key]) => !key.startsWith('rg:req:')).map(([key, value]) => `${key}\n${value}`).sort().join('\n');
    const before = await stored();
    const big = 'A'.repeat(100 * 1024);
    const cases: [string, string[], RegExp, number, string?][] = [
      ['a 100 kB user name', ['user', 'add', big], /longer than 253 bytes/, 1],
      ['a 100 kB --reason', ['user', 'unlock', 'alice', '--reason', big], /--reason must be at most 200/, 2],
      ['a 100 kB --operator', ['code', 'issue', 'alice', '--kind', 'emergency-passcode', '--operator', big], /--operator must be 1 to 64/, 2],
      ['a 100 kB PIN on standard input', ['user', 'set-pin', 'alice', '-'], /4 to 8/, 1, `${'1'.repeat(100 * 1024)}\n`],
      ['a NUL byte in a PIN read from a file', ['user', 'add', 'mallory', '--pin', '-'], /digits only/, 1, '12\u000034\n'],
      ['ANSI escapes in --reason', ['code', 'issue', 'alice', '--kind', 'emergency-passcode', '--reason', '\u001b[2J\u001b[31mAPPROVED\u001b[0m'], /--reason must be/, 2],
    ];
    for (const [name, args, message, exitCode, input] of cases) {
      const result = await runCli([...args, '--config', stack.configPath], { env: SECRET_ENV, ...(input === undefined ? {} : { input }) });
      t.is(result.exitCode, exitCode, `${name}: exit code (stderr: ${result.stderr.slice(0, 300)})`);
      t.regex(result.stderr, message, name);
      t.false(/\n\s+at /.test(result.stderr), `${name}: a message, not a stack trace`);
      t.true(result.stderr.length < 2000, `${name}: the message does not repeat the 100 kB argument`);
      t.is(result.stdout, '', name);
    }
    t.is(await stored(), before, 'nothing was written by any refused command');

    // Shell metacharacters are text, never run: stored and shown verbatim.
    const marker = join(scratch, 'pwned');
    const reason = `$(touch ${marker});\`touch ${marker}\`|touch ${marker}`;
    const unlocked = await runCli(['user', 'unlock', 'alice', '--reason', reason, '--config', stack.configPath], { env: SECRET_ENV });
    t.is(unlocked.exitCode, 0, unlocked.stderr);
    t.false(existsSync(marker), 'nothing was executed');
    t.true((await stack.admin.store.repository.recentAudit(1))[0]!.reason === reason, 'the reason is recorded verbatim');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await stack.close();
  }
});

test('--reason and --operator refuse C1 controls, line separators and non-UTF-8, as user names do', async (t) => {
  // userNameProblem (src/credentials/user-name.ts) refuses C0 and C1 controls, U+2028/U+2029 and
  // U+FFFD (non-UTF-8 input); the free-text options are printed by `code list` and written
  // to the audit stream too, so the same characters must not get in through them.
  const stack = await startStack({ policy: MANY_FAILURES_POLICY, captureLevel: 'info' });
  try {
    await addUserWithToken(stack.admin, 'alice', '2468');
    const audited = async () => (await stack.admin.store.repository.recentAudit(100)).length;
    const before = await audited();
    const cases: [string, string[], RegExp, number][] = [
      ['a C1 control (CSI, U+009B) in --reason', ['user', 'unlock', 'alice', '--reason', 'ok\u009b2Jforged'], /--reason must be/, 2],
      ['a Unicode line separator in --reason', ['user', 'unlock', 'alice', '--reason', 'ok\u2028action=user.delete'], /--reason must be/, 2],
      ['a C1 control in --operator', ['user', 'unlock', 'alice', '--operator', 'eve\u009b'], /--operator must be/, 2],
    ];
    for (const [name, args, message, exitCode] of cases) {
      const result = await runCli([...args, '--config', stack.configPath], { env: SECRET_ENV });
      t.is(result.exitCode, exitCode, `${name}: refused (stdout: ${result.stdout.trim()})`);
      t.regex(result.stderr, message, name);
    }
    // Non-UTF-8 bytes in --reason: Node would store U+FFFD in their place; the CLI refuses
    // them as it does in a user name, rather than record a mangled reason.
    const nonUtf8 = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn('bash', ['-c', `"${process.execPath}" "${RADGATE_BIN}" user unlock alice --reason "$(printf 'INC\\xff\\xfe1')" --config "${stack.configPath}"`], { env: { ...process.env, ...SECRET_ENV } });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    t.is(nonUtf8.code, 2, `non-UTF-8 --reason is refused (stderr: ${nonUtf8.stderr.slice(0, 300)})`);
    t.is(await audited(), before, 'no admin action was recorded');
  } finally {
    await stack.close();
  }
});

// --- doctor --------------------------------------------------------------------------

test('doctor warns on Redis without persistence, an evicting maxmemory-policy, a world-readable key file and a weak client secret', async (t) => {
  const redis = await startTestRedis({ appendonly: false, extraArgs: ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru'] });
  try {
    const { path, config } = writeTestConfig(redis.url, {
      clients: '  - name: weak-nas\n    address: 127.0.0.2\n    secret: abcdefgh\n    allow_weak_secret: true\n',
    });
    chmodSync(config.keys.file, 0o644);
    const result = await runCli(['doctor', '--json', '--config', path], { env: SECRET_ENV });
    t.is(result.exitCode, 0, 'warnings are not failures');
    const checks = new Map((JSON.parse(result.stdout) as { checks: { check: string; status: string; detail: string }[] }).checks.map((check) => [check.check, check]));
    t.like(checks.get('redis persistence'), { status: 'warn' });
    t.regex(checks.get('redis persistence')!.detail, /appendonly yes/);
    t.like(checks.get('redis eviction'), { status: 'warn' });
    t.regex(checks.get('redis eviction')!.detail, /allkeys-lru.*noeviction/);
    t.like(checks.get('key file'), { status: 'warn' });
    t.regex(checks.get('key file')!.detail, /mode 644.*chmod 600/);
    t.like(checks.get('client weak-nas'), { status: 'warn' });
    t.regex(checks.get('client weak-nas')!.detail, /weak shared secret \(8 characters/);
    t.like(checks.get('client test-nas'), { status: 'ok' }, 'a strong secret is not flagged');
    t.false(result.stdout.includes('abcdefgh'), 'the weak secret itself is never printed');
    const human = await runCli(['doctor', '--config', path], { env: SECRET_ENV });
    t.is(human.stdout.split('\n').filter((line) => line.startsWith('WARN')).length, 4, human.stdout);
  } finally {
    await redis.stop();
  }
});
