import type { ChallengeConfig, PolicyConfig } from '../config/types.js';
import type { Keyring } from '../keys/keyring.js';
import type { CredentialStore, UserSnapshot } from '../store/credential-store.js';
import { challengesFromFields } from '../store/records.js';
import type { Clock } from './clock.js';
import { parseDecision, type AuthenticationOutcome } from './decision.js';
import { resolvePassword } from './resolve-password.js';
import { UserSnapshots } from './user-snapshots.js';

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
 * decide.lua calls per login, at most: the first may find the copy out of date and return
 * the record, the second decides on it (SPEC: a fixed number of round trips, at most 2).
 */
const MAX_DECIDE_CALLS = 2;

/**
 * The record changed again between the two round trips of one login (another login or an
 * admin writing it at that very moment). Nothing was decided; the NAS's retransmission
 * tries again. Not an outage: Redis answered.
 */
export class RecordChangedError extends Error {
  override readonly name = 'RecordChangedError';
}

/**
 * One authentication in one Redis round trip: resolve the password in Node, where the keys
 * are, against the gateway's copy of the user record, then let decide.lua check and
 * consume atomically. When the copy is out of date (or missing, for a user that exists),
 * decide.lua says so and returns the current record: a second round trip. Throws
 * StoreUnavailableError when Redis cannot answer (it never turns an outage into an
 * Accept), RecordChangedError when the record changed again meanwhile.
 */
export class Authenticator {
  constructor(
    private readonly store: CredentialStore,
    private readonly keyring: Keyring,
    private readonly policy: PolicyConfig,
    private readonly challenge: ChallengeConfig,
    private readonly decisionTtlMs: number,
    private readonly clock: Clock,
    private readonly snapshots: UserSnapshots = new UserSnapshots(0),
  ) {}

  private replaceCopy(user: string, previous: UserSnapshot, next: UserSnapshot): void {
    this.keyring.carryTokenSecret(previous.user?.token, next.user?.token);
    this.snapshots.set(user, next);
  }

  async authenticate(request: AuthenticationRequest): Promise<AuthenticationResult> {
    let snapshot = this.snapshots.guess(request.user);
    const presentedState = request.state?.toString('hex');
    for (let attempt = 1; ; attempt++) {
      const now = this.clock();
      const { pending, states } = challengesFromFields(snapshot.challengeFields, now);
      const resolution = resolvePassword(
        { userName: request.user, user: snapshot.user, password: request.password, nowMs: now, pending, states, presentedState },
        this.keyring,
        this.policy,
        this.challenge,
      );
      const result = await this.store.decide({
        user: request.user,
        fingerprint: request.fingerprint,
        now,
        decisionTtlMs: this.decisionTtlMs,
        maxFailures: this.policy.maxFailures,
        lockoutMs: this.policy.lockoutSeconds * 1000,
        fallbackReason: resolution.fallbackReason,
        tokenFoundPolicy: this.policy.tokenFound,
        temporaryBypass: this.challenge.temporaryBypass,
        presentedState,
        client: request.client,
        revision: snapshot.revision,
        candidates: resolution.candidates,
      });
      if (result.kind === 'decided') {
        const { decision, replayed } = result;
        // A decision that changed the record (HOTP counter, challenge sent or answered)
        // brought it back: the next login here is one round trip again.
        if (result.snapshot !== undefined) this.replaceCopy(request.user, snapshot, result.snapshot);
        return { outcome: parseDecision(decision), replayed, lostTokenUsed: resolution.lostTokenUsed && !replayed };
      }
      this.replaceCopy(request.user, snapshot, result.snapshot);
      snapshot = result.snapshot;
      if (attempt === MAX_DECIDE_CALLS) throw new RecordChangedError('the user record changed while this login was being checked');
    }
  }
}
