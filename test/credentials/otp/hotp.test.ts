import test from 'ava';
import { hotp, totpStep, type OtpAlgorithm } from '../../../src/credentials/otp/hotp.js';

// RFC 4226 Appendix D: the secret is the ASCII string "12345678901234567890".
const RFC4226_SECRET = Buffer.from('12345678901234567890', 'ascii');

// RFC 4226 Appendix D, "Truncated" table: the 31-bit value after dynamic truncation
// (Decimal) and the 6-digit HOTP value, for counters 0 to 9.
//   Count  Hexadecimal  Decimal     HOTP
//   0      4c93cf18     1284755224  755224
//   1      41397eea     1094287082  287082
//   2       82fef30      137359152  359152
//   3      66ef7655     1726969429  969429
//   4      61c5938a     1640338314  338314
//   5      33c083d4      868254676  254676
//   6      7256c032     1918287922  287922
//   7       4e5b397       82162583  162583
//   8      2823443f      673399871  399871
//   9      2679dc69      645520489  520489
const RFC4226_VECTORS: readonly (readonly [counter: number, decimal: number, hotp: string])[] = [
  [0, 1284755224, '755224'],
  [1, 1094287082, '287082'],
  [2, 137359152, '359152'],
  [3, 1726969429, '969429'],
  [4, 1640338314, '338314'],
  [5, 868254676, '254676'],
  [6, 1918287922, '287922'],
  [7, 82162583, '162583'],
  [8, 673399871, '399871'],
  [9, 645520489, '520489'],
];

for (const [counter, , expected] of RFC4226_VECTORS) {
  test(`RFC 4226 Appendix D: HOTP for counter ${counter} is ${expected}`, (t) => {
    t.is(hotp(RFC4226_SECRET, counter, 6), expected);
    t.is(hotp(RFC4226_SECRET, counter, 6, 'sha1'), expected, 'SHA-1 is the default algorithm');
  });
}

test('RFC 4226 §5.3: dynamic truncation yields the 31-bit Decimal column (10 digits keep all of it)', (t) => {
  // 10^10 exceeds 2^31, so with 10 digits the modulo step is the identity and the
  // output is exactly Snum, zero-padded: this checks the offset and the top-bit mask.
  for (const [counter, decimal] of RFC4226_VECTORS) {
    t.is(hotp(RFC4226_SECRET, counter, 10), String(decimal).padStart(10, '0'), `counter ${counter}`);
  }
});

test('RFC 4226 §5.3: shorter codes are the low digits of the same value, zero-padded', (t) => {
  for (const [counter, decimal] of RFC4226_VECTORS) {
    for (const digits of [6, 7, 8]) {
      const code = hotp(RFC4226_SECRET, counter, digits);
      t.is(code.length, digits);
      t.regex(code, /^[0-9]+$/);
      t.is(Number(code), decimal % 10 ** digits, `counter ${counter}, ${digits} digits`);
    }
  }
  t.is(hotp(RFC4226_SECRET, 2, 9), '137359152');
  t.is(hotp(RFC4226_SECRET, 7, 9), '082162583', 'leading zero kept, RFC 4226 §5.3 Digit = Snum mod 10^Digit');
});

test('RFC 4226 §5.2: the counter is 8 bytes big-endian, so the high word counts', (t) => {
  // Counters 1 and 2^32 + 1 agree in the low 32 bits; an implementation that wrote only
  // four bytes would give the same code for both.
  t.not(hotp(RFC4226_SECRET, 2 ** 32 + 1, 10), hotp(RFC4226_SECRET, 1, 10));
  t.not(hotp(RFC4226_SECRET, 2 ** 40, 10), hotp(RFC4226_SECRET, 0, 10));
  t.is(hotp(RFC4226_SECRET, Number.MAX_SAFE_INTEGER, 6).length, 6);
});

test('hotp is deterministic and depends on the secret', (t) => {
  const other = Buffer.from('12345678901234567891', 'ascii');
  t.is(hotp(RFC4226_SECRET, 42, 6), hotp(Buffer.from(RFC4226_SECRET), 42, 6));
  t.not(hotp(other, 0, 10), hotp(RFC4226_SECRET, 0, 10));
});

