import type { RecordKind } from './records.js';

/** How a user got in: a token, a stored code (or the bypass it left), or an offline authorization code. */
export type LoginMethod = 'token' | RecordKind | 'offline-authcode';

/**
 * Why a login was refused. The first five are decided before Redis is asked (the most
 * specific thing password resolution knows went wrong); the rest are decided atomically
 * in Redis (store/decide).
 */
export const REFUSAL_REASONS = [
  'bad-pin', 'bad-code', 'no-pin', 'unknown-user', 'bad-authcode', 'disabled', 'locked', 'revoked', 'expired', 'used-up',
  'replay', 'lost-token', 'token-disabled', 'token-expired', 'request-code-expired', 'bad-state', 'state-expired', 'state-from-another-client',
] as const;

export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** What one login came to: the outcome stored for retransmissions, logged, and answered. */
export type LoginOutcome =
  | { readonly result: 'accept'; readonly method: LoginMethod; readonly codeId: string | undefined }
  | { readonly result: 'challenge'; readonly requestCode: string; readonly state: Buffer }
  | { readonly result: 'reject'; readonly reason: RefusalReason; readonly lockedNow: boolean };
