import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { issueCertificate, readIssuer } from '../../src/certs/private-ca.js';
import { PacketCode } from '../../src/protocol/codes.js';
import type { Gateway } from '../../src/serve/gateway.js';
import type { HandshakeResult } from '../../src/transport/radsec-peers.js';
import { statusServer } from '../../harness/packets.js';
import { REPLY_WAIT_MS } from '../../harness/patience.js';
import { makeRadsecFiles, RADSEC_SECRET, radsecSection, TEST_PSK_HEX, tlsPeer, type RadsecFiles, runCerts } from '../../harness/radsec.js';
import { startStack, type Stack } from '../../harness/stack.js';
import { tempDir } from '../../harness/temp.js';
import { until } from '../../harness/until.js';

// Who may connect (RFC 6614 §2.4, the bis draft): a certificate from a configured CA with
// the configured name, or a known PSK identity with its key. Everything else is refused at
// the handshake, counted by its cause, and reaches no policy: no packet of it is read.

let files: RadsecFiles;
let stack: Stack;
let gateway: Gateway;
let port: number;
const pem = (path: string): Buffer => readFileSync(path);

const certs = runCerts;

test.before(async () => {
  files = await makeRadsecFiles();
  // A client this CA revoked, and a CRL that says so (radgate certs crl).
  await certs('client', 'revoked1', '--dir', files.dir);
  await certs('crl', '--dir', files.dir, '--revoke', join(files.dir, 'revoked1.pem'));
  stack = await startStack({ extra: radsecSection(files, { lines: `  crl_file: ${files.dir}/crl.pem\n` }) });
  gateway = await stack.startGateway();
  port = gateway.radsec!.addresses()[0]!.port;
});

test.after.always(async () => {
  await stack?.close();
});

/** Connects as `options` say and expects the gateway to close at once, counting `result`, having read nothing. */
async function refused(t: { is: (a: unknown, b: unknown, m?: string) => void; true: (v: boolean, m?: string) => void }, result: HandshakeResult, options: Parameters<typeof tlsPeer>[1]): Promise<void> {
  const counters = gateway.radsec!.counters;
  const before = counters.get('handshakes', result);
  const received = counters.get('received');
  try {
    const peer = await tlsPeer(port, options);
    // A TLS 1.3 client finishes its side before the server checks it: the gateway then closes.
    peer.write(statusServer({ secret: RADSEC_SECRET }));
    t.is(await peer.reply(REPLY_WAIT_MS), undefined, 'no answer');
    await peer.closed;
  } catch {
    // Refused inside the handshake (TLS 1.2, a PSK the gateway does not know): no connection at all.
  }
  await until(`handshake counted as ${result}`, REPLY_WAIT_MS, () => counters.get('handshakes', result) > before);
  t.is(counters.get('received'), received, 'no packet of a refused peer was read');
}

test.serial('a PSK peer is let in and its Status-Server answered (TLS 1.3, then TLS 1.2)', async (t) => {
  for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
    const peer = await tlsPeer(port, { maxVersion, pskCallback: () => ({ identity: 'fr-psk', psk: Buffer.from(TEST_PSK_HEX, 'hex') }), ciphers: 'TLS_AES_128_GCM_SHA256:ECDHE-PSK-AES128-CBC-SHA256', checkServerIdentity: () => undefined });
    peer.write(statusServer({ secret: RADSEC_SECRET }));
    t.is((await peer.reply())?.code, PacketCode.AccessAccept, maxVersion);
    t.is(peer.socket.alpnProtocol, false, 'no ALPN asked, none forced');
    peer.close();
  }
});

test.serial('ALPN radius/1.0 is offered', async (t) => {
  const peer = await tlsPeer(port, { cert: pem(files.client.cert), key: pem(files.client.key), ALPNProtocols: ['radius/1.0'] });
  t.is(peer.socket.alpnProtocol, 'radius/1.0');
  peer.write(statusServer({ secret: RADSEC_SECRET }));
  t.is((await peer.reply())?.code, PacketCode.AccessAccept);
  peer.close();
});

