import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { runCli } from '../../harness/cli.js';
import { SECRET_ENV } from '../../harness/config.js';
import { RADGATE_BIN } from '../../harness/paths.js';
import { startServerProcess } from '../../harness/processes.js';
import { startTestRedis, type TestRedis } from '../../harness/redis.js';
import { tempDir } from '../../harness/temp.js';

// `config check` runs exactly the validation `serve` runs, and both report every problem of
// the file at once: a file that passes the check starts, and one that fails it fails `serve`
// with the same lines. Each is run as the operator runs it, as a subprocess.

let redis: TestRedis;

test.before(async () => {
  redis = await startTestRedis();
});

test.after.always(async () => {
  await redis.stop();
});

/** A config for the test Redis; `redisUrl` and `extra` (top-level YAML) make it wrong. */
function writeConfig(options: { redisUrl?: string; extra?: string } = {}): string {
  const directory = tempDir('check');
  const path = join(directory, 'radgate.yaml');
  writeFileSync(
    path,
    `listen: ["127.0.0.1:0"]
workers: 1
clients:
  - name: test-nas
    address: 127.0.0.1
    secret_env: TEST_SECRET
redis:
  url: "${options.redisUrl ?? redis.url}"
keys:
  file: ./radgate.key
  create_if_missing: true
ops:
  listen: "127.0.0.1:0"
${options.extra ?? ''}`,
  );
  return path;
}

/**
 * `radgate serve` on the file: its exit code and output once it exits, or `started` (and
 * it is stopped) once it logs "ready", which a file that fails the check must never reach.
 */
function serveOutcome(path: string, env: NodeJS.ProcessEnv = {}): Promise<{ started: boolean; exitCode: number | null; output: string }> {
  return new Promise((resolve) => {
    let started = false;
    const server = startServerProcess(process.execPath, [RADGATE_BIN, 'serve', '--config', path], {
      env: { ...process.env, ...SECRET_ENV, ...env },
      onLine: (line) => {
        if (!line.includes('"msg":"ready"')) return;
        started = true;
        void server.stop();
      },
    });
    void server.exited.then((exitCode) => resolve({ started, exitCode, output: server.output().join('\n') }));
  });
}

const check = (path: string, env: NodeJS.ProcessEnv = {}) => runCli(['config', 'check', '--config', path], { env: { ...SECRET_ENV, ...env } });

test('the valid file passes config check and serve starts with it', async (t) => {
  const path = writeConfig();
  const checked = await check(path);
  t.is(checked.exitCode, 0, checked.stderr);
  t.regex(checked.stdout, /: OK$/m);
  t.true((await serveOutcome(path)).started);
});

test('redis.url "http://…" fails config check, serve and doctor alike, with its line and without its password', async (t) => {
  const path = writeConfig({ redisUrl: 'http://admin:hunter2@127.0.0.1:6379' });
  const line = `${path}:8: redis.url: must start with redis://, rediss://, unix://, redis+sentinel:// or redis+cluster://`;
  const checked = await check(path);
  t.is(checked.exitCode, 1);
  t.is(checked.stderr, `radgate: ${line}\n`);
  const served = await serveOutcome(path);
  t.false(served.started);
  t.is(served.exitCode, 1);
  t.true(served.output.includes(line), served.output);
  const doctor = await runCli(['doctor', '--config', path], { env: SECRET_ENV });
  t.is(doctor.exitCode, 1);
  t.true(doctor.stdout.includes(`FAIL  config: ${line}`), doctor.stdout);
  for (const output of [checked.stderr, served.output, doctor.stdout]) t.false(output.includes('hunter2'));
});

