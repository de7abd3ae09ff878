/**
 * A private certificate authority for RADIUS over TLS, on node-forge: node:crypto reads
 * X.509 but cannot create it. node-forge signs certificates with RSA keys only (it has no
 * ECDSA), so every key is RSA 3072, NIST SP 800-57's equivalent of 128-bit security, which
 * is what ECDSA P-256 would have given (README "Design: certificates on node-forge").
 */
import forge from 'node-forge';

const { pki, md } = forge;

/** RSA modulus size: 3072 bits matches P-256's 128-bit security (NIST SP 800-57 Part 1, Table 2). */
export const KEY_BITS = 3072;

export interface KeyAndCertificate {
  /** PEM of the private key (PKCS#1). Written to a 0600 file, never printed. */
  readonly keyPem: string;
  readonly certificatePem: string;
}

export interface Issuer {
  readonly certificate: forge.pki.Certificate;
  readonly key: forge.pki.rsa.PrivateKey;
}

/** Alternative names of a server or client certificate, as `radgate certs` takes them. */
export interface AltNames {
  readonly dns: readonly string[];
  readonly ip: readonly string[];
}

/**
 * A random positive serial number of 16 octets: RFC 5280 §4.1.2.2 allows up to 20, and
 * CA/Browser Forum practice asks for at least 64 random bits so serials cannot be guessed.
 */
function randomSerial(): string {
  const bytes = forge.util.bytesToHex(forge.random.getBytesSync(16));
  // The top bit clear keeps the DER INTEGER positive; a non-zero first digit keeps it minimal.
  return ((parseInt(bytes[0]!, 16) % 7) + 1).toString(16) + bytes.slice(1);
}

function validity(certificate: forge.pki.Certificate, days: number, now: Date): void {
  // A minute back: a peer whose clock runs a little behind still accepts a fresh certificate.
  certificate.validity.notBefore = new Date(now.getTime() - 60_000);
  certificate.validity.notAfter = new Date(now.getTime() + days * 86_400_000);
}

function signed(
  subjectName: string,
  keys: forge.pki.rsa.KeyPair,
  issuer: Issuer | undefined,
  days: number,
  now: Date,
  extensions: object[],
): KeyAndCertificate {
  const certificate = pki.createCertificate();
  certificate.publicKey = keys.publicKey;
  certificate.serialNumber = randomSerial();
  validity(certificate, days, now);
  const subject = [{ name: 'commonName', value: subjectName }];
  certificate.setSubject(subject);
  certificate.setIssuer(issuer === undefined ? subject : issuer.certificate.subject.attributes);
  const authorityKeyId = (issuer?.certificate ?? certificate).generateSubjectKeyIdentifier().getBytes();
  certificate.setExtensions([...extensions, { name: 'subjectKeyIdentifier' }, { name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyId }]);
  certificate.sign(issuer?.key ?? keys.privateKey, md.sha256.create());
  return { keyPem: pki.privateKeyToPem(keys.privateKey), certificatePem: pki.certificateToPem(certificate) };
}

function newKeys(): forge.pki.rsa.KeyPair {
  // node-forge hands this to node:crypto's generateKeyPairSync when it is there (about a second).
  return pki.rsa.generateKeyPair({ bits: KEY_BITS, e: 0x10001 });
}

/** A self-signed CA that may sign certificates and CRLs, and nothing else (RFC 5280 §4.2.1.9). */
export function createCa(name: string, days: number, now = new Date()): KeyAndCertificate {
  return signed(name, newKeys(), undefined, days, now, [
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
}

function altNames(names: AltNames): object {
  // RFC 5280 §4.2.1.6: type 2 is dNSName, type 7 iPAddress.
  return { name: 'subjectAltName', altNames: [...names.dns.map((value) => ({ type: 2, value })), ...names.ip.map((ip) => ({ type: 7, ip }))] };
}

/**
 * An end-entity certificate: RFC 6614 §2.3 and the bis draft have peers check the
 * server's names against the subjectAltName, and a client's against its configured rule.
 */
export function issueCertificate(
  issuer: Issuer,
  purpose: 'server' | 'client',
  commonName: string,
  names: AltNames,
  days: number,
  now = new Date(),
): KeyAndCertificate {
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    purpose === 'server' ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
  ];
  if (names.dns.length + names.ip.length > 0) extensions.push(altNames(names));
  return signed(commonName, newKeys(), issuer, days, now, extensions);
}

/** The CA's certificate and key, from PEM (an RSA key, as `certs ca` writes it). */
export function readIssuer(certificatePem: string, keyPem: string): Issuer {
  return { certificate: pki.certificateFromPem(certificatePem), key: pki.privateKeyFromPem(keyPem) };
}
