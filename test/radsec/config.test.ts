import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { ConfigError } from '../../src/config/errors.js';
import { writeTestConfig } from '../support/config.js';
import { TEST_SECRET } from '../support/packets.js';
import { makeRadsecFiles, radsecSection } from '../support/radsec.js';

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
