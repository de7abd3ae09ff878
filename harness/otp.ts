import { decodeBase32 } from '../src/credentials/otp/base32.js';
import { hotp, totpStep } from '../src/credentials/otp/hotp.js';

/** The secret inside an otpauth:// URI, as an authenticator app would read it. */
export function secretOf(uri: string): Buffer {
  return decodeBase32(new URL(uri).searchParams.get('secret')!)!;
}

/** What an authenticator app shows at `nowMs` for a TOTP URI. */
export function totpAt(uri: string, nowMs: number, offsetSteps = 0): string {
  const url = new URL(uri);
  const period = Number(url.searchParams.get('period') ?? 30);
  const digits = Number(url.searchParams.get('digits') ?? 6);
  return hotp(secretOf(uri), totpStep(nowMs / 1000, period) + offsetSteps, digits);
}
