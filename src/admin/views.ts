import type { CodeKind, CodeRecord, CodeState, PendingChallenges, TokenState, TokenType, UserRecord } from '../credentials/records.js';
import { codeState, OFFLINE_SOURCE_PREFIX } from '../credentials/records.js';

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
  /** The mobile number on record, masked (`+49•••••••12`); never shown in full. */
  readonly mobile: string | undefined;
}

/**
 * The temporary bypass (IBM's password-only lock) that the use of an authorization code
 * left: shown under the code that made it, never as an issued code of its own.
 */
export interface TemporaryAccessView {
  /** The id `code revoke --id` takes to end it. */
  readonly id: string;
  readonly state: 'active' | 'expired' | 'revoked';
  readonly startedAt: string;
  readonly endsAt: string;
  readonly uses: number;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
  readonly revokedBy: string | null;
  /** The online authorization code's id, or the request code an offline one answered. */
  readonly createdBy: { readonly codeId: string } | { readonly requestCode: string };
}

export interface PendingRequestView {
  readonly requestCode: string;
  readonly expiresAt: string;
}

/** The challenge flow's side of a user's access: pending request codes, and the lock an offline code left. */
export interface ChallengeAccessView {
  readonly pendingRequests: readonly PendingRequestView[];
  /** A temporary bypass not shown under an issued code (an offline authorization code made it). */
  readonly temporaryAccess: TemporaryAccessView | undefined;
}

export interface CodeView {
  readonly id: string;
  readonly kind: CodeKind;
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
  /** An online authorization code's: the password-only lock its use left. */
  readonly temporaryAccess?: TemporaryAccessView;
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

/** `maskedMobile`: the number on record as credentials/mobile-number.ts masks it (the service decrypts it). */
export function userView(record: UserRecord, codes: readonly CodeRecord[], now: number, maskedMobile: string | undefined): UserView {
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
    activeCodes: codes.filter((code) => code.kind !== 'temporary-bypass' && codeState(code, now) === 'active').length,
    challenge: record.challengeAllowed ? 'on' : 'off',
    mobile: maskedMobile,
  };
}

export function temporaryAccessView(bypass: CodeRecord, now: number): TemporaryAccessView {
  const state = codeState(bypass, now);
  return {
    id: bypass.id,
    state: state === 'used-up' ? 'expired' : state,
    startedAt: iso(bypass.issuedAt),
    endsAt: iso(bypass.expiresAt),
    uses: bypass.uses,
    lastUsedAt: bypass.lastUsedAt === 0 ? null : iso(bypass.lastUsedAt),
    revokedAt: bypass.revokedAt === 0 ? null : iso(bypass.revokedAt),
    revokedBy: bypass.revokedAt === 0 ? null : bypass.revokedBy,
    createdBy: bypass.source.startsWith(OFFLINE_SOURCE_PREFIX) ? { requestCode: bypass.source.slice(OFFLINE_SOURCE_PREFIX.length) } : { codeId: bypass.source },
  };
}

/**
 * A user's issued codes, each online authorization code with the lock its use left, and
 * the challenge flow's pending request codes and lock.
 */
export function codeListing(records: readonly CodeRecord[], challenges: PendingChallenges, now: number): { codes: CodeView[]; challenge: ChallengeAccessView } {
  const bypass = records.find((code) => code.kind === 'temporary-bypass');
  const issued = records.filter((code) => code.kind !== 'temporary-bypass');
  const underCode = bypass !== undefined && issued.some((code) => code.id === bypass.source);
  const codes = issued.map((code) => {
    const view = codeView(code, now);
    return underCode && code.id === bypass.source ? { ...view, temporaryAccess: temporaryAccessView(bypass, now) } : view;
  });
  const pendingRequests = challenges.requests
    .filter((request) => request.expiresAt > now)
    .sort((a, b) => a.expiresAt - b.expiresAt)
    .map((request) => ({ requestCode: request.requestCode, expiresAt: iso(request.expiresAt) }));
  return { codes, challenge: { pendingRequests, temporaryAccess: bypass === undefined || underCode ? undefined : temporaryAccessView(bypass, now) } };
}

export function codeView(code: CodeRecord, now: number): CodeView {
  return {
    id: code.id,
    kind: code.kind as CodeKind,
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
