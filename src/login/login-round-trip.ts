import type { ChallengeConfig, PolicyConfig } from '../config/types.js';
import type { Clock } from '../credentials/clock.js';
import type { NasContext } from '../credentials/login-attempt.js';
import type { LoginOutcome } from '../credentials/login-outcome.js';
import { RadgateError } from '../errors.js';
import type { Keyring } from '../keys/keyring.js';
import type { DecideScript } from '../store/decide/decide-script.js';
import type { UserSnapshot } from '../store/user-snapshot.js';
import { resolvePassword } from './resolve-password.js';
import type { UserCopies } from './user-copies.js';

export interface LoginAttempt {
  /** Canonical user name (realm stripped and case folded per policy). */
  readonly user: string;
  readonly password: string;
  /** Client, Identifier and Request Authenticator: the same for every retransmission. */
  readonly fingerprint: string;
  /** The client's name: a challenge State is only valid from the client it was sent to. */
  readonly client: string;
  /** The State attribute, when the request answers an Access-Challenge. */
  readonly state?: Buffer | undefined;
  /** Where the request came from, recorded with the decision (default: the client alone). */
  readonly nas?: NasContext | undefined;
}

export interface LoginResult {
  readonly outcome: LoginOutcome;
  /** True when this request was already decided (a retransmission): nothing was consumed now. */
  readonly replayed: boolean;
  /** A tokencode of a token marked lost was typed with the right PIN: audit it as an alert. */
  readonly lostTokenUsed: boolean;
}

/**
 * decide.lua calls per login, at most: the first may find the copy out of date and return
 * the record, the second decides on it (SPEC "Store": a fixed number of round trips, at most 2).
 */
const MAX_DECIDE_CALLS = 2;

/**
 * The record changed again between the two round trips of one login (another login or an
 * admin writing it at that very moment). Nothing was decided; the NAS's retransmission
 * tries again. Not an outage: Redis answered.
 */
export class RecordChangedError extends RadgateError {
  override readonly name = 'RecordChangedError';
  constructor(message: string) {
    super('RADGATE_LOGIN_RECORD_CHANGED', message);
  }
}

export interface LoginRoundTripOptions {
  readonly decider: Pick<DecideScript, 'decide'>;
  readonly keyring: Keyring;
  readonly copies: UserCopies;
  readonly policy: PolicyConfig;
  readonly challenge: ChallengeConfig;
  /** The helpdesk's zone (config `time_zone`), where an authorization code's validity is counted. */
  readonly timeZone: string;
  /** How long an outcome is kept for retransmissions (reply_cache.ttl_seconds). */
  readonly outcomeTtlMs: number;
  readonly clock: Clock;
}

/**
 * One authentication in one Redis round trip: resolve the password in Node, where the keys
 * are, against the gateway's copy of the user record, then let decide.lua check and
 * consume atomically. When the copy is out of date (or missing, for a user that exists),
 * decide.lua says so and returns the current record: a second round trip. Throws
 * StoreUnavailableError when Redis cannot answer (it never turns an outage into an
 * Accept), RecordChangedError when the record changed again meanwhile.
 */
export class LoginRoundTrip {
  constructor(private readonly options: LoginRoundTripOptions) {}

  /** Keeps `next` as the user's copy; what to resolve against now (the copy holds the token secret decrypted). */
  private replaceCopy(user: string, next: UserSnapshot): UserSnapshot {
    this.options.copies.set(user, next);
    return this.options.copies.held(user) ?? next;
  }

  async run(attempt: LoginAttempt): Promise<LoginResult> {
    const { decider, keyring, copies, policy, challenge, timeZone, outcomeTtlMs, clock } = this.options;
    let snapshot = copies.guess(attempt.user);
    const presentedState = attempt.state?.toString('hex');
    const nas = attempt.nas ?? { client: attempt.client, nasAddress: undefined, nasIdentifier: undefined, callingStationId: undefined, nasPort: undefined };
    for (let call = 1; ; call++) {
      const now = clock();
      const resolution = resolvePassword(
        { userName: attempt.user, user: snapshot.user, tokenSecret: snapshot.tokenSecret, password: attempt.password, nowMs: now, timeZone, challenges: snapshot.challenges, presentedState },
        keyring,
        policy,
        challenge,
      );
      const result = await decider.decide({
        user: attempt.user,
        fingerprint: attempt.fingerprint,
        now,
        outcomeTtlMs,
        maxFailures: policy.maxFailures,
        lockoutMs: policy.lockoutSeconds * 1000,
        fallbackReason: resolution.fallbackReason,
        lostTokenPolicy: policy.tokenFound,
        temporaryBypass: challenge.temporaryBypass,
        presentedState,
        client: attempt.client,
        revision: snapshot.revision,
        challengeRevision: resolution.readsChallenges ? snapshot.challengeRevision : undefined,
        candidates: resolution.candidates,
        attempt: nas,
      });
      if (result.kind === 'decided') {
        const { outcome, replayed } = result;
        // A decision that changed the record (HOTP counter, challenge sent or answered)
        // brought it back: the next login here is one round trip again.
        if (result.snapshot !== undefined) copies.set(attempt.user, result.snapshot);
        return { outcome, replayed, lostTokenUsed: resolution.lostTokenUsed && !replayed };
      }
      snapshot = this.replaceCopy(attempt.user, result.snapshot);
      if (call === MAX_DECIDE_CALLS) throw new RecordChangedError('the user record changed while this login was being checked');
    }
  }
}
