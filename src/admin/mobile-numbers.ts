import { maskMobile } from '../credentials/mobile-number.js';
import type { UserRecord } from '../credentials/records.js';
import { userNameProblem } from '../credentials/user-name.js';
import type { Keyring } from '../keys/keyring.js';
import type { CredentialRepository } from '../store/credential-repository.js';
import type { CodePurpose } from './code-issuing.js';
import { emergencyAccessProblem } from './emergency-access-rules.js';

/** The user's mobile number in clear (for the SMS alone); undefined when none, or when it no longer decrypts. */
export function mobileOf(keyring: Keyring, record: UserRecord): string | undefined {
  return record.encryptedMobile === undefined ? undefined : keyring.decryptMobile(record.name, record.encryptedMobile);
}

/** The number as every view shows it; one that no longer decrypts (its key left the ring) says so. */
export function maskedMobileOf(record: UserRecord, keyring: Keyring): string | undefined {
  if (record.encryptedMobile === undefined) return undefined;
  const number = mobileOf(keyring, record);
  return number === undefined ? 'unreadable (set it again)' : maskMobile(number);
}

/**
 * Who may get a self-service code, and for what: an active, unlocked user with a number.
 * A user whose token is missing or expired may not have emergency access (RSA's rule), so
 * their code only registers a new token (README "Self-service"). Undefined: send nothing.
 */
export async function selfServiceRecipient(repository: CredentialRepository, keyring: Keyring, user: string, now: number): Promise<{ number: string; purpose: CodePurpose } | undefined> {
  if (userNameProblem(user) !== undefined) return undefined;
  const record = await repository.getUser(user);
  if (record === undefined || record.status !== 'active' || record.lockedUntil < 0 || record.lockedUntil > now) return undefined;
  const number = mobileOf(keyring, record);
  if (number === undefined) return undefined;
  return { number, purpose: emergencyAccessProblem(record, now) === undefined ? 'login' : 'registration' };
}
