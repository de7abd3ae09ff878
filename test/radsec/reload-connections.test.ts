import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { PacketCode } from '../../src/protocol/codes.js';
import { runCli } from '../../harness/cli.js';
import { accessRequest } from '../../harness/packets.js';
import { patient, REPLY_WAIT_MS } from '../../harness/patience.js';
import { freeTcpPort } from '../../harness/ports.js';
import { makeRadsecFiles, RADSEC_SECRET, radsecSection, TEST_PSK_HEX, tlsPeer, type TlsPeer } from '../../harness/radsec.js';
import { startStack } from '../../harness/stack.js';
import { addUserWithToken, issue } from '../../harness/users.js';

// RFC 6614 §2.4 and the issue: a reload (SIGHUP to `radgate serve`) renews the server
// certificate, the CRL and the PSK file for the connections to come; a connection already
// established keeps the identity it proved and goes on being answered, even when the new
// CRL revokes its certificate or the new PSK file changes its key — until it reconnects.

const NEW_PSK_HEX = 'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f';
const decisionBy = (client: string) => (json: Record<string, unknown>): boolean => json.event === 'decision' && json.client === client;
const isReloaded = (json: Record<string, unknown>): boolean => json.msg === 'configuration reloaded';

async function certs(...args: string[]): Promise<void> {
  const result = await runCli(['certs', ...args, '--json']);
  if (result.exitCode !== 0) throw new Error(result.stderr);
}

test('SIGHUP renews the certificate, CRL and PSK for new connections; established ones keep being answered until they reconnect', async (t) => {
  const files = await makeRadsecFiles();
  await certs('crl', '--dir', files.dir); // Nothing revoked yet.
  const port = await freeTcpPort();
  const stack = await startStack({ extra: radsecSection(files, { port, lines: `  crl_file: ${files.dir}/crl.pem\n` }) });
  try {
    const serve = await stack.startServe();
    await addUserWithToken(stack.admin, 'dora', '1357');
    const [code] = await issue(stack.admin, 'dora', { kind: 'emergency-tokencode' });
    let identifier = 0;
    /** One Access-Request for dora on `peer`, the code of the answer (undefined: none). */
    const login = async (peer: TlsPeer): Promise<number | undefined> => {
      peer.write(accessRequest({ secret: RADSEC_SECRET, identifier: ++identifier % 256, userName: 'dora', password: `1357${code!.code}` }));
      return (await peer.reply(REPLY_WAIT_MS))?.code;
    };
    const certificatePeer = { cert: readFileSync(files.client.cert), key: readFileSync(files.client.key) };
    const pskPeer = (hex: string) => ({
      maxVersion: 'TLSv1.2' as const,
      ciphers: 'ECDHE-PSK-AES128-CBC-SHA256',
      pskCallback: () => ({ identity: 'fr-psk', psk: Buffer.from(hex, 'hex') }),
      checkServerIdentity: () => undefined,
    });

    // Before: proxy1 (certificate) and fr-psk (the first key) each on a connection, answered.
    const proxy1 = await tlsPeer(port, certificatePeer);
    const psk = await tlsPeer(port, pskPeer(TEST_PSK_HEX));
    t.is(await login(proxy1), PacketCode.AccessAccept);
    t.is(await login(psk), PacketCode.AccessAccept);
    const oldServerSerial = proxy1.socket.getPeerCertificate().serialNumber;

    // Renew everything on disk: a new server certificate, a CRL revoking proxy1, a new key for fr-psk.
    await certs('server', 'localhost,127.0.0.1,::1', '--dir', files.dir, '--force');
    await certs('crl', '--dir', files.dir, '--revoke', files.client.cert);
    writeFileSync(join(files.dir, 'psk.txt'), `fr-psk:${NEW_PSK_HEX}\n`, { mode: 0o600 });
    process.kill(serve.pid, 'SIGHUP');
    await serve.logged('configuration reloaded', isReloaded, 1, patient(10_000));

    // The established connections: same sockets, still answered, with the identity they proved.
    t.false(proxy1.socket.destroyed);
    t.is(await login(proxy1), PacketCode.AccessAccept, 'the revoked client keeps its established connection');
    await serve.logged('the decision after the reload still names client proxy1', decisionBy('proxy1'), 2, patient(5000));
    t.is(await login(psk), PacketCode.AccessAccept, 'the old PSK keeps its established connection');

    // New connections: the new material.
    const fresh = await tlsPeer(port, pskPeer(NEW_PSK_HEX));
    t.not(fresh.socket.getPeerCertificate().serialNumber, oldServerSerial, 'the renewed server certificate');
    t.is(await login(fresh), PacketCode.AccessAccept, 'the new PSK works');
    fresh.close();
    t.false(await connectsAndIsAnswered(port, certificatePeer, login), 'proxy1, now revoked, is refused on a new connection');
    t.false(await connectsAndIsAnswered(port, pskPeer(TEST_PSK_HEX), login), 'the old PSK is refused on a new connection');
    // The new connection attempts did not disturb the old ones.
    t.is(await login(proxy1), PacketCode.AccessAccept);
    proxy1.close();
    psk.close();
  } finally {
    await stack.close();
  }
});

/** Whether a new connection with `options` gets through the handshake and an Access-Accept. */
async function connectsAndIsAnswered(port: number, options: Parameters<typeof tlsPeer>[1], login: (peer: TlsPeer) => Promise<number | undefined>): Promise<boolean> {
  let peer: TlsPeer;
  try {
    peer = await tlsPeer(port, options);
  } catch {
    return false; // Refused inside the handshake.
  }
  // TLS 1.3: the client's side of the handshake ends before the gateway checks it; then it closes.
  const answer = await login(peer);
  peer.close();
  return answer === PacketCode.AccessAccept;
}