test.serial('a client certificate from another CA is refused: unknown-ca', async (t) => {
  const other = tempDir('other-ca');
  await certs('ca', '--dir', other);
  await certs('client', 'proxy1', '--dir', other);
  await refused(t, 'unknown-ca', { cert: pem(join(other, 'proxy1.pem')), key: pem(join(other, 'proxy1.key')) });
});

test.serial('an expired client certificate is refused: expired', async (t) => {
  const issuer = readIssuer(readFileSync(join(files.dir, 'ca.pem'), 'utf8'), readFileSync(join(files.dir, 'ca.key'), 'utf8'));
  const expired = issueCertificate(issuer, 'client', 'proxy1', { dns: ['proxy1'], ip: [] }, 1, new Date(Date.now() - 10 * 86_400_000));
  await refused(t, 'expired', { cert: expired.certificatePem, key: expired.keyPem });
});

test.serial('a revoked client certificate (radgate certs crl) is refused: revoked', async (t) => {
  await refused(t, 'revoked', { cert: pem(join(files.dir, 'revoked1.pem')), key: pem(join(files.dir, 'revoked1.key')) });
});

test.serial('a valid certificate whose name no client rule matches is refused: no-matching-client', async (t) => {
  await certs('client', 'stranger', '--dir', files.dir);
  await refused(t, 'no-matching-client', { cert: pem(join(files.dir, 'stranger.pem')), key: pem(join(files.dir, 'stranger.key')) });
});

test.serial('a certificate whose CN is the configured name but whose subjectAltNames are others is refused: no-matching-client (RFC 6125 §6.4.4)', async (t) => {
  const issuer = readIssuer(readFileSync(join(files.dir, 'ca.pem'), 'utf8'), readFileSync(join(files.dir, 'ca.key'), 'utf8'));
  const posing = issueCertificate(issuer, 'client', 'proxy1', { dns: ['not-proxy1'], ip: [] }, 1);
  await refused(t, 'no-matching-client', { cert: posing.certificatePem, key: posing.keyPem });
});

test.serial('no certificate and no PSK: no-certificate', async (t) => {
  await refused(t, 'no-certificate', {});
});

test.serial('an unknown PSK identity is refused: unknown-psk (TLS 1.3 and 1.2)', async (t) => {
  for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
    await refused(t, 'unknown-psk', { maxVersion, pskCallback: () => ({ identity: 'nobody', psk: Buffer.from(TEST_PSK_HEX, 'hex') }), ciphers: 'TLS_AES_128_GCM_SHA256:PSK-AES128-GCM-SHA256', checkServerIdentity: () => undefined });
  }
});

test.serial('a known PSK identity with the wrong key is refused: wrong-psk', async (t) => {
  await refused(t, 'wrong-psk', { pskCallback: () => ({ identity: 'fr-psk', psk: Buffer.alloc(32, 7) }), ciphers: 'TLS_AES_128_GCM_SHA256', checkServerIdentity: () => undefined });
});

test.serial('a PSK peer that tries to resume its TLS 1.3 session is still let in (no tickets: a full PSK handshake)', async (t) => {
  let session: Buffer | undefined;
  for (let i = 0; i < 2; i++) {
    const peer = await tlsPeer(port, { session, pskCallback: () => ({ identity: 'fr-psk', psk: Buffer.from(TEST_PSK_HEX, 'hex') }), ciphers: 'TLS_AES_128_GCM_SHA256', checkServerIdentity: () => undefined });
    peer.socket.on('session', (ticket: Buffer) => (session = ticket));
    peer.write(statusServer({ secret: RADSEC_SECRET }));
    t.is((await peer.reply())?.code, PacketCode.AccessAccept, `connection ${i + 1}`);
    peer.close();
  }
});
