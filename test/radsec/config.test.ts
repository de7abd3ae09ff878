import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { readIssuer } from '../../src/certs/private-ca.js';
import { encodeRevocationList } from '../../src/certs/revocation-list.js';
import { ConfigError } from '../../src/config/errors.js';
import { MAX_TLS_FILE_BYTES } from '../../src/config/radsec-checks.js';
import { writeTestConfig } from '../../harness/config.js';
import { TEST_SECRET } from '../../harness/packets.js';
import { makeRadsecFiles, radsecSection, TEST_PSK_HEX } from '../../harness/radsec.js';

// The radsec section as the loader checks it: files read and validated once, a PSK that
// equals a UDP shared secret refused, problems named by key, never by value.

test('a PSK equal to a UDP client\'s shared secret is refused, and the message shows no key', async (t) => {
  const files = await makeRadsecFiles();
  writeFileSync(join(files.dir, 'psk.txt'), `fr-psk:${TEST_SECRET.toString('hex')}\n`);
  const error = t.throws(() => writeTestConfig('redis://127.0.0.1:1', { extra: radsecSection(files) }), { instanceOf: ConfigError });
  t.regex(error!.message, /PSK of identity "fr-psk" equals the shared secret of UDP client test-nas/);
  t.false(error!.message.includes(TEST_SECRET.toString('hex')));
  t.false(error!.message.includes(TEST_SECRET.toString()));
});

test('a client with both ca_file and psk_identity, and a missing CA file, are named with their keys', async (t) => {
  const files = await makeRadsecFiles();
  const clients = `    - name: both\n      ca_file: ${files.dir}/ca.pem\n      certificate_name: x\n      psk_identity: fr-psk\n    - name: missing\n      ca_file: ${files.dir}/nope.pem\n      certificate_name: x\n`;
  const error = t.throws(() => writeTestConfig('redis://127.0.0.1:1', { extra: radsecSection(files, { clients }) }), { instanceOf: ConfigError });
  t.regex(error!.message, /radsec\.clients\[2\].*exactly one of ca_file/);
  t.regex(error!.message, /radsec\.clients\[3\]\.ca_file.*cannot read/);
});

test('a valid section resolves: default secret radsec, listen on the given port', async (t) => {
  const files = await makeRadsecFiles();
  const { config } = writeTestConfig('redis://127.0.0.1:1', { extra: radsecSection(files, { port: 12083 }) });
  t.deepEqual(config.radsec!.listen, [{ host: '127.0.0.1', port: 12083, family: 4 }]);
  t.is(config.radsec!.clients[0]!.radius.secret.toString(), 'radsec');
  t.is(config.radsec!.clients[1]!.identity.kind, 'psk');
});

// RSA-3072 keys take a while to make: the file-size tests share one set (each writes its own file).
let shared: ReturnType<typeof makeRadsecFiles> | undefined;
const sharedFiles = (): ReturnType<typeof makeRadsecFiles> => (shared ??= makeRadsecFiles());

test('a CRL revoking 200 certificates (larger than a secret file) loads, and every revocation is in it', async (t) => {
  const files = await sharedFiles();
  const issuer = readIssuer(readFileSync(join(files.dir, 'ca.pem'), 'utf8'), readFileSync(join(files.dir, 'ca.key'), 'utf8'));
  const entries = Array.from({ length: 200 }, (_, i) => ({ serial: (0x1000 + i).toString(16), revokedAt: new Date() }));
  const path = join(files.dir, 'crl.pem');
  writeFileSync(path, encodeRevocationList(issuer, { number: 1, entries }, new Date(), new Date(Date.now() + 86_400_000)));
  t.true(statSync(path).size > 4096);
  const { config } = writeTestConfig('redis://127.0.0.1:1', { extra: radsecSection(files, { lines: `  crl_file: ${path}\n` }) });
  t.is(config.radsec!.crl!.length, 1);
  t.true(config.radsec!.crl![0]!.length > 4096, 'the whole list');
});

test('a CRL file over the bound is refused with its size, not read', async (t) => {
  const files = await sharedFiles();
  const path = join(files.dir, 'huge.pem');
  writeFileSync(path, Buffer.alloc(MAX_TLS_FILE_BYTES + 1, 0x41));
  const error = t.throws(() => writeTestConfig('redis://127.0.0.1:1', { extra: radsecSection(files, { lines: `  crl_file: ${path}\n` }) }), { instanceOf: ConfigError });
  t.regex(error!.message, new RegExp(`radsec\\.crl_file.*${MAX_TLS_FILE_BYTES + 1} bytes is too large for the CRL \\(at most ${MAX_TLS_FILE_BYTES}\\)`));
});

test.serial('a server key or PSK file that group or others may read is refused, naming the file and mode, never the content', async (t) => {
  const files = await sharedFiles();
  const key = join(files.dir, 'server.key');
  const psk = join(files.dir, 'psk.txt');
  try {
    chmodSync(key, 0o644);
    chmodSync(psk, 0o640);
    const error = t.throws(() => writeTestConfig('redis://127.0.0.1:1', { extra: radsecSection(files) }), { instanceOf: ConfigError });
    t.regex(error!.message, new RegExp(`radsec\\.key_file.*${key}: its mode 0644 lets group or others read it`));
    t.regex(error!.message, new RegExp(`radsec\\.psk_file.*${psk}: its mode 0640 lets group or others read it`));
    t.false(error!.message.includes('PRIVATE KEY'));
    t.false(error!.message.includes(TEST_PSK_HEX));
  } finally {
    chmodSync(key, 0o600);
    chmodSync(psk, 0o600);
  }
});
