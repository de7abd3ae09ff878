import type { CodeKind, CodeRecord, CodeState, RecordKind, TokenState, TokenType, UserRecord } from '../credentials/records.js';
import { codeState } from '../credentials/records.js';

/**
 * What the admin service shows of users, tokens and codes: state, never a secret, a hash
 * or a code (but at issue, IssuedCode). The CLI prints these; `--json` prints them as they are.
 */

export interface TokenView {
  readonly type: TokenType;
  readonly serial: string;
  readonly state: TokenState | 'expired';
  readonly digits: number;
  readonly period: number;
  readonly expiresAt: string | undefined;
  readonly assignedAt: string;
}

export interface UserView {
  readonly name: string;
  readonly status: 'active' | 'disabled';
  readonly pinSet: boolean;
  readonly failures: number;
  readonly locked: boolean;
  readonly lockedUntil: string | 'until-unlocked' | undefined;
  readonly createdAt: string;
  readonly token: TokenView | undefined;
  readonly activeCodes: number;
  readonly challenge: 'on' | 'off';
}

export interface CodeView {
  readonly id: string;
  readonly kind: RecordKind;
  readonly state: CodeState;
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly maxUses: number | null;
  readonly uses: number;
  readonly lastUsedAt: string | null;
  readonly issuedBy: string;
  readonly reason: string;
  readonly revokedAt: string | null;
  readonly revokedBy: string | null;
}

/** A newly issued code: the only time the code itself is ever shown. */
export interface IssuedCode {
  readonly id: string;
  readonly code: string;
  readonly kind: CodeKind;
  readonly expiresAt: string;
  readonly maxUses: number | null;
}

export const iso = (ms: number): string => new Date(ms).toISOString();

export function userView(record: UserRecord, codes: readonly CodeRecord[], now: number): UserView {
  const locked = record.lockedUntil < 0 || record.lockedUntil > now;
  const token = record.token;
  return {
    name: record.name,
    status: record.status,
    pinSet: record.pinHash !== undefined,
    failures: record.failures,
    locked,
    lockedUntil: !locked ? undefined : record.lockedUntil < 0 ? 'until-unlocked' : iso(record.lockedUntil),
    createdAt: iso(record.createdAt),
    token:
      token === undefined
        ? undefined
        : {
            type: token.type,
            serial: token.serial,
            state: token.expiresAt !== 0 && token.expiresAt <= now ? 'expired' : token.state,
            digits: token.digits,
            period: token.period,
            expiresAt: token.expiresAt === 0 ? undefined : iso(token.expiresAt),
            assignedAt: iso(token.assignedAt),
          },
    activeCodes: codes.filter((code) => codeState(code, now) === 'active').length,
    challenge: record.challengeAllowed ? 'on' : 'off',
  };
}

export function codeView(code: CodeRecord, now: number): CodeView {
  return {
    id: code.id,
    kind: code.kind,
    state: codeState(code, now),
    issuedAt: iso(code.issuedAt),
    expiresAt: iso(code.expiresAt),
    maxUses: code.maxUses === 0 ? null : code.maxUses,
    uses: code.uses,
    lastUsedAt: code.lastUsedAt === 0 ? null : iso(code.lastUsedAt),
    issuedBy: code.issuedBy,
    reason: code.reason,
    revokedAt: code.revokedAt === 0 ? null : iso(code.revokedAt),
    revokedBy: code.revokedAt === 0 ? null : code.revokedBy,
  };
}
