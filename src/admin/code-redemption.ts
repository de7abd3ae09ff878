import type { PolicyConfig } from '../config/types.js';
import type { Clock } from '../credentials/clock.js';
import { CODE_FAMILY } from '../credentials/code-family.js';
import { normalizeCode } from '../credentials/codes/alphabet.js';
import type { Keyring } from '../keys/keyring.js';
import type { RedeemOutcome, RedeemRequest } from '../store/credential-repository.js';
import type { Actor, AdminAudit } from './admin-audit.js';
import type { CodePurpose } from './code-issuing.js';
import type { CodeRedemption } from './credential-service-types.js';

/**
 * What redeem-code.lua needs to check a code typed on a self-service page: its lookup keys
 * under every key in the ring, in the hash families `purposes` allow (typed as the gateway
 * takes codes: case and hyphens ignored), the typed PIN's hashes when it is checked too, and
 * the lockout policy a failure counts under.
 */
export function redeemRequestFor(
  user: string,
  code: string,
  purposes: readonly CodePurpose[],
  pin: string | undefined,
  options: { readonly keyring: Keyring; readonly policy: PolicyConfig; readonly clock: Clock },
): RedeemRequest {
  const { keyring, policy, clock } = options;
  const typed = normalizeCode(code);
  const families = purposes.map((purpose) => (purpose === 'registration' ? CODE_FAMILY.registration : CODE_FAMILY.afterPin));
  return {
    now: clock(),
    maxFailures: policy.maxFailures,
    lockoutMs: policy.lockoutSeconds * 1000,
    lookups: families.flatMap((family) => keyring.codeCandidates(user, family, typed)),
    pinHashes: pin === undefined ? undefined : keyring.pinCandidates(user, pin),
  };
}

/**
 * What a redemption came to, its refusal audited for a user who exists: an unknown name is
 * not written anywhere (it may be a password typed into the wrong field, README "Who tried
 * to log in").
 */
export async function auditedRedemption(audit: AdminAudit, user: string, outcome: RedeemOutcome, purpose: 'pin-reset' | 'token-registration', actor: Actor): Promise<CodeRedemption> {
  if (outcome.result === 'redeemed') return { redeemed: true, codeId: outcome.codeId };
  if (outcome.result === 'refused') {
    await audit.record('code.refused', user, actor, { for: purpose, why: outcome.reason, ...(outcome.lockedNow ? { locked_now: true } : {}) });
  }
  return { redeemed: false, lockedNow: outcome.result === 'refused' && outcome.lockedNow };
}
