import { randomBytes } from 'node:crypto';
import test from 'ava';
import { decodeBase32, encodeBase32 } from '../../../src/credentials/otp/base32.js';

// RFC 4648 §10 test vectors, shown there with '=' padding. Authenticator apps use the
// unpadded form (Google Authenticator Key URI Format), so encodeBase32 emits none.
const RFC4648_VECTORS: readonly (readonly [plain: string, padded: string])[] = [
  ['', ''],
  ['f', 'MY======'],
  ['fo', 'MZXQ===='],
  ['foo', 'MZXW6==='],
  ['foob', 'MZXW6YQ='],
  ['fooba', 'MZXW6YTB'],
  ['foobar', 'MZXW6YTBOI======'],
];

const ALPHABET = /^[A-Z2-7]*$/;

for (const [plain, padded] of RFC4648_VECTORS) {
  const unpadded = padded.replace(/=+$/, '');
  test(`RFC 4648 §10: BASE32(${JSON.stringify(plain)}) = ${JSON.stringify(unpadded)} (no padding)`, (t) => {
    t.is(encodeBase32(Buffer.from(plain, 'ascii')), unpadded);
  });
  test(`RFC 4648 §10: ${JSON.stringify(padded)} decodes to ${JSON.stringify(plain)}, padded or not`, (t) => {
    t.deepEqual(decodeBase32(unpadded), Buffer.from(plain, 'ascii'));
    t.deepEqual(decodeBase32(padded), Buffer.from(plain, 'ascii'));
  });
}

test('RFC 6238 Appendix B seed and a common authenticator example', (t) => {
  t.is(encodeBase32(Buffer.from('12345678901234567890', 'ascii')), 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  t.deepEqual(decodeBase32('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'), Buffer.from('12345678901234567890', 'ascii'));
  t.deepEqual(decodeBase32('JBSWY3DPEHPK3PXP'), Buffer.from('48656c6c6f21deadbeef', 'hex'));
  t.is(encodeBase32(Buffer.from('48656c6c6f21deadbeef', 'hex')), 'JBSWY3DPEHPK3PXP');
});

test('RFC 4648 §6: every 5-bit group maps to its alphabet symbol', (t) => {
  // The 160-bit string 00000 00001 00010 ... 11111 (20 bytes) encodes to the alphabet in order.
  const bits = Array.from({ length: 32 }, (_, i) => i.toString(2).padStart(5, '0')).join('');
  const bytes = Buffer.from(Array.from({ length: 20 }, (_, i) => Number.parseInt(bits.slice(i * 8, i * 8 + 8), 2)));
  t.is(encodeBase32(bytes), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567');
  t.deepEqual(decodeBase32('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'), bytes);
});

test('round trip for every length 0–80 and all-zero / all-one bytes', (t) => {
  for (let length = 0; length <= 80; length++) {
    for (const bytes of [randomBytes(length), Buffer.alloc(length, 0x00), Buffer.alloc(length, 0xff)]) {
      const text = encodeBase32(bytes);
      t.is(text.length, Math.ceil((length * 8) / 5), `length ${length}`);
      t.regex(text, ALPHABET);
      t.deepEqual(decodeBase32(text), bytes);
    }
  }
});

test('round trip of 2,000 random buffers, including long ones', (t) => {
  for (let i = 0; i < 2000; i++) {
    const bytes = randomBytes(i % 50 === 0 ? 4096 : i % 97);
    const text = encodeBase32(bytes);
    t.regex(text, ALPHABET);
    const back = decodeBase32(text);
    if (back === undefined || !back.equals(bytes)) {
      t.fail(`round trip failed for ${bytes.toString('hex')}`);
      return;
    }
  }
  t.pass();
});

test('decoding is lenient as authenticator apps are: case, spaces, hyphens, padding', (t) => {
  const foobar = Buffer.from('foobar', 'ascii');
  for (const text of [
    'mzxw6ytboi',
    'MzXw6YtBoI',
    'MZXW 6YTB OI',
    ' MZXW6YTBOI ',
    'MZXW\t6YTB\nOI',
    'MZXW-6YTB-OI',
    'mzxw-6ytb oi',
    'MZXW6YTBOI======',
    'mzxw 6ytb oi== ====',
  ]) {
    t.deepEqual(decodeBase32(text), foobar, JSON.stringify(text));
  }
  // A 20-byte secret as apps show it: lower case in groups of four.
  t.deepEqual(decodeBase32('gezd gnbv gy3t qojq gezd gnbv gy3t qojq'), Buffer.from('12345678901234567890', 'ascii'));
});

test('characters outside the RFC 4648 §6 alphabet give undefined', (t) => {
  for (const text of [
    '0', // the digits 0, 1, 8, 9 are not in the alphabet (look-alikes of O, I, B, g)
    '1',
    '8',
    '9',
    'MZXW6YTB0I',
    'MZXW6YTB1I',
    'MZXW6!',
    'MZXW6.YTBOI',
    'MZXW_6YTBOI',
    'MZXW+6YTB/OI', // base64 symbols
    'MZXWÉ6',
    'MZXW6\u0000',
    '🙂',
  ]) {
    t.is(decodeBase32(text), undefined, JSON.stringify(text));
  }
});

test('an input of only separators and padding decodes to no bytes', (t) => {
  t.deepEqual(decodeBase32(''), Buffer.alloc(0));
  t.deepEqual(decodeBase32(' - = '), Buffer.alloc(0));
});
