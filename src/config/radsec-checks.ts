/**
 * The `radsec` section's checks (RFC 6614, draft-ietf-radext-radiusdtls-bis): listen
 * addresses, the certificate, key, CRL and PSK files, and each client's identity. Files are
 * read here, once per load: a reload (SIGHUP) that reads them again is how new
 * certificates, keys, CRLs and PSKs come into force, and a file that cannot be used leaves
 * the running ones in force.
 */
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { resolve } from 'node:path';
import { CidrError, parseCidr } from './cidr.js';
import type { ConfigErrorCode } from './errors.js';
import { ListenError, parseListen } from './listen.js';
import type { KeyPath } from './locate.js';
import type { RawRadsec, RawRadsecClient } from './schema.js';
import { readBoundedFile } from './secrets.js';
import type { ClientConfig, ListenAddress, RadsecClientConfig, RadsecConfig, RadsecIdentity } from './types.js';

/** RFC 6614 §2.1: the port IANA assigned to RADIUS over TLS. */
export const DEFAULT_RADSEC_PORT = 2083;

/** RFC 6614 §2.3: every RADIUS/TLS packet's authenticators use this secret. */
export const RADSEC_SECRET = Buffer.from('radsec');

/** The bis draft asks for PSKs of at least 128 bits of entropy. */
const MIN_PSK_BYTES = 16;

/**
 * Certificates, CA bundles, CRLs (a CA that revokes a few hundred certificates writes tens
 * of kilobytes) and PSK files: far above any real one, small enough that a wrong path (a
 * log, a disk image) is an error rather than a start-up that reads gigabytes.
 */
export const MAX_TLS_FILE_BYTES = 1024 * 1024;

type Report = (code: ConfigErrorCode, path: KeyPath, problem: string) => void;

function readFile(path: string, key: KeyPath, report: Report, what: string, secret = false): Buffer | undefined {
  const contents = readBoundedFile(path, { maxBytes: MAX_TLS_FILE_BYTES, what, private: secret });
  if (typeof contents !== 'string') return contents;
  report('RADGATE_CONFIG_INVALID', key, `cannot read ${what} ${path}: ${contents}`);
  return undefined;
}

const CRL_BLOCK = /-----BEGIN X509 CRL-----[\s\S]*?-----END X509 CRL-----/g;

/**
 * Every PEM CRL of a file. Node's `crl` option given one Buffer reads only its first CRL,
 * so a file holding one CRL per CA (as OpenSSL's CRLfile does) would revoke nothing of the
 * second CA: each block is passed on its own.
 */
function readCrls(path: string, report: Report): Buffer[] | undefined {
  const key: KeyPath = ['radsec', 'crl_file'];
  const text = readFile(path, key, report, 'the CRL');
  if (text === undefined) return undefined;
  const blocks = text.toString('latin1').match(CRL_BLOCK) ?? [];
  if (blocks.length === 0) {
    report('RADGATE_CONFIG_INVALID', key, `${path} holds no PEM CRL (-----BEGIN X509 CRL-----); radgate certs crl writes one`);
    return undefined;
  }
  return blocks.map((block) => Buffer.from(`${block}\n`, 'latin1'));
}

/** "IDENTITY:HEXKEY" lines (stunnel's PSKsecrets format); a problem never quotes a key. */
function readPskFile(path: string, report: Report): Map<string, Buffer> | undefined {
  const key: KeyPath = ['radsec', 'psk_file'];
  const text = readFile(path, key, report, 'the PSK file', true);
  if (text === undefined) return undefined;
  const keys = new Map<string, Buffer>();
  let ok = true;
  text.toString('utf8').split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const colon = line.indexOf(':');
    const identity = line.slice(0, colon).trim();
    const hex = line.slice(colon + 1).trim();
    if (colon < 1 || !/^([0-9a-fA-F]{2})+$/.test(hex)) {
      report('RADGATE_CONFIG_SECRET', key, `${path} line ${index + 1} is not IDENTITY:HEXKEY (the key in hexadecimal)`);
      ok = false;
    } else if (hex.length / 2 < MIN_PSK_BYTES) {
      report('RADGATE_CONFIG_SECRET', key, `${path} line ${index + 1}: the key of ${JSON.stringify(identity)} is shorter than ${MIN_PSK_BYTES} bytes; make one with: openssl rand -hex 32`);
      ok = false;
    } else if (keys.has(identity)) {
      report('RADGATE_CONFIG_SECRET', key, `${path} line ${index + 1}: identity ${JSON.stringify(identity)} appears twice`);
      ok = false;
    } else keys.set(identity, Buffer.from(hex, 'hex'));
  });
  return ok ? keys : undefined;
}

