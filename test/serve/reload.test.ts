import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { PacketCode } from '../../src/protocol/index.js';
import { runCli } from '../../harness/cli.js';
import { MANY_FAILURES_POLICY, SECRET_ENV } from '../../harness/config.js';
import { loginOnce, openNas, paced, tagged, type Tagged } from '../../harness/nas.js';
import { until } from '../../harness/until.js';
import { patient } from '../../harness/patience.js';
import { startStack } from '../../harness/stack.js';
import { addUserWithToken, issue } from '../../harness/users.js';

// Live reload (issue 14): `radgate serve` as a subprocess, reloaded by SIGHUP or `radgate
// reload` while it serves, as a service manager and an admin would.

const NEW_SECRET = 'a-new-shared-secret-0123';

const isReloaded = (json: Record<string, unknown>): boolean => json.msg === 'configuration reloaded';
const isRefused = (json: Record<string, unknown>): boolean => typeof json.msg === 'string' && json.msg.startsWith('configuration reload refused');
const decisionFor = (user: string) => (json: Record<string, unknown>): boolean => json.event === 'decision' && json.user === user;

type Phase = 'before' | 'during' | 'after';

/** The JSON (pino) lines a gateway printed. */
function logLines(lines: readonly string[]): Record<string, unknown>[] {
  return lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

for (const workers of [1, 2]) {
  test.serial(`workers: ${workers}, SIGHUP with a new client secret under steady load: the old secret stops, the new one works, nothing decided is lost`, async (t) => {
    const stack = await startStack({ policy: MANY_FAILURES_POLICY, workers });
    const serve = await stack.startServe();
    // Two NASes on the same client entry: one keeps the old secret, one has the new one
    // (as a NAS reconfigured before or after the gateway). Each logs in as its own user, so
    // the gateway's decision lines say whose requests it decided.
    const oldNas = await openNas({ port: serve.port, sockets: 4, retransmitMs: patient(2000), transmissions: 1 });
    const newNas = await openNas({ port: serve.port, sockets: 4, secret: Buffer.from(NEW_SECRET), retransmitMs: patient(2000), transmissions: 1 });
    try {
      await addUserWithToken(stack.admin, 'old-nas-user', '2468');
      await addUserWithToken(stack.admin, 'new-nas-user', '2468');
      const [oldCode] = await issue(stack.admin, 'old-nas-user', { kind: 'emergency-tokencode' });
      const [newCode] = await issue(stack.admin, 'new-nas-user', { kind: 'emergency-tokencode' });
      let phase: Phase = 'before';
      const sent: Promise<Tagged<{ nas: 'old' | 'new'; phase: Phase }>>[] = [];
      const counts = { old: 0, new: 0 };
      let afterSends = 0;
      // Held around the signal: a busy gateway reads datagrams late, and a request sent
      // just before SIGHUP but read after the reload would be decided under the new
      // secret. 'closing': the next old-NAS request is the last before the hold.
      let hold: 'off' | 'closing' | 'on' = 'off';
      const load = paced(
        100,
        () => afterSends >= 80,
        (i) => {
          const nas = i % 2 === 0 ? 'old' : 'new';
          if (hold === 'on' || (hold === 'closing' && nas === 'new')) return;
          if (hold === 'closing') hold = 'on';
          counts[nas]++;
          if (phase === 'after') afterSends++;
          const exchange = nas === 'old'
            ? oldNas.send({ kind: 'access', userName: 'old-nas-user', password: `2468${oldCode!.code}` })
            : newNas.send({ kind: 'access', userName: 'new-nas-user', password: `2468${newCode!.code}` });
          sent.push(tagged(exchange, { nas, phase }));
        },
      );
      // Steady state first: the old NAS is being answered.
      await serve.logged('decisions for the old NAS', decisionFor('old-nas-user'), 20, patient(10_000));
      const path = stack.configPath;
      writeFileSync(path, readFileSync(path, 'utf8').replace('secret_env: TEST_SECRET', `secret: ${NEW_SECRET}`));
      // The last request sent before the hold is the old NAS's: once the gateway has decided
      // every old-NAS request, it has read every request sent before the signal (one
      // socket, read in order; the new NAS's are dropped as they are read).
      hold = 'closing';
      await until('the last request before the signal is sent', patient(5000), () => hold === 'on');
      await serve.logged('a decision for every old-NAS request sent before the signal', decisionFor('old-nas-user'), counts.old, patient(10_000));
      // Set before the signal: no request is sent between the two.
      phase = 'during';
      hold = 'off';
      serve.process.child.kill('SIGHUP');
      // Logged once every process runs the new configuration (workers answer the primary first).
      await serve.logged('the reload', isReloaded, 1, patient(10_000));
      phase = 'after';
      await load;
      const exchanges = await Promise.all(sent);
      t.is(await serve.stop('SIGTERM'), 0, 'the reload did not end the gateway; it stops cleanly');

      const of = (nas: 'old' | 'new', phase: Phase) => exchanges.filter((e) => e.tag.nas === nas && e.tag.phase === phase);
      const answered = (list: readonly Tagged<unknown>[]) => list.filter((e) => e.reply !== undefined).length;
      const summary = (['before', 'during', 'after'] as const).map((p) => `${p}: old ${answered(of('old', p))}/${of('old', p).length}, new ${answered(of('new', p))}/${of('new', p).length}`);
      t.log(`answered/sent, by when they were sent relative to SIGHUP and the "reloaded" line — ${summary.join('; ')}`);

      // No reply was signed with a secret other than the request's: the NAS verifies each
      // reply against its own secret and counts any other as stray.
      t.is(oldNas.strayReplies, 0);
      t.is(newNas.strayReplies, 0);
      t.true(exchanges.every((e) => e.reply === undefined || e.reply.code === PacketCode.AccessAccept), 'every reply is the Accept the code earns');
      // Nothing decided was lost: every request the gateway decided (one decision line each)
      // got its reply; the rest were dropped before deciding, as unverifiable.
      t.is(serve.countLogged(decisionFor('old-nas-user')), answered(exchanges.filter((e) => e.tag.nas === 'old')));
      t.is(serve.countLogged(decisionFor('new-nas-user')), answered(exchanges.filter((e) => e.tag.nas === 'new')));
      // Before the signal only the old secret works; once reloaded only the new one does.
      t.is(answered(of('new', 'before')), 0, 'the new secret did not work before the reload');
      t.true(answered(of('old', 'before')) >= 20);
      t.is(answered(of('old', 'after')), 0, 'the old secret stops working');
      t.true(of('new', 'after').length >= 40);
      t.is(answered(of('new', 'after')), of('new', 'after').length, 'the new secret works for every request sent after the reload');
      t.false(serve.lines.some((line) => line.includes(NEW_SECRET) || line.includes(SECRET_ENV.TEST_SECRET)), 'no secret in any log line');
    } finally {
      await oldNas.close();
      await newNas.close();
      await stack.close();
    }
  });
}

test.serial('workers: 2, SIGHUP with a broken file: nothing changes anywhere, one log line names file, line and key', async (t) => {
  const stack = await startStack({ workers: 2 });
  const serve = await stack.startServe();
  try {
    await addUserWithToken(stack.admin, 'steady', '2468');
    const [code] = await issue(stack.admin, 'steady', { kind: 'emergency-tokencode' });
    const path = stack.configPath;
    const good = readFileSync(path, 'utf8');
    // A new secret and a mistake further down: the whole file is refused, the secret included.
    const broken = good.replace('secret_env: TEST_SECRET', `secret: ${NEW_SECRET}`).replace('address: 127.0.0.1', 'address: 10.0.0.1/24');
    const line = broken.split('\n').findIndex((text) => text.includes('10.0.0.1/24')) + 1;
    writeFileSync(path, broken);
    serve.process.child.kill('SIGHUP');
    await serve.logged('the refusal', isRefused, 1, patient(10_000));
    const refusal = logLines(serve.lines).find(isRefused)!;
    t.is(refusal.file, path);
    t.is(refusal.line, line);
    t.is(refusal.key, 'clients[0].address');
    t.regex(String(refusal.msg), new RegExp(`${path.replace(/[.]/g, '\\.')}:${line}: clients\\[0\\]\\.address: .*host bits`));
    // Nothing changed: every worker still takes the old secret (several logins, so both see some).
    for (let i = 0; i < 6; i++) t.is(await loginOnce(serve.port, 'steady', `2468${code!.code}`), PacketCode.AccessAccept);
    // Put the file back and reload: once that is logged, every line about the broken file has been too.
    writeFileSync(path, good);
    serve.process.child.kill('SIGHUP');
    await serve.logged('the reload of the fixed file', isReloaded, 1, patient(10_000));
    t.is(serve.countLogged(isRefused), 1, 'exactly one line says why');
    t.is(serve.countLogged((json) => typeof json.level === 'number' && json.level >= 50), 1, 'and no other error line (no worker logged one)');
    t.false(serve.lines.some((text) => text.includes(NEW_SECRET)), 'the secret in the refused file is not logged');
    t.is(await loginOnce(serve.port, 'steady', `2468${code!.code}`), PacketCode.AccessAccept);
    t.is(await serve.stop('SIGTERM'), 0);
  } finally {
    await stack.close();
  }
});

test.serial('radgate reload signals the gateway by its pid file; a restart-only change is reported, the rest applied', async (t) => {
  const stack = await startStack({ workers: 2 });
  const pidFile = join(stack.directory, 'radgate.pid');
  const serve = await stack.startServe({ config: { extra: `pid_file: ${pidFile}\n` } });
  try {
    t.is(readFileSync(pidFile, 'utf8').trim(), String(serve.pid));
    const path = join(stack.directory, 'serve-1.yaml');
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.replace('listen: ["127.0.0.1:0"]', `listen: ["127.0.0.1:${serve.port + 1}"]`).replace('  reject_delay_ms: 0\n', '  reject_delay_ms: 250\n'));
    // The operator's shell need not have the service's secret_env: reload only signals.
    const result = await runCli(['reload', '--config', path], { env: { TEST_SECRET: '' } });
    t.is(result.exitCode, 0, result.stderr);
    t.regex(result.stdout, new RegExp(`sent SIGHUP to radgate serve pid ${serve.pid}`));
    await serve.logged('the reload', isReloaded, 1, patient(10_000));
    const lines = logLines(serve.lines);
    t.deepEqual(lines.find(isReloaded)!.changed, ['policy.reject_delay_ms']);
    const restart = lines.find((json) => Array.isArray(json.restart_needed));
    t.deepEqual(restart?.restart_needed, ['listen']);
    t.is(restart?.level, 40);
    t.regex(String(restart?.msg), /only a restart applies.*listen/);
    // Still on the old port, as the line says.
    t.is(await loginOnce(serve.port, 'nobody', 'x'), PacketCode.AccessReject);
    t.is(await serve.stop('SIGTERM'), 0);
    const after = await runCli(['reload', '--config', path]);
    t.is(after.exitCode, 1);
    t.regex(after.stderr, /no radgate serve is running/);
  } finally {
    await stack.close();
  }
});

