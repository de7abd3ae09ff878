import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { runCli } from '../../harness/cli.js';
import { tempDir } from '../../harness/temp.js';

// `radgate certs crl` keeps the revocations already written: only a missing crl.pem starts a
// new list. A crl.pem it cannot use stops it, writing nothing, so that no revocation is
// ever undone by a rewrite from nothing.

async function certs(...args: string[]): Promise<void> {
  const result = await runCli(['certs', ...args, '--json']);
  if (result.exitCode !== 0) throw new Error(result.stderr);
}

/** A CA with two clients, the first revoked (crl.pem written). */
async function revokedOne(): Promise<string> {
  const dir = tempDir('certs-crl');
  await certs('ca', '--dir', dir);
  await Promise.all([certs('client', 'one', '--dir', dir), certs('client', 'two', '--dir', dir)]);
  await certs('crl', '--dir', dir, '--revoke', join(dir, 'one.pem'));
  return dir;
}

test('a crl.pem that is not a CRL stops certs crl (RADGATE_CERTS_INVALID): exit 1, the file left as it was', async (t) => {
  const dir = await revokedOne();
  const path = join(dir, 'crl.pem');
  writeFileSync(path, 'not a CRL\n');
  const result = await runCli(['certs', 'crl', '--dir', dir, '--revoke', join(dir, 'two.pem')]);
  t.is(result.exitCode, 1, result.stderr);
  t.regex(result.stderr, /crl\.pem is not a CRL of the CA.*nothing written/);
  t.is(readFileSync(path, 'utf8'), 'not a CRL\n');
});

test('a crl.pem that cannot be read (a directory) stops certs crl too, and names the error', async (t) => {
  const dir = tempDir('certs-crl-dir');
  await certs('ca', '--dir', dir);
  mkdirSync(join(dir, 'crl.pem'));
  const result = await runCli(['certs', 'crl', '--dir', dir]);
  t.is(result.exitCode, 1, result.stderr);
  t.regex(result.stderr, /cannot read the CRL .*crl\.pem: EISDIR; nothing written/);
});

test('without crl.pem the first list is written; with it, earlier revocations are kept', async (t) => {
  const dir = await revokedOne();
  const result = await runCli(['certs', 'crl', '--dir', dir, '--revoke', join(dir, 'two.pem'), '--json']);
  t.is(result.exitCode, 0, result.stderr);
  const written = JSON.parse(result.stdout) as { number: number; revoked: unknown[] };
  t.is(written.number, 2);
  t.is(written.revoked.length, 2);
});
