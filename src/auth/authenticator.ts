import { randomBytes } from 'node:crypto';
import type { ChallengeConfig, PolicyConfig } from '../config/types.js';
import type { Keyring } from '../keys/keyring.js';
import type { CredentialStore } from '../store/credential-store.js';
import { challengesFromFields } from '../store/records.js';
import type { Clock } from './clock.js';
import { parseDecision, type AuthenticationOutcome } from './decision.js';
import { resolvePassword } from './resolve-password.js';

export interface AuthenticationRequest {
  /** Canonical user name (realm stripped and case folded per policy). */
  readonly user: string;
  readonly password: string;
  /** Client, Identifier and Request Authenticator: the same for every retransmission. */
  readonly fingerprint: string;
  /** The client's name: a challenge State is only valid from the client it was sent to. */
  readonly client: string;
  /** The State attribute, when the request answers an Access-Challenge. */
  readonly state?: Buffer | undefined;
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
    private readonly challenge: ChallengeConfig,
    private readonly decisionTtlMs: number,
    private readonly clock: Clock,
  ) {}

  async authenticate(request: AuthenticationRequest): Promise<AuthenticationResult> {
    const loaded = await this.store.loadForAuthentication(request.user, request.fingerprint);
    if (loaded.decision !== undefined) {
      return { outcome: parseDecision(loaded.decision), replayed: true, lostTokenUsed: false };
    }
    const now = this.clock();
    const presentedState = request.state?.toString('hex');
    const { pending, states } = challengesFromFields(loaded.challengeFields, now);
    const resolution = resolvePassword(
      { userName: request.user, user: loaded.user, password: request.password, nowMs: now, pending, states, presentedState },
      this.keyring,
      this.policy,
      this.challenge,
    );
    const { decision, replayed } = await this.store.decide({
      user: request.user,
      fingerprint: request.fingerprint,
      now,
      decisionTtlMs: this.decisionTtlMs,
      maxFailures: this.policy.maxFailures,
      lockoutMs: this.policy.lockoutSeconds * 1000,
      fallbackReason: resolution.fallbackReason,
      tokenFoundPolicy: this.policy.tokenFound,
      bypassId: this.challenge.temporaryBypass ? randomBytes(5).toString('hex') : undefined,
      presentedState,
      client: request.client,
      candidates: resolution.candidates,
    });
    return { outcome: parseDecision(decision), replayed, lostTokenUsed: resolution.lostTokenUsed && !replayed };
  }
}
