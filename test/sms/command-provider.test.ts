import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { CommandProvider } from '../../src/sms/command-provider.js';
import { SmsDeliveryError } from '../../src/sms/sms-error.js';
import { tempDir } from '../../harness/temp.js';
import { until } from '../../harness/until.js';
import { patient } from '../../harness/patience.js';

// The command provider runs a real program: the number and the message reach it on standard
// input and nowhere else (not its arguments, which /proc/PID/cmdline shows every local
// user); a non-zero exit and a program that hangs are failures, and a hanging one is killed
// with every process it started.

const NUMBER = '+4915112345678';
const TEXT = 'Your radgate authorization code: ABCD-1234-EF56. Valid until 2026-12-08 10:00 +00:00.';

/** An executable shell script in a fresh folder; `body` runs with that folder as $DIR. */
function script(body: string): { path: string; directory: string } {
  const directory = tempDir('sms-command');
  const path = join(directory, 'send-sms');
  writeFileSync(path, `#!/bin/sh\nDIR='${directory}'\n${body}\n`);
  chmodSync(path, 0o700);
  return { path, directory };
}

test('the number and the message arrive on stdin; the arguments are the configured ones alone; the environment is not the gateway\'s', async (t) => {
  const { path, directory } = script('cat > "$DIR/stdin"; printf "%s\\n" "$@" > "$DIR/args"; env > "$DIR/env"');
  // What a gateway's environment may hold: a RADIUS secret given by `secret_env`, say.
  process.env.RADGATE_TEST_NAS_SECRET = 'gateway-only-secret';
  try {
    await new CommandProvider({ path, args: ['--modem', '/dev/ttyUSB0'], timeoutMs: patient(5000) }).deliver(NUMBER, TEXT);
  } finally {
    delete process.env.RADGATE_TEST_NAS_SECRET;
  }
  t.is(readFileSync(join(directory, 'stdin'), 'utf8'), `${NUMBER}\n${TEXT}\n`);
  t.is(readFileSync(join(directory, 'args'), 'utf8'), '--modem\n/dev/ttyUSB0\n');
  const environment = readFileSync(join(directory, 'env'), 'utf8');
  t.false(environment.includes(NUMBER.slice(1)), 'the number is not in its environment');
  t.false(environment.includes('ABCD'), 'nor the code');
  t.false(environment.includes('gateway-only-secret'), "nor the gateway's own environment");
  t.regex(environment, /^PATH=/m, 'it can still find programs');
});

test('a non-zero exit is a failure that names the exit code, not what was sent', async (t) => {
  const { path } = script('cat > /dev/null; exit 3');
  const error = await t.throwsAsync(new CommandProvider({ path, args: [], timeoutMs: patient(5000) }).deliver(NUMBER, TEXT), { instanceOf: SmsDeliveryError });
  t.is(error!.message, `the SMS was not sent: ${path} exited with 3`);
});

test('a program that hangs is killed at the timeout, with the process it started', async (t) => {
  // It starts a helper in the background and waits for it: the helper must die too.
  const { path, directory } = script('sleep 300 & echo $! > "$DIR/helper"; wait');
  const error = await t.throwsAsync(new CommandProvider({ path, args: [], timeoutMs: 300 }).deliver(NUMBER, TEXT), { instanceOf: SmsDeliveryError });
  t.is(error!.message, `the SMS was not sent: ${path} did not finish within 300 ms and was killed`);
  const helper = Number(readFileSync(join(directory, 'helper'), 'utf8'));
  // Gone, or a zombie left for whoever reaps orphans: either way it runs no more.
  const gone = await until('the helper is gone', patient(5000), () => {
    try {
      return readFileSync(`/proc/${helper}/stat`, 'utf8').replace(/^.*\) /, '').startsWith('Z');
    } catch {
      return true;
    }
  });
  t.true(gone);
});

test('a program that cannot be started is a failure', async (t) => {
  const error = await t.throwsAsync(new CommandProvider({ path: '/nonexistent/send-sms', args: [], timeoutMs: 1000 }).deliver(NUMBER, TEXT), { instanceOf: SmsDeliveryError });
  t.is(error!.message, 'the SMS was not sent: could not start /nonexistent/send-sms (ENOENT)');
});
