import { constants } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { DEFAULT_CIPHERS, type DetailedPeerCertificate, type SecureContextOptions, type TLSSocket } from 'node:tls';
import { cidrContains, parseCidr, type Cidr } from '../config/cidr.js';
import type { RadsecClientConfig, RadsecConfig } from '../config/types.js';
import { ipv6ToBuffer } from '../protocol/dictionary/values.js';

/** How a handshake ended, for the metrics and the log (a bounded set). */
export type HandshakeResult =
  | 'ok'
  | 'unknown-ca'
  | 'expired'
  | 'revoked'
  | 'crl-problem'
  | 'invalid-certificate'
  | 'no-certificate'
  | 'no-matching-client'
  | 'address-not-allowed'
  | 'unknown-psk'
  | 'wrong-psk'
  | 'timeout'
  | 'protocol-error'
  | 'over-capacity'
  | 'handshakes-over-capacity'
  | 'rate-limited'
  | 'address-rate-limited'
  | 'unknown-address'
  | 'client-over-capacity';

/**
 * TLS 1.3 suites with SHA-256 first: OpenSSL's PSK callback (which Node uses) works in TLS
 * 1.3 only with a SHA-256 suite. For TLS 1.2, the PSK suites (ephemeral ECDHE first, for
 * forward secrecy, as the bis draft recommends) and Node's defaults, which exclude PSK.
 * A certificate peer offers no PSK suite, so their place first costs it nothing.
 */
export const RADSEC_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-PSK-AES256-CBC-SHA384',
  'ECDHE-PSK-AES128-CBC-SHA256',
  'ECDHE-PSK-CHACHA20-POLY1305',
  'PSK-AES256-GCM-SHA384',
  'PSK-AES128-GCM-SHA256',
  ...DEFAULT_CIPHERS.split(':').filter((suite) => !suite.startsWith('TLS_') && suite !== '!PSK'),
].join(':');

/** RFC 6614 §2.1 and the bis draft: ALPN "radius/1.0" is RADIUS/TLS with MD5 authenticators. */
export const RADSEC_ALPN = ['radius/1.0'];

/** A PSK identity's rule: matched in the PSK callback, kept with the handshake until it ends. */
export interface PskPeer {
  readonly client: RadsecClientConfig;
  readonly key: Buffer;
  readonly network: Cidr | undefined;
}

/** What a peer offered in the PSK callback, and the rule its identity matched then (if any). */
export interface OfferedPsk {
  readonly identity: string;
  readonly peer: PskPeer | undefined;
}

interface CertificatePeer {
  readonly client: RadsecClientConfig;
  readonly caFingerprint: string;
  readonly name: string;
  readonly network: Cidr | undefined;
}

/** OpenSSL's verification errors (X509_V_ERR_*, as Node names them) by what they mean to an admin. */
function certificateRefusal(code: string): HandshakeResult {
  if (code === 'CERT_REVOKED') return 'revoked';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return 'expired';
  if (code.includes('CRL')) return 'crl-problem';
  if (/ISSUER|SELF_SIGNED|UNABLE_TO_VERIFY_LEAF_SIGNATURE/.test(code)) return 'unknown-ca';
  return 'invalid-certificate';
}

function addressBytes(address: string): Buffer {
  const plain = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
  return isIPv4(plain) ? Buffer.from(plain.split('.').map(Number)) : ipv6ToBuffer(plain.replace(/%.*$/, ''));
}

/** RFC 6125 §6.4.3 in short: exact (case-insensitive), or `*.` standing for one whole left-most label. */
function nameMatches(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  if (!p.startsWith('*.')) return p === n;
  const dot = n.indexOf('.');
  return dot > 0 && n.slice(dot) === p.slice(1);
}

/**
 * The names a certificate is known by: its subjectAltName values (DNS, IP, URI, email), or
 * its subject CN when it has none. RFC 6125 §6.4.4: a CN is only looked at when the
 * certificate carries no subjectAltName identifier, so a certificate whose CA let a
 * requester choose the CN freely but fixed the SANs cannot pass as another peer by its CN.
 */
function namesOf(certificate: DetailedPeerCertificate): string[] {
  const names: string[] = [];
  for (const entry of (certificate.subjectaltname ?? '').split(', ')) {
    const colon = entry.indexOf(':');
    if (colon > 0) names.push(entry.slice(colon + 1));
  }
  if (names.length > 0) return names;
  const cn = certificate.subject?.CN;
  return Array.isArray(cn) ? [...cn] : cn === undefined ? [] : [cn];
}

