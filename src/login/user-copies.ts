import { ABSENT_USER, type UserSnapshot } from '../store/user-snapshot.js';
import { NO_PENDING_CHALLENGES } from '../credentials/records.js';
import type { Keyring } from '../keys/keyring.js';

/** A revision no record has (they are '' or contain a dot): decide.lua always returns the record. */
const UNREAD: UserSnapshot = Object.freeze({ revision: 'unread', challengeRevision: 'unread', user: undefined, challenges: NO_PENDING_CHALLENGES });

/**
 * The gateway's copies of user records, so that an authentication is one round trip
 * (decide.lua) instead of two (read the record, then decide). FreeRADIUS's `files` module
 * holds its users in memory for the same reason.
 *
 * A copy is only ever a guess: every snapshot carries the record's revision, decide.lua
 * compares it with the stored one and, when they differ, decides nothing and returns the
 * current record. So a copy can be old, or missing, without any decision being taken on
 * old data; the cost is one more round trip.
 *
 * Bounded, first in first out. Unknown names are not remembered: a miss is resolved as an
 * unknown user in one round trip, so a name that does not exist answers as fast as one
 * whose record is held (SPEC "Resolving a password", step 1), and random names cannot push
 * real users out. For that promise the bound must exceed the number of users; with copies
 * turned off (`user_cache.max_users: 0`), every login reads the record first, known user
 * or not. login/user-copy-sync.ts fills them.
 */
export class UserCopies {
  private readonly entries = new Map<string, UserSnapshot>();
  readonly maxUsers: number;
  private readonly keyring: Keyring;

  constructor(options: { readonly maxUsers: number; readonly keyring: Keyring }) {
    this.maxUsers = options.maxUsers;
    this.keyring = options.keyring;
  }

  get size(): number {
    return this.entries.size;
  }

  has(user: string): boolean {
    return this.entries.has(user);
  }

  /**
   * Request codes still pending in the copies (for the metrics, at scrape time: one pass
   * over the copies, nothing asked of Redis). A copy shows what this gateway last read or
   * decided, so a challenge answered through another instance may still be counted.
   */
  pendingChallenges(nowMs: number): number {
    let pending = 0;
    for (const { challenges } of this.entries.values()) {
      for (const request of challenges.requests) if (request.expiresAt > nowMs) pending++;
    }
    return pending;
  }

  /** The snapshot to resolve a login against: the copy, else a guess (see the class comment). */
  guess(user: string): UserSnapshot {
    // One Map lookup, hit or miss: a known name and an unknown one cost the same here.
    return this.entries.get(user) ?? (this.maxUsers === 0 ? UNREAD : ABSENT_USER);
  }

  set(user: string, snapshot: UserSnapshot): void {
    if (snapshot.user === undefined || this.maxUsers === 0) {
      this.entries.delete(user);
      return;
    }
    // First in, first out: a newer copy keeps its user's place in the Map. With max_users
    // above the number of users (as it should be) nothing is ever evicted, and a login
    // does not pay for reordering the Map.
    if (!this.entries.has(user) && this.entries.size >= this.maxUsers) this.entries.delete(this.entries.keys().next().value!);
    // The token secret is decrypted now, with the copy, not by the user's next login: most
    // logins are a user's first since the copy was made (a few a day), and each would pay
    // for an AES-GCM decryption (Keyring.tokenSecret keeps it as long as the copy).
    if (snapshot.user.token !== undefined) this.keyring.tokenSecret(user, snapshot.user.token);
    this.entries.set(user, snapshot);
  }
}
