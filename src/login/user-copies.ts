import { ABSENT_USER, type UserSnapshot } from '../store/user-snapshot.js';
import { NO_PENDING_CHALLENGES, type PendingChallenges } from '../credentials/records.js';
import type { Keyring } from '../keys/keyring.js';
import { CopyArena } from './copy-arena.js';
import { decodeCopy, encodeCopy, KeyIdTable, secretIdOf } from './copy-codec.js';

/** A revision no record has (they are '' or contain a dot): decide.lua always returns the record. */
const UNREAD: UserSnapshot = Object.freeze({ revision: 'unread', challengeRevision: 'unread', user: undefined, challenges: NO_PENDING_CHALLENGES });

const hasPending = (challenges: PendingChallenges): boolean => challenges.requests.length > 0 || challenges.states.size > 0 || challenges.used.length > 0;

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
 *
 * Packed (issue 15): a copy is bytes in an arena (copy-codec.ts, copy-arena.ts) and the
 * index maps a name to where they are; a guess decodes them. The token secret is decrypted
 * when the copy is made and kept in it, so no login decrypts; pending challenges, which
 * few users have at any time, are kept beside the copies as objects.
 */
export class UserCopies {
  private readonly index = new Map<string, number>();
  private readonly arena = new CopyArena();
  private readonly keyIds = new KeyIdTable();
  private readonly pending = new Map<string, PendingChallenges>();
  readonly maxUsers: number;
  private readonly keyring: Keyring;

  constructor(options: { readonly maxUsers: number; readonly keyring: Keyring }) {
    this.maxUsers = options.maxUsers;
    this.keyring = options.keyring;
  }

  get size(): number {
    return this.index.size;
  }

  /** Bytes the copies' arena holds: live copies, and garbage not yet compacted (for tests and the bench). */
  get arenaBytes(): { readonly live: number; readonly garbage: number; readonly allocated: number } {
    return { live: this.arena.liveBytes, garbage: this.arena.garbageBytes, allocated: this.arena.allocatedBytes };
  }

  has(user: string): boolean {
    return this.index.has(user);
  }

  /**
   * Request codes still pending in the copies (for the metrics, at scrape time: one pass
   * over the users with pending challenges, nothing asked of Redis). A copy shows what this
   * gateway last read or decided, so a challenge answered through another instance may
   * still be counted.
   */
  pendingChallenges(nowMs: number): number {
    let pending = 0;
    for (const challenges of this.pending.values()) {
      for (const request of challenges.requests) if (request.expiresAt > nowMs) pending++;
    }
    return pending;
  }

  /** The snapshot to resolve a login against: the copy, else a guess (see the class comment). */
  guess(user: string): UserSnapshot {
    // One Map lookup, hit or miss: a known name and an unknown one cost the same here.
    const offset = this.index.get(user);
    if (offset === undefined) return this.maxUsers === 0 ? UNREAD : ABSENT_USER;
    return this.decode(user, offset);
  }

  /** The copy of a user, or undefined when none is held. */
  held(user: string): UserSnapshot | undefined {
    const offset = this.index.get(user);
    return offset === undefined ? undefined : this.decode(user, offset);
  }

  private decode(user: string, offset: number): UserSnapshot {
    const { bytes, at } = this.arena.locate(offset);
    const copy = decodeCopy(bytes, at, user, this.keyIds);
    const challenges = copy.pending ? (this.pending.get(user) ?? NO_PENDING_CHALLENGES) : NO_PENDING_CHALLENGES;
    return { revision: copy.revision, challengeRevision: copy.challengeRevision, user: copy.user, challenges, tokenSecret: copy.user.token === undefined ? undefined : (copy.tokenSecret ?? null) };
  }

  /** The token secret a copy holds, when its ciphertext is `secretId`'s. */
  private heldSecret(user: string, offset: number | undefined, secretId: number): { secret: Buffer | undefined } | undefined {
    if (offset === undefined) return undefined;
    const { bytes, at } = this.arena.locate(offset);
    const copy = decodeCopy(bytes, at, user, this.keyIds);
    return copy.user.token !== undefined && copy.secretId === secretId ? { secret: copy.tokenSecret } : undefined;
  }

  private remove(user: string): void {
    const offset = this.index.get(user);
    if (offset === undefined) return;
    this.arena.release(offset);
    this.index.delete(user);
    this.pending.delete(user);
  }

  /** Holds `snapshot` (read from Redis) as the user's copy; a snapshot of no record removes it. */
  set(user: string, snapshot: UserSnapshot): void {
    const record = snapshot.user;
    if (record === undefined || this.maxUsers === 0) {
      this.remove(user);
      return;
    }
    const previous = this.index.get(user);
    // The token secret is decrypted now, with the copy, not by the user's next login: most
    // logins are a user's first since the copy was made (a few a day), and each would pay
    // for an AES-GCM decryption. A newer copy of the same ciphertext (an HOTP login moved
    // the counter) keeps the secret already decrypted.
    let tokenSecret: Buffer | undefined;
    let secretId = 0;
    const ciphertext = record.token?.encryptedSecret;
    if (ciphertext !== undefined) {
      secretId = secretIdOf(ciphertext);
      const kept = this.heldSecret(user, previous, secretId);
      tokenSecret = kept === undefined ? this.keyring.decryptTokenSecret(user, ciphertext) : kept.secret;
    } else if (record.token !== undefined) {
      // A snapshot of a copy, held again: its secret comes with it.
      tokenSecret = snapshot.tokenSecret ?? undefined;
    }
    const pending = hasPending(snapshot.challenges);
    const { bytes, length } = encodeCopy({ revision: snapshot.revision, challengeRevision: snapshot.challengeRevision, user: record, pending, tokenSecret, secretId }, this.keyIds);
    if (length > CopyArena.maxCopyBytes) {
      // A record this large (a serial of a megabyte) is not copied: its logins read it.
      this.remove(user);
      return;
    }
    // First in, first out: a newer copy keeps its user's place in the index. With max_users
    // above the number of users (as it should be) nothing is ever evicted, and a login
    // does not pay for reordering the index.
    if (previous === undefined && this.index.size >= this.maxUsers) this.remove(this.index.keys().next().value!);
    const offset = this.arena.append(bytes, length);
    if (previous !== undefined) this.arena.release(previous);
    this.index.set(user, offset);
    if (pending) this.pending.set(user, snapshot.challenges);
    else this.pending.delete(user);
    if (this.arena.needsCompaction()) this.arena.compact(this.index);
  }
}
