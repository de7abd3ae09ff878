import test from 'ava';
import { decodeBase32, encodeBase32 } from '../../../src/credentials/otp/base32.js';
import { hotp, totpStep } from '../../../src/credentials/otp/hotp.js';
import { otpauthUri, type OtpauthParameters } from '../../../src/credentials/otp/otpauth-uri.js';

// Google Authenticator "Key Uri Format":
//   otpauth://TYPE/LABEL?PARAMETERS, LABEL = issuer ":" accountname (both URL-encoded,
//   the colon literal), parameters secret (base32, required), issuer, algorithm,
//   digits, counter (required for hotp), period (totp, default 30).

const SECRET = encodeBase32(Buffer.from('12345678901234567890', 'ascii'));

const base: OtpauthParameters = {
  type: 'totp',
  issuer: 'Example Co',
  account: 'alice',
  secret: SECRET,
  digits: 6,
  algorithm: 'sha1',
};

/** The label as an app reads it: the path after the type, percent-decoded, split at the literal colon. */
function labelOf(uri: string): { issuer: string; account: string; rawLabel: string } {
  const url = new URL(uri);
  const rawLabel = url.pathname.replace(/^\//, '');
  const parts = rawLabel.split(':');
  if (parts.length !== 2) throw new Error(`label ${rawLabel} does not have exactly one literal colon`);
  return { issuer: decodeURIComponent(parts[0]!), account: decodeURIComponent(parts[1]!), rawLabel };
}

test('a TOTP URI parses with new URL and carries every parameter', (t) => {
  const uri = otpauthUri({ ...base, period: 60, digits: 8, algorithm: 'sha256' });
  const url = new URL(uri);
  t.is(url.protocol, 'otpauth:');
  t.is(url.host, 'totp');
  t.deepEqual(labelOf(uri), { issuer: 'Example Co', account: 'alice', rawLabel: 'Example%20Co:alice' });
  t.is(url.searchParams.get('secret'), SECRET);
  t.is(url.searchParams.get('issuer'), 'Example Co');
  t.is(url.searchParams.get('algorithm'), 'SHA256');
  t.is(url.searchParams.get('digits'), '8');
  t.is(url.searchParams.get('period'), '60');
  t.false(url.searchParams.has('counter'), 'counter is for hotp only');
  t.is(url.hash, '');
});

test('TOTP period defaults to 30 seconds (RFC 6238 §5.2 recommended X)', (t) => {
  const url = new URL(otpauthUri(base));
  t.is(url.searchParams.get('period'), '30');
});

test('an HOTP URI carries counter, defaulting to 0, and no period', (t) => {
  const withCounter = new URL(otpauthUri({ ...base, type: 'hotp', counter: 17 }));
  t.is(withCounter.host, 'hotp');
  t.is(withCounter.searchParams.get('counter'), '17');
  t.false(withCounter.searchParams.has('period'));
  const defaulted = new URL(otpauthUri({ ...base, type: 'hotp' }));
  t.is(defaulted.searchParams.get('counter'), '0');
  // period is ignored for hotp even if given
  t.false(new URL(otpauthUri({ ...base, type: 'hotp', period: 60 })).searchParams.has('period'));
});

test('algorithm names are upper case as apps expect', (t) => {
  for (const [algorithm, name] of [
    ['sha1', 'SHA1'],
    ['sha256', 'SHA256'],
    ['sha512', 'SHA512'],
  ] as const) {
    t.is(new URL(otpauthUri({ ...base, algorithm })).searchParams.get('algorithm'), name);
  }
});

test('account names with spaces and @ are percent-encoded in the label', (t) => {
  const uri = otpauthUri({ ...base, account: 'alice smith@corp.example' });
  const { rawLabel, issuer, account } = labelOf(uri);
  t.is(rawLabel, 'Example%20Co:alice%20smith%40corp.example');
  t.false(rawLabel.includes(' '));
  t.false(rawLabel.includes('@'));
  t.is(issuer, 'Example Co');
  t.is(account, 'alice smith@corp.example');
  t.false(uri.includes(' '), 'no raw space anywhere in the URI');
});

test('a colon, slash, ?, # or & in issuer or account cannot break the label or the query', (t) => {
  const uri = otpauthUri({ ...base, issuer: 'ACME: R&D #1', account: 'CORP\\bob:x/y?z=1' });
  const url = new URL(uri);
  t.deepEqual(labelOf(uri).issuer, 'ACME: R&D #1');
  t.deepEqual(labelOf(uri).account, 'CORP\\bob:x/y?z=1');
  t.is(url.searchParams.get('issuer'), 'ACME: R&D #1');
  t.is(url.searchParams.get('secret'), SECRET);
  t.is(url.hash, '');
  t.is([...url.searchParams.keys()].sort().join(','), 'algorithm,digits,issuer,period,secret');
});

test('non-ASCII issuer and account survive as UTF-8 percent-encoding', (t) => {
  const uri = otpauthUri({ ...base, issuer: 'Société Générale', account: 'jürgen' });
  t.regex(uri, /^[\x21-\x7e]+$/, 'the URI is printable ASCII, fit for a QR code');
  t.deepEqual(labelOf(uri).issuer, 'Société Générale');
  t.deepEqual(labelOf(uri).account, 'jürgen');
  t.is(new URL(uri).searchParams.get('issuer'), 'Société Générale');
});

test('an app that scans the URI computes the same codes as the gateway', (t) => {
  // RFC 6238 Appendix B: SHA-1 seed at 1111111109 s gives 07081804 with 8 digits.
  const uri = otpauthUri({ ...base, digits: 8 });
  const url = new URL(uri);
  const secret = decodeBase32(url.searchParams.get('secret')!)!;
  const period = Number(url.searchParams.get('period'));
  const digits = Number(url.searchParams.get('digits'));
  t.is(hotp(secret, totpStep(1111111109, period), digits), '07081804');
});

// The Key Uri Format wants the issuer "URL-encoded according to RFC 3986" (its example:
// issuer=Big%20Corporation); form encoding's '+' is shown literally by Google Authenticator
// and others. new URL() decodes '+' to a space, so only the raw text shows the difference.
test('a space in the issuer parameter is written %20, not +', (t) => {
  const uri = otpauthUri(base);
  const query = uri.slice(uri.indexOf('?') + 1);
  t.true(query.includes('issuer=Example%20Co'), query);
  t.false(query.includes('+'), query);
});
