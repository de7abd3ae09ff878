import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { PacketCode } from '../../src/protocol/codes.js';
import type { Gateway } from '../../src/serve/gateway.js';
import { statusServer } from '../../harness/packets.js';
import { REPLY_WAIT_MS } from '../../harness/patience.js';
import { makeRadsecFiles, RADSEC_SECRET, radsecSection, tlsPeer, type RadsecFiles, runCerts } from '../../harness/radsec.js';
import { startStack, type Stack } from '../../harness/stack.js';
import { tempDir } from '../../harness/temp.js';
import { until } from '../../harness/until.js';

// Revocation with more than one CA: crl_file holds one CRL per CA (as OpenSSL's CRLfile
// does), and every one of them is in force, not only the first.

let files: RadsecFiles;
let other: string;
let stack: Stack;
let gateway: Gateway;
let port: number;
const pem = (path: string): Buffer => readFileSync(path);

const certs = runCerts;

test.before(async () => {
  files = await makeRadsecFiles();
  other = tempDir('second-ca');
  await certs('ca', '--dir', other);
  await Promise.all([certs('client', 'revoked1', '--dir', files.dir), certs('client', 'proxy2', '--dir', other), certs('client', 'revoked2', '--dir', other)]);
  await certs('crl', '--dir', files.dir, '--revoke', join(files.dir, 'revoked1.pem'));
  await certs('crl', '--dir', other, '--revoke', join(other, 'revoked2.pem'));
  const both = join(files.dir, 'crls.pem');
  writeFileSync(both, Buffer.concat([pem(join(files.dir, 'crl.pem')), pem(join(other, 'crl.pem'))]));
  const clients = `    - name: proxy2\n      ca_file: ${other}/ca.pem\n      certificate_name: proxy2\n`;
  stack = await startStack({ extra: radsecSection(files, { lines: `  crl_file: ${both}\n`, clients }) });
  gateway = await stack.startGateway();
  port = gateway.radsec!.addresses()[0]!.port;
});

test.after.always(async () => {
  await stack?.close();
});

async function answered(cert: string, key: string): Promise<boolean> {
  try {
    const peer = await tlsPeer(port, { cert: pem(cert), key: pem(key) });
    peer.write(statusServer({ secret: RADSEC_SECRET }));
    const reply = await peer.reply(REPLY_WAIT_MS);
    peer.close();
    return reply?.code === PacketCode.AccessAccept;
  } catch {
    return false;
  }
}

test.serial('two CAs, their two CRLs in one file: both good clients are answered', async (t) => {
  t.true(await answered(files.client.cert, files.client.key), 'proxy1 (first CA)');
  t.true(await answered(join(other, 'proxy2.pem'), join(other, 'proxy2.key')), 'proxy2 (second CA)');
});

test.serial('two CAs, their two CRLs in one file: the revoked client of each is refused as revoked', async (t) => {
  const counters = gateway.radsec!.counters;
  const before = counters.get('handshakes', 'revoked');
  t.false(await answered(join(files.dir, 'revoked1.pem'), join(files.dir, 'revoked1.key')), 'revoked1 (first CA)');
  t.false(await answered(join(other, 'revoked2.pem'), join(other, 'revoked2.key')), 'revoked2 (second CA)');
  await until('both counted as revoked', REPLY_WAIT_MS, () => counters.get('handshakes', 'revoked') >= before + 2);
  t.pass();
});