/**
 * Who may connect, made once per configuration: the TLS context (the gateway's certificate,
 * every client CA, the CRL) and the rules that map an authenticated peer to a client. A
 * connection keeps the client it was matched to until it closes, whatever reload comes.
 */
export class RadsecPeers {
  /** The TLS settings: the listener is made with them, and given them again after a reload. */
  readonly contextOptions: SecureContextOptions;
  private readonly psk = new Map<string, PskPeer>();
  private readonly certificates: CertificatePeer[] = [];
  /** When every client has an address rule: the networks a connection may come from at all. */
  private readonly networks: readonly Cidr[] | undefined;

  constructor(readonly config: RadsecConfig) {
    for (const client of config.clients) {
      const network = client.address === undefined ? undefined : parseCidr(client.address);
      if (client.identity.kind === 'psk') this.psk.set(client.identity.identity, { client, key: client.identity.key, network });
      else this.certificates.push({ client, caFingerprint: client.identity.caFingerprint, name: client.identity.certificateName, network });
    }
    const networks = config.clients.map((client) => (client.address === undefined ? undefined : parseCidr(client.address)));
    this.networks = networks.every((network) => network !== undefined) ? (networks as Cidr[]) : undefined;
    this.contextOptions = {
      ...(config.certificate === undefined ? {} : { cert: config.certificate, key: config.key }),
      ...(config.crl === undefined ? {} : { crl: [...config.crl] }),
      ca: this.certificates.map((peer) => (peer.client.identity as { ca: Buffer }).ca),
      // The bis draft: TLS 1.2 at least, 1.3 preferred (Node negotiates the highest both have).
      minVersion: 'TLSv1.2',
      ciphers: RADSEC_CIPHERS,
      honorCipherOrder: true,
      // No session tickets, so no resumption: a TLS 1.3 resumption skips the PSK callback
      // (a resuming PSK peer would be refused as having no certificate), and a resumed
      // session would skip the CA, CRL and client checks of the configuration now in force.
      // A NAS reconnects rarely; a full handshake each time costs little.
      secureOptions: constants.SSL_OP_NO_TICKET,
    };
  }

  /**
   * False when no client could be matched from this address (every client has an address
   * rule, none covers it): the socket is then closed before a handshake is spent on it.
   */
  mayConnectFrom(address: string): boolean {
    if (this.networks === undefined) return true;
    const bytes = addressBytes(address);
    return this.networks.some((network) => cidrContains(network, bytes));
  }

  /** The rule of a PSK identity, or undefined (the handshake then fails: unknown identity). */
  pskPeer(identity: string): PskPeer | undefined {
    return this.psk.get(identity);
  }

  /**
   * The client an established TLS session belongs to, or why none: a PSK session by its
   * identity; a certificate session by the CA that issued the chain, then the name rule,
   * then the source address, first matching client winning.
   *
   * A PSK session is identified by the rule its key came from (`offered.peer`), not by
   * looking its identity up again: a reload (SIGHUP) between the PSK callback and the end of
   * the handshake may have removed or renamed that identity in these rules.
   */
  identify(socket: TLSSocket, offered: OfferedPsk | undefined, address: string): RadsecClientConfig | HandshakeResult {
    const cipher = socket.getCipher();
    const usedPsk = offered !== undefined && (cipher.name.includes('PSK') || (socket.getProtocol() === 'TLSv1.3' && socket.isSessionReused()));
    if (offered !== undefined && !usedPsk) return offered.peer !== undefined ? 'wrong-psk' : 'unknown-psk';
    if (usedPsk) {
      const peer = offered.peer;
      if (peer === undefined) return 'unknown-psk';
      return peer.network === undefined || cidrContains(peer.network, addressBytes(address)) ? peer.client : 'address-not-allowed';
    }
    const certificate = socket.getPeerCertificate(true);
    if (certificate === null || Object.keys(certificate).length === 0) return 'no-certificate';
    if (socket.authorizationError !== null && socket.authorizationError !== undefined) return certificateRefusal(String(socket.authorizationError));
    const chain = new Set<string>();
    for (let issuer = certificate.issuerCertificate; issuer !== undefined && !chain.has(issuer.fingerprint256); issuer = issuer.issuerCertificate) chain.add(issuer.fingerprint256);
    const names = namesOf(certificate);
    let addressRefused = false;
    for (const peer of this.certificates) {
      if (!chain.has(peer.caFingerprint) || !names.some((name) => nameMatches(peer.name, name))) continue;
      if (peer.network === undefined || cidrContains(peer.network, addressBytes(address))) return peer.client;
      addressRefused = true;
    }
    return addressRefused ? 'address-not-allowed' : 'no-matching-client';
  }
}
