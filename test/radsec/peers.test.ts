import type { TLSSocket } from 'node:tls';
import test from 'ava';
import type { RadsecClientConfig, RadsecConfig } from '../../src/config/types.js';
import { HandshakeRateLimit, rateSource } from '../../src/transport/handshake-admission.js';
import { RadsecPeers } from '../../src/transport/radsec-peers.js';

// The rules that map an authenticated TLS session to a client, without a socket: a PSK
// session is identified by the rule its key came from, whatever reload came in between.

function pskClient(name: string, identity: string, address?: string): RadsecClientConfig {
  return {
    identity: { kind: 'psk', identity, key: Buffer.alloc(32, 1) },
    address,
    radius: { name, address: '', secret: Buffer.from('radsec'), secretSource: 'test', requireMessageAuthenticator: true, limitProxyState: true, allowWeakSecret: true },
  };
}

function rules(clients: RadsecClientConfig[]): RadsecPeers {
  const config: RadsecConfig = { listen: [], certificate: undefined, key: undefined, crl: undefined, handshakeTimeoutMs: 5000, idleTimeoutMs: 600_000, maxConnections: 10, maxConnectionsPerClient: 10, maxHandshakesPerAddress: 10, maxHandshakesInProgress: 10, maxHandshakesPerSecond: 10, maxHandshakesPerSecondPerAddress: 10, clients };
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

test('when every client has an address rule, other addresses may not even begin a handshake', (t) => {
  const fenced = rules([pskClient('a', 'a', '192.0.2.0/24'), pskClient('b', 'b', '2001:db8::/32')]);
  t.true(fenced.mayConnectFrom('192.0.2.7'));
  t.true(fenced.mayConnectFrom('::ffff:192.0.2.7'));
  t.true(fenced.mayConnectFrom('2001:db8:1::5'));
  t.false(fenced.mayConnectFrom('198.51.100.1'));
  const open = rules([pskClient('a', 'a', '192.0.2.0/24'), pskClient('b', 'b')]);
  t.true(open.mayConnectFrom('198.51.100.1'), 'one client without an address rule: anyone may try');
});

test('handshake rates: per source (IPv6 by /64) and in total, per one-second window', (t) => {
  t.is(rateSource('::ffff:192.0.2.1'), '192.0.2.1');
  t.is(rateSource('2001:db8:0:1:aaaa::1'), rateSource('2001:db8::1:bbbb:0:0:2'));
  t.not(rateSource('2001:db8:0:1::1'), rateSource('2001:db8:0:2::1'));
  const limit = new HandshakeRateLimit();
  const rates = { perSecond: 5, perAddressPerSecond: 2 };
  t.deepEqual(['2001:db8:0:1::1', '2001:db8:0:1::2', '2001:db8:0:1::3'].map((a) => limit.admit(a, rates, 0)), ['ok', 'ok', 'address-rate-limited']);
  t.deepEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((a) => limit.admit(a, rates, 10)), ['ok', 'ok', 'ok', 'rate-limited']);
  t.is(limit.admit('2001:db8:0:1::9', rates, 1000), 'ok', 'a new second, a new window');
});
