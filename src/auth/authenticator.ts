import type { PolicyConfig } from '../config/types.js';
import type { Keyring } from '../keys/keyring.js';
import type { CredentialStore } from '../store/credential-store.js';
import type { Clock } from './clock.js';
import { parseDecision, type AuthenticationOutcome } from './decision.js';
import { resolvePassword } from './resolve-password.js';

export interface AuthenticationRequest {
  /** Canonical user name (realm stripped and case folded per policy). */
  readonly user: string;
  readonly password: string;
  /** Client, Identifier and Request Authenticator: the same for every retransmission. */
  readonly fingerprint: string;
}

export interface AuthenticationResult {
  readonly outcome: AuthenticationOutcome;
  /** True when this request was already decided (a retransmission): nothing was consumed now. */
  readonly replayed: boolean;
  /** A tokencode of a token marked lost was typed with the right PIN: audit it as an alert. */
  readonly lostTokenUsed: boolean;
}

/**
 * One authentication in exactly two Redis round trips: load the user (or the decision a
 * retransmission already got), resolve the password in Node where the keys are, then let
 * decide.lua check and consume atomically. Throws StoreUnavailableError when Redis cannot
 * answer; it never turns an outage into an Accept.
 */
export class Authenticator {
  constructor(
    private readonly store: CredentialStore,
    private readonly keyring: Keyring,
    private readonly policy: PolicyConfig,
    private readonly decisionTtlMs: number,
    private readonly clock: Clock,
  ) {}

  async authenticate(request: AuthenticationRequest): Promise<AuthenticationResult> {
    const loaded = await this.store.loadForAuthentication(request.user, request.fingerprint);
    if (loaded.decision !== undefined) {
      return { outcome: parseDecision(loaded.decision), replayed: true, lostTokenUsed: false };
    }
    const now = this.clock();
    const resolution = resolvePassword(request.user, loaded.user, request.password, now, this.keyring, this.policy);
    const { decision, replayed } = await this.store.decide({
      user: request.user,
      fingerprint: request.fingerprint,
      now,
      decisionTtlMs: this.decisionTtlMs,
      maxFailures: this.policy.maxFailures,
      lockoutMs: this.policy.lockoutSeconds * 1000,
      fallbackReason: resolution.fallbackReason,
      candidates: resolution.candidates,
    });
    return { outcome: parseDecision(decision), replayed, lostTokenUsed: resolution.lostTokenUsed && !replayed };
  }
}