function listen(raw: readonly string[], report: Report): ListenAddress[] {
  const out: ListenAddress[] = [];
  raw.forEach((text, i) => {
    try {
      // parseListen's default port is RADIUS/UDP's; an address alone here means 2083.
      const addresses = parseListen(text);
      out.push(...(/\]?:\d+$/.test(text) ? addresses : addresses.map((address) => ({ ...address, port: DEFAULT_RADSEC_PORT }))));
    } catch (error) {
      if (!(error instanceof ListenError)) throw error;
      report('RADGATE_CONFIG_INVALID', ['radsec', 'listen', i], error.message);
    }
  });
  return out;
}

function certificateIdentity(client: RawRadsecClient, i: number, baseDir: string, report: Report): RadsecIdentity | undefined {
  if (client.certificate_name === undefined) {
    report('RADGATE_CONFIG_INVALID', ['radsec', 'clients', i, 'ca_file'], "needs certificate_name: the name the peer's certificate must carry (a subjectAltName, or its subject CN when it has none)");
    return undefined;
  }
  const path = resolve(baseDir, client.ca_file!);
  const ca = readFile(path, ['radsec', 'clients', i, 'ca_file'], report, 'the CA certificate');
  if (ca === undefined) return undefined;
  try {
    const certificate = new X509Certificate(ca);
    if (!certificate.ca) throw new Error('not a CA');
    return { kind: 'certificate', ca, caFingerprint: certificate.fingerprint256, certificateName: client.certificate_name };
  } catch {
    report('RADGATE_CONFIG_INVALID', ['radsec', 'clients', i, 'ca_file'], `${path} is not a PEM CA certificate (radgate certs ca writes one)`);
    return undefined;
  }
}

/**
 * The section, resolved; undefined when absent or when it has a problem (reported).
 * `udpClients` are the UDP clients: a PSK equal to one of their shared secrets is refused,
 * since a secret known to every NAS of a site must not also open the TLS side.
 */
