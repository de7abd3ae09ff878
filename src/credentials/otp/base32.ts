/** RFC 4648 §6 base32, the encoding authenticator apps expect for OATH secrets. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function encodeBase32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** Lenient on input as authenticator apps are: case, spaces, hyphens and '=' padding ignored. */
export function decodeBase32(text: string): Buffer | undefined {
  const clean = text.toUpperCase().replace(/[\s=-]/g, '');
  // RFC 4648 §6: 1, 3 or 6 characters left over cannot come from whole bytes.
  if (!/^[A-Z2-7]*$/.test(clean) || [1, 3, 6].includes(clean.length % 8)) return undefined;
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of clean) {
    value = (value << 5) | ALPHABET.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
