import type { RecordKind } from './records.js';

/** How a user got in: a token, a stored code (or the bypass it left), or an offline authorization code. */
export type LoginMethod = 'token' | RecordKind | 'offline-authcode';

/**
 * Why a login was refused. The first six are decided before Redis is asked (the most
 * specific thing password resolution knows went wrong; `authcode-used`: the right PIN and
 * an offline authorization code already used); the rest are decided atomically in Redis
 * (store/decide). `no-token` and `token-expired` also refuse the challenge flow (RSA's
 * rule: a new token first).
 */
export const REFUSAL_REASONS = [
  'bad-pin', 'bad-code', 'no-pin', 'unknown-user', 'bad-authcode', 'authcode-used', 'disabled', 'locked', 'revoked', 'expired', 'used-up',
  'replay', 'lost-token', 'token-disabled', 'token-expired', 'no-token', 'request-code-expired', 'bad-state', 'state-expired', 'state-from-another-client',
] as const;

export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** What one login came to: the outcome stored for retransmissions, logged, and answered. */
export type LoginOutcome =
  | { readonly result: 'accept'; readonly method: LoginMethod; readonly codeId: string | undefined }
  | { readonly result: 'challenge'; readonly requestCode: string; readonly state: Buffer }
  | { readonly result: 'reject'; readonly reason: RefusalReason; readonly lockedNow: boolean };