export function resolveRadsec(raw: RawRadsec | undefined, baseDir: string, udpClients: readonly ClientConfig[], report: Report): RadsecConfig | undefined {
  if (raw === undefined) return undefined;
  const before = { problems: 0 };
  const counting: Report = (...args) => {
    before.problems++;
    report(...args);
  };
  const addresses = listen(raw.listen, counting);
  const pskKeys = raw.psk_file === undefined ? undefined : readPskFile(resolve(baseDir, raw.psk_file), counting);
  const clients: RadsecClientConfig[] = [];
  const names = new Set(udpClients.map((client) => client.name));
  raw.clients.forEach((client, i) => {
    const at = (key: string): KeyPath => ['radsec', 'clients', i, key];
    if (names.has(client.name)) counting('RADGATE_CONFIG_INVALID', at('name'), `${JSON.stringify(client.name)} is already a client's name; names must be unique (they label logs and metrics)`);
    names.add(client.name);
    if (client.address !== undefined) {
      try {
        parseCidr(client.address);
      } catch (error) {
        if (!(error instanceof CidrError)) throw error;
        counting('RADGATE_CONFIG_INVALID', at('address'), error.message);
      }
    }
    let identity: RadsecIdentity | undefined;
    if ((client.ca_file === undefined) === (client.psk_identity === undefined)) {
      counting('RADGATE_CONFIG_INVALID', ['radsec', 'clients', i], 'set exactly one of ca_file (mutual TLS) and psk_identity (TLS-PSK)');
    } else if (client.ca_file !== undefined) {
      identity = certificateIdentity(client, i, baseDir, counting);
    } else if (pskKeys !== undefined || raw.psk_file === undefined) {
      const key = pskKeys?.get(client.psk_identity!);
      if (key === undefined) counting('RADGATE_CONFIG_SECRET', at('psk_identity'), raw.psk_file === undefined ? 'needs radsec.psk_file, which holds its key' : `${JSON.stringify(client.psk_identity)} is not in radsec.psk_file`);
      else identity = { kind: 'psk', identity: client.psk_identity!, key };
    }
    if (identity === undefined) return;
    clients.push({
      identity,
      address: client.address,
      radius: {
        name: client.name,
        address: client.address ?? '',
        secret: RADSEC_SECRET,
        secretSource: 'the fixed secret radsec (RFC 6614 §2.3)',
        requireMessageAuthenticator: client.require_message_authenticator,
        limitProxyState: client.limit_proxy_state,
        allowWeakSecret: true,
      },
    });
  });
  for (const [identity, key] of pskKeys ?? []) {
    const clash = udpClients.find((client) => client.secret.equals(key) || client.secret.equals(Buffer.from(key.toString('hex'))) || client.secret.equals(Buffer.from(key.toString('hex').toUpperCase())));
    if (clash !== undefined) counting('RADGATE_CONFIG_SECRET', ['radsec', 'psk_file'], `the PSK of identity ${JSON.stringify(identity)} equals the shared secret of UDP client ${clash.name}; give TLS-PSK a key of its own`);
  }
  const needsCertificate = clients.some((client) => client.identity.kind === 'certificate');
  const certificate = raw.certificate_file === undefined ? undefined : readFile(resolve(baseDir, raw.certificate_file), ['radsec', 'certificate_file'], counting, 'the server certificate');
  const key = raw.key_file === undefined ? undefined : readFile(resolve(baseDir, raw.key_file), ['radsec', 'key_file'], counting, 'the server key', true);
  const crl = raw.crl_file === undefined ? undefined : readCrls(resolve(baseDir, raw.crl_file), counting);
  if (needsCertificate && (raw.certificate_file === undefined || raw.key_file === undefined)) {
    counting('RADGATE_CONFIG_INVALID', ['radsec'], 'clients with ca_file need certificate_file and key_file: the gateway\'s own certificate (radgate certs server)');
  }
  if ((certificate === undefined) !== (key === undefined) && before.problems === 0) {
    counting('RADGATE_CONFIG_INVALID', ['radsec'], 'set certificate_file and key_file together');
  }
  if (before.problems > 0) return undefined;
  try {
    // What the listener will do with them, done once here: a key that does not match its
    // certificate, or a CRL that does not parse, is a config problem, not a failed start.
    createSecureContext({
      ...(certificate === undefined ? {} : { cert: certificate, key }),
      ...(crl === undefined ? {} : { crl }),
      ca: clients.flatMap((client) => (client.identity.kind === 'certificate' ? [client.identity.ca] : [])),
    });
  } catch (error) {
    report('RADGATE_CONFIG_INVALID', ['radsec', crl === undefined ? 'key_file' : 'crl_file'], `the certificate, key and CRL cannot be used together: ${(error as Error).message}`);
    return undefined;
  }
  return {
    listen: addresses,
    certificate,
    key,
    crl,
    handshakeTimeoutMs: raw.handshake_timeout_ms,
    idleTimeoutMs: raw.idle_timeout_seconds * 1000,
    maxConnections: raw.max_connections,
    maxConnectionsPerClient: raw.max_connections_per_client,
    maxHandshakesPerAddress: raw.max_handshakes_per_address,
    maxHandshakesInProgress: raw.max_handshakes_in_progress,
    maxHandshakesPerSecond: raw.max_handshakes_per_second,
    maxHandshakesPerSecondPerAddress: raw.max_handshakes_per_second_per_address,
    clients,
  };
}
