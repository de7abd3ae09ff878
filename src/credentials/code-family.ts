import { PIN_PREFIXED_KINDS, type CodeKind } from './records.js';

/**
 * The hash family a code's lookup key is made in: a code typed alone (an emergency
 * passcode) never matches a code typed after the PIN, and back, because the two are hashed
 * apart (keys/keyring.ts hashCode).
 */
export const CODE_FAMILY = {
  alone: 'alone',
  afterPin: 'after-pin',
  /** Self-service codes that only register a token (README "Self-service"): no login hashes in it. */
  registration: 'registration',
} as const;
export type CodeFamily = (typeof CODE_FAMILY)[keyof typeof CODE_FAMILY];

export function codeFamilyOf(kind: CodeKind): CodeFamily {
  return PIN_PREFIXED_KINDS.includes(kind) ? CODE_FAMILY.afterPin : CODE_FAMILY.alone;
}
