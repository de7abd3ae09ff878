/**
 * Certificate revocation lists (RFC 5280 §5), written by hand in ASN.1 because node-forge
 * has no CRL support. OpenSSL (and so Node's `crl` option) checks a client certificate
 * against the CRL of its issuer: once a CRL file is configured, every client CA needs one,
 * empty if nothing is revoked (README "RadSec").
 */
import forge from 'node-forge';
import type { Issuer } from './private-ca.js';

const { asn1, pki, md, util } = forge;
const { Class, Type } = asn1;

const OID_SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const OID_CRL_NUMBER = '2.5.29.20';
const OID_AUTHORITY_KEY_ID = '2.5.29.35';

export interface RevokedEntry {
  /** The certificate's serial number, hex, as node-forge and `certs show` print it. */
  readonly serial: string;
  readonly revokedAt: Date;
}

export interface RevocationList {
  readonly number: number;
  readonly entries: readonly RevokedEntry[];
}

const sequence = (children: forge.asn1.Asn1[]): forge.asn1.Asn1 => asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, children);
const oid = (id: string): forge.asn1.Asn1 => asn1.create(Class.UNIVERSAL, Type.OID, false, asn1.oidToDer(id).getBytes());
const integerBytes = (bytes: string): forge.asn1.Asn1 => asn1.create(Class.UNIVERSAL, Type.INTEGER, false, bytes);
const octets = (bytes: string): forge.asn1.Asn1 => asn1.create(Class.UNIVERSAL, Type.OCTETSTRING, false, bytes);

/** RFC 5280 §5.1.2.4: UTCTime through 2049, GeneralizedTime after. */
function time(date: Date): forge.asn1.Asn1 {
  return date.getUTCFullYear() < 2050
    ? asn1.create(Class.UNIVERSAL, Type.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(Class.UNIVERSAL, Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

function serialBytes(hex: string): string {
  const even = hex.length % 2 === 0 ? hex : `0${hex}`;
  const bytes = util.hexToBytes(even);
  // A DER INTEGER is signed: a leading octet with its top bit set needs a zero before it.
  return bytes.charCodeAt(0) & 0x80 ? `\x00${bytes}` : bytes;
}

/** A signed CRL in PEM: version 2, with the CRL number and the issuer's key id (RFC 5280 §5.2.1, §5.2.3). */
export function encodeRevocationList(issuer: Issuer, list: RevocationList, thisUpdate: Date, nextUpdate: Date): string {
  const algorithm = sequence([oid(OID_SHA256_WITH_RSA), asn1.create(Class.UNIVERSAL, Type.NULL, false, '')]);
  const keyId = issuer.certificate.generateSubjectKeyIdentifier().getBytes();
  const extensions = asn1.create(Class.CONTEXT_SPECIFIC, 0, true, [
    sequence([
      sequence([oid(OID_CRL_NUMBER), octets(asn1.toDer(integerBytes(asn1.integerToDer(list.number).getBytes())).getBytes())]),
      sequence([oid(OID_AUTHORITY_KEY_ID), octets(asn1.toDer(sequence([asn1.create(Class.CONTEXT_SPECIFIC, 0, false, keyId)])).getBytes())]),
    ]),
  ]);
  const revoked = list.entries.map((entry) => sequence([integerBytes(serialBytes(entry.serial)), time(entry.revokedAt)]));
  const tbs = sequence([
    integerBytes(asn1.integerToDer(1).getBytes()), // v2 (RFC 5280 §5.1.2.1): extensions follow
    algorithm,
    pki.distinguishedNameToAsn1(issuer.certificate.subject),
    time(thisUpdate),
    time(nextUpdate),
    ...(revoked.length > 0 ? [sequence(revoked)] : []),
    extensions,
  ]);
  const digest = md.sha256.create();
  digest.update(asn1.toDer(tbs).getBytes());
  const signature = issuer.key.sign(digest);
  const der = asn1.toDer(sequence([tbs, algorithm, asn1.create(Class.UNIVERSAL, Type.BITSTRING, false, `\x00${signature}`)])).getBytes();
  return forge.pem.encode({ type: 'X509 CRL', body: der });
}

/**
 * The entries and number of a CRL this module wrote, so that revoking one more certificate
 * keeps the earlier ones. Undefined when the file is not such a CRL of `issuer`.
 */
export function decodeRevocationList(pem: string, issuer: Issuer): RevocationList | undefined {
  try {
    const [message] = forge.pem.decode(pem);
    if (message?.type !== 'X509 CRL') return undefined;
    const tbs = (asn1.fromDer(message.body).value as forge.asn1.Asn1[])[0]!;
    const fields = tbs.value as forge.asn1.Asn1[];
    const issuerDer = asn1.toDer(fields[2]!).getBytes();
    if (issuerDer !== asn1.toDer(pki.distinguishedNameToAsn1(issuer.certificate.subject)).getBytes()) return undefined;
    const entries: RevokedEntry[] = [];
    let number = 0;
    for (const field of fields.slice(5)) {
      if (field.tagClass === Class.UNIVERSAL && field.type === Type.SEQUENCE) {
        for (const entry of field.value as forge.asn1.Asn1[]) {
          const [serial, when] = entry.value as forge.asn1.Asn1[];
          const hex = util.bytesToHex(serial!.value as string).replace(/^00(?=[89a-f])/, '');
          const date = when!.type === Type.UTCTIME ? asn1.utcTimeToDate(when!.value as string) : asn1.generalizedTimeToDate(when!.value as string);
          entries.push({ serial: hex, revokedAt: date });
        }
      } else if (field.tagClass === Class.CONTEXT_SPECIFIC) {
        for (const extension of ((field.value as forge.asn1.Asn1[])[0]!.value as forge.asn1.Asn1[])) {
          const [id, value] = extension.value as forge.asn1.Asn1[];
          if (asn1.derToOid(id!.value as string) !== OID_CRL_NUMBER) continue;
          number = asn1.derToInteger((asn1.fromDer(value!.value as string).value as string));
        }
      }
    }
    return { number, entries };
  } catch {
    return undefined;
  }
}
