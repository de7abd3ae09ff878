import { groupCode } from '../credentials/codes/alphabet.js';
import { canonicalRequestCode, canonicalValidity, REQUEST_CODE_FORM } from '../credentials/offline-authcode.js';
import type { UserRecord } from '../credentials/records.js';
import { AdminError } from './admin-error.js';

/** The admin service's checks before it gives emergency access or answers a request code. */

/**
 * RSA's rule (SPEC "Tokens"): emergency access of any kind replaces a token the user has;
 * with no token, or an expired one, the helpdesk assigns a new token first.
 */
export function requireTokenForEmergencyAccess(record: UserRecord, now: number): void {
  const problem = emergencyAccessProblem(record, now);
  if (problem !== undefined) throw problem;
}

/** Why RSA's rule gives this user no emergency access, or undefined when it does. */
export function emergencyAccessProblem(record: UserRecord, now: number): AdminError | undefined {
  const user = record.name;
  if (record.token === undefined) return new AdminError('RADGATE_ADMIN_NO_TOKEN', `${user} has no token: assign one first (radgate token assign ${user})`);
  if (record.token.expiresAt !== 0 && record.token.expiresAt <= now) {
    return new AdminError('RADGATE_ADMIN_TOKEN_EXPIRED', `${user}'s token has expired: assign a new token first (radgate token assign ${user})`);
  }
  return undefined;
}

export function requireRequestCode(typed: string): string {
  const requestCode = canonicalRequestCode(typed);
  if (requestCode === undefined) throw new AdminError('RADGATE_ADMIN_INVALID_INPUT', `${REQUEST_CODE_FORM}; ask the user to read it again`);
  return requestCode;
}

export function allowedValidity(typed: string, validities: readonly string[]): string {
  let validity: string;
  try {
    validity = canonicalValidity(typed);
  } catch {
    throw new AdminError('RADGATE_ADMIN_INVALID_INPUT', `"${typed}" is not a validity such as 1d or 1month`);
  }
  const allowed = validities.map(canonicalValidity);
  if (!allowed.includes(validity)) throw new AdminError('RADGATE_ADMIN_INVALID_INPUT', `validity ${validity} is not one the gateway accepts (challenge.validities: ${allowed.join(', ')})`);
  return validity;
}

export function requestNotPending(user: string, requestCode: string): AdminError {
  return new AdminError(
    'RADGATE_ADMIN_REQUEST_NOT_PENDING',
    `no request code ${groupCode(requestCode)} is pending for ${user}: it expired, was answered or cancelled, or was misread (ask the user to type the PIN again and read the new one)`,
  );
}
