import { createHmac } from 'node:crypto';

export type OtpAlgorithm = 'sha1' | 'sha256' | 'sha512';

/** RFC 4226 §5.3: HMAC of the 8-byte counter, dynamic truncation, modulo 10^digits. */
export function hotp(secret: Buffer, counter: number, digits: number, algorithm: OtpAlgorithm = 'sha1'): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, secret).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return binary.toString().padStart(digits, '0');
}

/** RFC 6238 §4: the time step T = floor((now - T0) / X), with T0 = 0. */
export function totpStep(nowSeconds: number, periodSeconds: number): number {
  return Math.floor(nowSeconds / periodSeconds);
}
