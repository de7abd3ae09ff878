import { timingSafeEqual } from 'node:crypto';
import type { Keyring } from '../keys/keyring.js';
import { ALPHABETS, generateCode, normalizeCode } from './codes/alphabet.js';
import { describeLifetime, parseLifetime } from './codes/validity.js';

/** IBM's request codes: 8 characters of the unambiguous alphabet. */
export const REQUEST_CODE_LENGTH = 8;
/** IBM's offline authorization codes: 16 characters of the same alphabet (64 bits). */
export const OFFLINE_AUTHCODE_LENGTH = 16;

export function newRequestCode(): string {
  return generateCode('unambiguous', REQUEST_CODE_LENGTH);
}

/** What a request code looks like, for the messages that refuse a misread one. */
export const REQUEST_CODE_FORM = `a request code is ${REQUEST_CODE_LENGTH} characters of ${ALPHABETS.unambiguous} (hyphens and case do not matter)`;

/** A typed request code in canonical form, or undefined when it cannot be one. */
export function canonicalRequestCode(typed: string): string | undefined {
  const code = normalizeCode(typed);
  const alphabet = ALPHABETS.unambiguous;
  return code.length === REQUEST_CODE_LENGTH && [...code].every((character) => alphabet.includes(character)) ? code : undefined;
}

/**
 * "1d", "01d" and "1D" are the same validity: derive from one spelling only. "24h" is not
 * "1d": a day is counted on the calendar (SPEC "Time") and may be 23 or 25 hours.
 */
export function canonicalValidity(text: string): string {
  return describeLifetime(parseLifetime(text));
}

/**
 * The offline authorization code for (user, request code, validity): HMAC-SHA256 under the
 * authorization-code subkey, its first 8 bytes read as 16 nibbles, each one a character of
 * the 16-letter alphabet, so every character is uniform. The helpdesk computes it with the
 * key file alone (no access to Redis); the gateway recomputes it to check an answer.
 */
export function deriveOfflineAuthcode(keyring: Keyring, user: string, requestCode: string, validity: string): string {
  const mac = keyring.authorizationCodeMac(['offline-authcode/v1', user, requestCode, canonicalValidity(validity)]);
  const alphabet = ALPHABETS.unambiguous;
  let code = '';
  for (let i = 0; i < OFFLINE_AUTHCODE_LENGTH / 2; i++) code += alphabet[mac[i]! >> 4]! + alphabet[mac[i]! & 0x0f]!;
  return code;
}

/**
 * Which of the allowed validities, if any, the typed code was computed for. Every
 * validity is computed and compared in constant time, so timing tells nothing.
 */
export function matchOfflineAuthcode(keyring: Keyring, user: string, requestCode: string, typed: string, validities: readonly string[]): string | undefined {
  const answer = Buffer.from(normalizeCode(typed));
  let matched: string | undefined;
  for (const validity of validities) {
    const expected = Buffer.from(deriveOfflineAuthcode(keyring, user, requestCode, validity));
    if (answer.length === expected.length && timingSafeEqual(answer, expected) && matched === undefined) matched = validity;
  }
  return matched;
}
