/**
 * What a token assignment may ask for, whoever asks (the CLI checks a command line with
 * these before it connects; the credential service checks again before it writes).
 */
import { decodeBase32 } from './base32.js';

/** A TOTP time step in seconds: RFC 6238 §5.2 recommends 30; below 10 or above 300 is a typo. */
export const TOTP_PERIOD_SECONDS = { min: 10, max: 300 } as const;

/** RFC 4226 §4: the shared secret is at least 128 bits. */
const MIN_SECRET_BYTES = 16;

export function periodProblem(period: number): string | undefined {
  const { min, max } = TOTP_PERIOD_SECONDS;
  return Number.isInteger(period) && period >= min && period <= max ? undefined : `a TOTP period is ${min} to ${max} seconds`;
}

/** The secret of an existing token, from base32; a problem (which never repeats the secret) when it is not one. */
export function decodeTokenSecret(text: string): Buffer | { readonly problem: string } {
  const decoded = decodeBase32(text);
  if (decoded === undefined || decoded.length < MIN_SECRET_BYTES) return { problem: 'the token secret must be base32 of at least 16 bytes (26 characters)' };
  return decoded;
}
