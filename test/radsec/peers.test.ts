import type { TLSSocket } from 'node:tls';
import test from 'ava';
import type { RadsecClientConfig, RadsecConfig } from '../../src/config/types.js';
import { RadsecPeers } from '../../src/transport/radsec-peers.js';

// The rules that map an authenticated TLS session to a client, without a socket: a PSK
// session is identified by the rule its key came from, whatever reload came in between.

function pskClient(name: string, identity: string): RadsecClientConfig {
  return {
    identity: { kind: 'psk', identity, key: Buffer.alloc(32, 1) },
    address: undefined,
    radius: { name, address: '', secret: Buffer.from('radsec'), secretSource: 'test', requireMessageAuthenticator: true, limitProxyState: true, allowWeakSecret: true },
  };
}

function rules(clients: RadsecClientConfig[]): RadsecPeers {
  const config: RadsecConfig = { listen: [], certificate: undefined, key: undefined, crl: undefined, handshakeTimeoutMs: 5000, idleTimeoutMs: 600_000, maxConnections: 10, maxConnectionsPerClient: 10, maxHandshakesPerAddress: 10, clients };
  return new RadsecPeers(config);
}

/** A TLS 1.3 PSK session, as Node reports one. */
const pskSession = { getCipher: () => ({ name: 'TLS_AES_128_GCM_SHA256' }), getProtocol: () => 'TLSv1.3', isSessionReused: () => true } as unknown as TLSSocket;

test('a PSK identity removed by a reload during the handshake: the session keeps the client whose key it proved', (t) => {
  const before = rules([pskClient('old-name', 'fr-psk')]);
  const after = rules([pskClient('other', 'other-psk')]);
  const offered = { identity: 'fr-psk', peer: before.pskPeer('fr-psk') };
  const found = after.identify(pskSession, offered, '127.0.0.1');
  t.is(typeof found === 'string' ? found : found.radius.name, 'old-name');
});

test('a PSK session with no rule behind its key is refused, not a crash', (t) => {
  const peers = rules([pskClient('other', 'other-psk')]);
  t.is(peers.identify(pskSession, { identity: 'gone', peer: undefined }, '127.0.0.1'), 'unknown-psk');
});
