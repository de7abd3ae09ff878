/**
 * Helpdesk console operators as stored (README "Helpdesk console"). An operator is not a
 * RADIUS user: operators sign in to the console, users to the VPN, and neither record can
 * stand in for the other.
 */

/** helpdesk issues, revokes, unlocks and answers challenges; admin also manages users, tokens and operators; auditor only reads. */
export const OPERATOR_ROLES = ['helpdesk', 'admin', 'auditor'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

export interface OperatorRecord {
  readonly name: string;
  readonly role: OperatorRole;
  /** scrypt (operator-password.ts); undefined for an operator who signs in only through the SSO proxy. */
  readonly passwordHash: string | undefined;
  /** The TOTP secret, encrypted with the key file (Keyring.encryptTokenSecret); undefined until enrolled. */
  readonly totpSecret: string | undefined;
  /** A secret shown at first sign-in and not yet confirmed with a code from it. */
  readonly totpPending: string | undefined;
  /** The last TOTP time step accepted: a code is never accepted twice. */
  readonly totpStep: number;
  readonly failures: number;
  /** ms; 0: not locked; -1: until an admin unlocks. */
  readonly lockedUntil: number;
  readonly createdAt: number;
  /** Keyed MAC over name, role, password hash and TOTP secret (Keyring.operatorSeal): a write to Redis alone cannot make an operator. */
  readonly seal: string;
}

/** Names an operator can have: they appear in audit lines and URLs, so a short safe alphabet. */
export const OPERATOR_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
export const OPERATOR_NAME_RULE = "1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit";

export function operatorLocked(record: Pick<OperatorRecord, 'lockedUntil'>, now: number): boolean {
  return record.lockedUntil < 0 || record.lockedUntil > now;
}