// RFC 6238 Appendix B: TOTP with T0 = 0, X = 30 and 8 digits. The reference code seeds
// each mode with the ASCII digits "1234567890" repeated to the hash's length:
// 20 bytes for HMAC-SHA1, 32 for HMAC-SHA256, 64 for HMAC-SHA512 (the RFC text only
// names the 20-byte seed; its Java reference implementation uses seed32 and seed64).
//
//  +-------------+--------------+------------------+----------+--------+
//  |  Time (sec) |   UTC Time   | Value of T (hex) |   TOTP   |  Mode  |
//  +-------------+--------------+------------------+----------+--------+
//  |      59     |  1970-01-01  | 0000000000000001 | 94287082 |  SHA1  |
//  |             |   00:00:59   |                  |          |        |
//  |      59     |  1970-01-01  | 0000000000000001 | 46119246 | SHA256 |
//  |             |   00:00:59   |                  |          |        |
//  |      59     |  1970-01-01  | 0000000000000001 | 90693936 | SHA512 |
//  |             |   00:00:59   |                  |          |        |
//  |  1111111109 |  2005-03-18  | 00000000023523EC | 07081804 |  SHA1  |
//  |             |   01:58:29   |                  |          |        |
//  |  1111111109 |  2005-03-18  | 00000000023523EC | 68084774 | SHA256 |
//  |             |   01:58:29   |                  |          |        |
//  |  1111111109 |  2005-03-18  | 00000000023523EC | 25091201 | SHA512 |
//  |             |   01:58:29   |                  |          |        |
//  |  1111111111 |  2005-03-18  | 00000000023523ED | 14050471 |  SHA1  |
//  |             |   01:58:31   |                  |          |        |
//  |  1111111111 |  2005-03-18  | 00000000023523ED | 67062674 | SHA256 |
//  |             |   01:58:31   |                  |          |        |
//  |  1111111111 |  2005-03-18  | 00000000023523ED | 99943326 | SHA512 |
//  |             |   01:58:31   |                  |          |        |
//  |  1234567890 |  2009-02-13  | 000000000273EF07 | 89005924 |  SHA1  |
//  |             |   23:31:30   |                  |          |        |
//  |  1234567890 |  2009-02-13  | 000000000273EF07 | 91819424 | SHA256 |
//  |             |   23:31:30   |                  |          |        |
//  |  1234567890 |  2009-02-13  | 000000000273EF07 | 93441116 | SHA512 |
//  |             |   23:31:30   |                  |          |        |
//  |  2000000000 |  2033-05-18  | 0000000003F940AA | 69279037 |  SHA1  |
//  |             |   03:33:20   |                  |          |        |
//  |  2000000000 |  2033-05-18  | 0000000003F940AA | 90698825 | SHA256 |
//  |             |   03:33:20   |                  |          |        |
//  |  2000000000 |  2033-05-18  | 0000000003F940AA | 38618901 | SHA512 |
//  |             |   03:33:20   |                  |          |        |
//  | 20000000000 |  2603-10-11  | 0000000027BC86AA | 65353130 |  SHA1  |
//  |             |   11:33:20   |                  |          |        |
//  | 20000000000 |  2603-10-11  | 0000000027BC86AA | 77737706 | SHA256 |
//  |             |   11:33:20   |                  |          |        |
//  | 20000000000 |  2603-10-11  | 0000000027BC86AA | 47863826 | SHA512 |
//  |             |   11:33:20   |                  |          |        |
//  +-------------+--------------+------------------+----------+--------+
const RFC6238_SEEDS: Record<OtpAlgorithm, Buffer> = {
  sha1: Buffer.from('12345678901234567890', 'ascii'),
  sha256: Buffer.from('12345678901234567890123456789012', 'ascii'),
  sha512: Buffer.from('1234567890'.repeat(7).slice(0, 64), 'ascii'),
};

const RFC6238_VECTORS: readonly (readonly [seconds: number, stepHex: string, codes: Record<OtpAlgorithm, string>])[] = [
  [59, '0000000000000001', { sha1: '94287082', sha256: '46119246', sha512: '90693936' }],
  [1111111109, '00000000023523EC', { sha1: '07081804', sha256: '68084774', sha512: '25091201' }],
  [1111111111, '00000000023523ED', { sha1: '14050471', sha256: '67062674', sha512: '99943326' }],
  [1234567890, '000000000273EF07', { sha1: '89005924', sha256: '91819424', sha512: '93441116' }],
  [2000000000, '0000000003F940AA', { sha1: '69279037', sha256: '90698825', sha512: '38618901' }],
  [20000000000, '0000000027BC86AA', { sha1: '65353130', sha256: '77737706', sha512: '47863826' }],
];

test('RFC 6238 Appendix B seeds have the lengths of their hash outputs', (t) => {
  t.is(RFC6238_SEEDS.sha1.length, 20);
  t.is(RFC6238_SEEDS.sha256.length, 32);
  t.is(RFC6238_SEEDS.sha512.length, 64);
  t.is(RFC6238_SEEDS.sha512.toString('ascii'), '1234567890123456789012345678901234567890123456789012345678901234');
});

for (const [seconds, stepHex, codes] of RFC6238_VECTORS) {
  test(`RFC 6238 Appendix B: T for ${seconds} s is 0x${stepHex}`, (t) => {
    t.is(totpStep(seconds, 30), Number.parseInt(stepHex, 16));
  });
  for (const algorithm of ['sha1', 'sha256', 'sha512'] as const) {
    test(`RFC 6238 Appendix B: TOTP ${algorithm.toUpperCase()} at ${seconds} s is ${codes[algorithm]}`, (t) => {
      t.is(hotp(RFC6238_SEEDS[algorithm], totpStep(seconds, 30), 8, algorithm), codes[algorithm]);
    });
  }
}

test('RFC 6238 Appendix B at 59 s with SHA-1 agrees with RFC 4226 counter 1', (t) => {
  // T = 1 at 59 s and the SHA-1 seed is RFC 4226's secret: 94287082 ends in 287082.
  t.is(hotp(RFC4226_SECRET, totpStep(59, 30), 6), '287082');
});

test('RFC 6238 §4.2: T = floor((now - T0) / X) with T0 = 0', (t) => {
  t.is(totpStep(0, 30), 0);
  t.is(totpStep(29, 30), 0);
  t.is(totpStep(29.999, 30), 0, 'fractional seconds stay in the step');
  t.is(totpStep(30, 30), 1, 'a step boundary starts the next step');
  t.is(totpStep(59.999, 30), 1);
  t.is(totpStep(60, 30), 2);
  t.is(totpStep(119, 60), 1);
  t.is(totpStep(120, 60), 2);
  t.is(totpStep(1_700_000_000, 30), 56_666_666);
  t.is(totpStep(1_700_000_000, 10), 170_000_000);
  t.true(Number.isInteger(totpStep(Date.now() / 1000, 30)), 'milliseconds / 1000 still gives an integer step');
});

test('RFC 6238 §4.2: every second of a step maps to the same T', (t) => {
  const start = 1234567890 - (1234567890 % 30);
  for (let second = start; second < start + 30; second++) t.is(totpStep(second, 30), totpStep(start, 30));
  t.is(totpStep(start + 30, 30), totpStep(start, 30) + 1);
});