test('RADGATE_REDIS_URL replaces redis.url, so config check names the variable when it is wrong', async (t) => {
  const path = writeConfig();
  const checked = await check(path, { RADGATE_REDIS_URL: 'localhost:6379' });
  t.is(checked.exitCode, 1);
  t.is(checked.stderr, `radgate: ${path}: RADGATE_REDIS_URL: must start with redis://, rediss://, unix://, redis+sentinel:// or redis+cluster:// (the variable replaces redis.url)\n`);
  t.false((await serveOutcome(path, { RADGATE_REDIS_URL: 'localhost:6379' })).started);
});

test('a default lifetime no issue could use fails config check and serve, instead of every issue later', async (t) => {
  const cases: [string, string][] = [
    ['  online_authcode:\n    lifetime: 40d\n', 'codes.online_authcode.lifetime: an authorization code is valid 1 to 31 days, or 1month'],
    ['  online_authcode:\n    lifetime: 12h\n', 'codes.online_authcode.lifetime: an authorization code is valid 1 to 31 days, or 1month'],
    ['  emergency_tokencode:\n    lifetime: 5w\n', 'codes.emergency_tokencode.lifetime: a code lives at most 31 days or 1month (asked for 35d)'],
    ['  emergency_passcode:\n    lifetime: 0h\n', 'codes.emergency_passcode.lifetime: "0h" is not a positive lifetime'],
  ];
  for (const [codes, problem] of cases) {
    const path = writeConfig({ extra: `codes:\n${codes}` });
    const line = `${path}:16: ${problem}`;
    const checked = await check(path);
    t.is(checked.exitCode, 1, problem);
    t.is(checked.stderr, `radgate: ${line}\n`);
    const served = await serveOutcome(path);
    t.false(served.started, problem);
    t.true(served.output.includes(line), served.output);
  }
  const fine = writeConfig({ extra: 'codes:\n  online_authcode:\n    lifetime: 1month\n  emergency_tokencode:\n    lifetime: 31d\n' });
  t.is((await check(fine)).exitCode, 0);
});

test('every problem of the file is reported in one pass, schema and loader alike, in file order', async (t) => {
  const directory = tempDir('check');
  const path = join(directory, 'radgate.yaml');
  writeFileSync(
    path,
    `listen: ["127.0.0.1:0", "nowhere:port"]
clients:
  - name: test-nas
    address: 10.0.0.1/24
    secret_env: TEST_SECRET
  - name: bad name
    address: 127.0.0.2
    secret_env: TEST_SECRET
redis:
  url: "http://127.0.0.1:6379"
policy:
  max_failures: 500
codes:
  online_authcode:
    lifetime: 40d
challenge:
  validities: [1d, 40d]
replies:
  emergency:
    - name: No-Such-Attribute
      value: 1
`,
  );
  const expected = [
    `${path}:1: listen[1]: "nowhere:port" is not "IP:PORT", "[IPv6]:PORT", "IP" or ":PORT" (hostnames are not resolved)`,
    `${path}:4: clients[0].address: "10.0.0.1/24" has host bits set; write 10.0.0.0/24`,
    `${path}:6: clients[1].name: must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, not "bad name"`,
    `${path}:10: redis.url: must start with redis://, rediss://, unix://, redis+sentinel:// or redis+cluster://`,
    `${path}:12: policy.max_failures: must be at most 100, not 500`,
    `${path}:15: codes.online_authcode.lifetime: an authorization code is valid 1 to 31 days, or 1month`,
    `${path}:17: challenge.validities[1]: "40d" is not 1d to 31d or 1month`,
    `${path}:20: replies.emergency[0].name: unknown attribute "No-Such-Attribute" (not in the loaded dictionaries)`,
  ];
  const checked = await check(path);
  t.is(checked.exitCode, 1);
  t.deepEqual(checked.stderr.replace(/^radgate: /, '').trimEnd().split('\n'), expected);
  const served = await serveOutcome(path);
  t.false(served.started);
  t.is(served.exitCode, 1);
  t.deepEqual(served.output.replace(/^radgate: /, '').split('\n'), expected, 'serve reports exactly what config check does');
});