test.serial('workers: 2, a worker replaced after a crash runs the configuration in force, not the file as edited since', async (t) => {
  const stack = await startStack({ policy: MANY_FAILURES_POLICY, workers: 2 });
  const serve = await stack.startServe();
  const nas = await openNas({ port: serve.port, sockets: 8, retransmitMs: patient(2000), transmissions: 1 });
  const newNas = await openNas({ port: serve.port, sockets: 8, secret: Buffer.from(NEW_SECRET), retransmitMs: patient(2000), transmissions: 1 });
  try {
    // Edited on disk, never reloaded: the gateway runs the old secret still.
    const path = stack.configPath;
    writeFileSync(path, readFileSync(path, 'utf8').replace('secret_env: TEST_SECRET', `secret: ${NEW_SECRET}`));
    const workers = serve.pids().filter((pid) => pid !== serve.pid);
    t.is(workers.length, 2);
    process.kill(workers[0]!, 'SIGKILL');
    // Worker ids count up from 1: the replacement is worker 3. Load until it has decided a few.
    let enough = false;
    const sent: ReturnType<typeof nas.send>[] = [];
    const load = paced(50, () => enough, (i) => sent.push(nas.send({ kind: 'access', userName: `nobody${i}`, password: 'not-a-password-1' })));
    await serve.logged('decisions by the replacement worker', (json) => json.event === 'decision' && json.worker === 3, 5, patient(30_000));
    enough = true;
    await load;
    const exchanges = await Promise.all(sent);
    t.is(exchanges.filter((exchange) => exchange.reply === undefined).length, 0, 'every request with the secret in force is answered, by either worker');
    t.is(nas.strayReplies, 0);
    const refused = await Promise.all(Array.from({ length: 16 }, (_, i) => newNas.send({ kind: 'access', userName: `other${i}`, password: 'not-a-password-1' })));
    t.is(refused.filter((exchange) => exchange.reply !== undefined).length, 0, 'the secret only written in the file works on no worker');
  } finally {
    await nas.close();
    await newNas.close();
    t.is(await serve.stop('SIGTERM'), 0);
    await stack.close();
  }
});
