import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { runCli } from '../../harness/cli.js';
import { startServeProcess } from '../../harness/serve-process.js';
import { TEST_SECRET } from '../../harness/packets.js';
import { radclient } from '../../harness/radclient.js';

function writeConfig(text: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'radgate-cli-'));
  const path = join(directory, 'radgate.yaml');
  writeFileSync(path, text);
  return path;
}

// No redis.url: serve runs its own redis-server under the data directory (the embedded
// default the quick start relies on), and creates the key file it is told to.
const VALID = `listen:
  - "127.0.0.1:0"
clients:
  - name: local
    address: 127.0.0.1
    secret_env: RADGATE_TEST_SECRET
redis:
  embedded:
    data_dir: ./redis
keys:
  file: ./radgate.key
  create_if_missing: true
ops:
  listen: "127.0.0.1:0"
`;

test('serve (embedded Redis, demo user) answers a real radclient and stops with exit 0 on SIGTERM', async (t) => {
  const config = writeConfig(VALID);
  const serve = await startServeProcess(config, { serveArgs: ['--demo'], env: { RADGATE_TEST_SECRET: TEST_SECRET.toString() } });
  const { port } = serve;
  const output = () => serve.lines.join('\n');
  const status = await radclient(`127.0.0.1:${port}`, 'status', 'Message-Authenticator = 0x00\n', TEST_SECRET);
  t.is(status.exitCode, 0, status.output);
  // The demo prints a radtest line with a fresh passcode; the same credentials log in.
  const passcode = /radtest demo (\S+) /.exec(output())?.[1];
  t.truthy(passcode);
  const login = await radclient(`127.0.0.1:${port}`, 'auth', `User-Name = "demo", User-Password = "${passcode}", Message-Authenticator = 0x00\n`, TEST_SECRET);
  t.is(login.exitCode, 0, login.output);
  t.is(await serve.stop('SIGTERM'), 0);
  t.regex(output(), /"msg":"stopped"/);
  t.false(output().includes(TEST_SECRET.toString()), 'the secret is never logged');
  t.false(output().includes(`"${passcode}"`), 'the passcode appears only in the demo text, not in a log line');
});

test('config check: a valid file exits 0 and summarises without the secret', async (t) => {
  const config = writeConfig(VALID);
  const result = await runCli(['config', 'check', '--config', config], { env: { RADGATE_TEST_SECRET: TEST_SECRET.toString() } });
  t.is(result.exitCode, 0, result.stderr);
  t.regex(result.stdout, /OK/);
  t.regex(result.stdout, /secret from env RADGATE_TEST_SECRET/);
  t.false(result.stdout.includes(TEST_SECRET.toString()));
  const json = await runCli(['config', 'check', '--json', '--config', config], { env: { RADGATE_TEST_SECRET: TEST_SECRET.toString() } });
  t.is((JSON.parse(json.stdout) as { clients: { name: string }[] }).clients[0]!.name, 'local');
});

test('config check: a broken file exits 1 naming the line and the key', async (t) => {
  const config = writeConfig(VALID.replace('address: 127.0.0.1', 'address: 10.0.0.1/24'));
  const result = await runCli(['config', 'check', '--config', config], { env: { RADGATE_TEST_SECRET: TEST_SECRET.toString() } });
  t.is(result.exitCode, 1);
  t.regex(result.stderr, /radgate\.yaml:5: clients\[0\]\.address: .*host bits set; write 10\.0\.0\.0\/24/);
});

test('serve with a broken config exits 1 before binding anything', async (t) => {
  const config = writeConfig(VALID.replace('secret_env: RADGATE_TEST_SECRET', 'secret: short'));
  const result = await runCli(['serve', '--config', config]);
  t.is(result.exitCode, 1);
  t.regex(result.stderr, /shorter than 16 characters/);
  t.false(result.stderr.includes('short\n'));
});

test('usage errors exit 2 with a hint; --help exits 0', async (t) => {
  const unknown = await runCli(['frobnicate']);
  t.is(unknown.exitCode, 2);
  t.regex(unknown.stderr, /Unknown argument: frobnicate/);
  t.regex(unknown.stderr, /radgate --help/);
  const help = await runCli(['--help']);
  t.is(help.exitCode, 0);
  t.regex(help.stdout, /radgate serve/);
  const checkHelp = await runCli(['config', 'check', '--help']);
  t.regex(checkHelp.stdout, /Examples:/);
});

test('no config anywhere: exit 2 and say how to provide one', async (t) => {
  const result = await runCli(['config', 'check'], { env: { RADGATE_CONFIG: '' } });
  // The repository root has no radgate.yaml and CI has no /etc/radgate.
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /pass --config FILE/);
});
