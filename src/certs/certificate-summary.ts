import { X509Certificate } from 'node:crypto';
import { CertificateFileError } from './certificate-files.js';

/** What `radgate certs show` prints of a certificate: never anything of a key but its kind. */
export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  readonly altNames: readonly string[];
  readonly notBefore: string;
  readonly notAfter: string;
  readonly expired: boolean;
  /** SHA-256 of the DER, as `openssl x509 -fingerprint -sha256` prints it. */
  readonly fingerprintSha256: string;
  readonly isCa: boolean;
  readonly keyType: string;
  readonly keyBits: number | undefined;
  readonly purposes: readonly string[];
}

/** OIDs of the extended key usages radgate cares about (RFC 5280 §4.2.1.12). */
const PURPOSES: Readonly<Record<string, string>> = { '1.3.6.1.5.5.7.3.1': 'serverAuth', '1.3.6.1.5.5.7.3.2': 'clientAuth' };

/**
 * Reads a certificate with node:crypto, which parses any X.509 (one made by OpenSSL with an
 * ECDSA key too), and summarises it. The first certificate of a PEM bundle is the one shown.
 */
export function summariseCertificate(pem: string | Buffer, path: string, now = new Date()): CertificateSummary {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw new CertificateFileError('RADGATE_CERTS_INVALID', `${path} is not a PEM certificate`);
  }
  const key = certificate.publicKey;
  return {
    subject: certificate.subject.replace(/\n/g, ', '),
    issuer: certificate.issuer.replace(/\n/g, ', '),
    serial: certificate.serialNumber.toLowerCase(),
    altNames: certificate.subjectAltName?.split(', ') ?? [],
    notBefore: new Date(certificate.validFrom).toISOString(),
    notAfter: new Date(certificate.validTo).toISOString(),
    expired: new Date(certificate.validTo) < now,
    fingerprintSha256: certificate.fingerprint256,
    isCa: certificate.ca,
    keyType: key.asymmetricKeyType ?? 'unknown',
    keyBits: key.asymmetricKeyDetails?.modulusLength,
    purposes: (certificate.keyUsage ?? []).map((oid) => PURPOSES[oid] ?? oid),
  };
}
