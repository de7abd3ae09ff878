/**
 * TOTP (RFC 6238 over RFC 4226 HOTP, SHA-1) and base32 (RFC 4648 §6), written here apart
 * from src/credentials/otp on purpose: the bench logs in the way an authenticator app does, so a
 * bug in radgate's own OTP code shows up as rejects instead of cancelling itself out.
 */
import { createHmac } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function decodeBase32Secret(text: string): Buffer {
  const clean = text.toUpperCase().replace(/=+$/, '');
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const character of clean) {
    const value = BASE32.indexOf(character);
    if (value < 0) throw new Error('the otpauth secret is not base32');
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

const counter = Buffer.alloc(8);

/** RFC 4226 §5.3 with the RFC 6238 time step as the counter. */
export function tokencodeAt(secret: Buffer, step: number, digits: number): string {
  counter.writeUInt32BE(Math.floor(step / 2 ** 32), 0);
  counter.writeUInt32BE(step >>> 0, 4);
  const mac = createHmac('sha1', secret).update(counter).digest();
  const offset = mac[19]! & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(value).padStart(digits, '0');
}

/** RFC 6238 §4.2: T = floor(unix time / X). */
export function currentStep(period: number, nowMs = Date.now()): number {
  return Math.floor(nowMs / 1000 / period);
}
