import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { runCli } from '../../harness/cli.js';

test('keys init writes 32 bytes with mode 0600 and refuses to overwrite without --force', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'radgate-keys-')), 'radgate.key');
  const created = await runCli(['keys', 'init', '--file', file]);
  t.is(created.exitCode, 0, created.stderr);
  t.is(statSync(file).size, 32);
  t.is(statSync(file).mode & 0o777, 0o600);
  const original = readFileSync(file);

  const again = await runCli(['keys', 'init', '--file', file]);
  t.is(again.exitCode, 1);
  t.regex(again.stderr, /already exists.*--force/);
  t.deepEqual(readFileSync(file), original, 'the key is untouched');

  const forced = await runCli(['keys', 'init', '--file', file, '--force', '--json']);
  t.is(forced.exitCode, 0);
  t.deepEqual(JSON.parse(forced.stdout), { file, bytes: 32, mode: '0600' });
  t.notDeepEqual(readFileSync(file), original);
});

test('keys init takes the path from RADGATE_KEY_FILE', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'radgate-keys-')), 'from-env.key');
  const result = await runCli(['keys', 'init'], { env: { RADGATE_KEY_FILE: file } });
  t.is(result.exitCode, 0, result.stderr);
  t.is(statSync(file).size, 32);
});

test('serve without a key file stops and says how to create one', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'radgate-keys-'));
  const config = join(directory, 'radgate.yaml');
  writeFileSync(config, `listen: ["127.0.0.1:0"]\nclients:\n  - name: local\n    address: 127.0.0.1\n    secret: a-long-enough-shared-secret\nredis:\n  url: redis://127.0.0.1:1\nkeys:\n  file: ./missing.key\n`);
  const result = await runCli(['serve', '--config', config]);
  t.is(result.exitCode, 1);
  t.regex(result.stderr, /cannot read the key file .*missing\.key: ENOENT\. Create one with `radgate keys init`/);
});
