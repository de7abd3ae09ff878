import type { PendingChallenges, UserForLogin } from '../credentials/records.js';
import { NO_PENDING_CHALLENGES } from '../credentials/records.js';
import { challengesFromFields, revisionsFromFields, revisionsFromValues, userForLoginFromValues, userFromFields } from './record-format.js';

/**
 * What password resolution reads about one user: the record (what a login reads of it),
 * its pending challenges, and
 * the revision they had when read (store/record-format.ts USER_FIELDS.revision). An
 * unknown user is a snapshot too (no record, revision ''), so resolving for a name that
 * does not exist costs what it costs for one that does.
 */
export interface UserSnapshot {
  readonly revision: string;
  /** Revision of the pending challenges (record-format.ts USER_FIELDS.challengeRevision). */
  readonly challengeRevision: string;
  readonly user: UserForLogin | undefined;
  readonly challenges: PendingChallenges;
  /**
   * The token's secret, decrypted when the gateway's copy was made (login/user-copies.ts):
   * null when it did not decrypt, absent when the snapshot is not a copy (decrypt it then).
   * A copy does not keep the ciphertext: its token's `encryptedSecret` is ''.
   */
  readonly tokenSecret?: Buffer | null;
}

/** The snapshot of a user that does not exist (decide.lua's revision for no record). */
export const ABSENT_USER: UserSnapshot = Object.freeze({ revision: '', challengeRevision: '', user: undefined, challenges: NO_PENDING_CHALLENGES });

/** A snapshot from the user hash and the challenge hash as HGETALL returns them (flat). */
export function snapshotFromFields(name: string, userFields: readonly string[], challengeFields: readonly string[]): UserSnapshot {
  return { ...revisionsFromFields(userFields), user: userFromFields(name, userFields), challenges: challengesFromFields(challengeFields) };
}

/** A snapshot from the user hash's COPY_FIELDS values (HMGET, record-format.ts) and the challenge hash (flat). */
export function snapshotFromValues(name: string, userValues: readonly (string | null)[], challengeFields: readonly string[]): UserSnapshot {
  return { ...revisionsFromValues(userValues), user: userForLoginFromValues(name, userValues), challenges: challengesFromFields(challengeFields) };
}
