import type { Logger } from 'pino';
import { ABSENT_USER, type CredentialStore, type UserSnapshot } from '../store/credential-store.js';

/** Names asked for per round trip while loading: large enough to fill a pipe, small enough to not stall Redis. */
const LOAD_PAGE = 500;
/** How often users created since start are copied (see follow). */
const FOLLOW_INTERVAL_MS = 2000;

/** A revision no record has (they are '' or contain a dot): decide.lua always returns the record. */
const UNREAD: UserSnapshot = Object.freeze({ revision: 'unread', user: undefined, challengeFields: [] });

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
 * Bounded, first in first out. Unknown names are not remembered: a miss is
 * resolved as an unknown user in one round trip, so a name that does not exist answers as
 * fast as one whose record is held (SPEC "Resolving a password", step 1), and random names
 * cannot push real users out. For that promise the bound must exceed the number of users;
 * with copies turned off (0), every login reads the record first, known user or not.
 */
export class UserSnapshots {
  private readonly entries = new Map<string, UserSnapshot>();
  private loading: Promise<void> | undefined;

  constructor(private readonly maxUsers: number) {}

  get size(): number {
    return this.entries.size;
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
    this.entries.set(user, snapshot);
  }

  /** Copies the records of the names not held yet (a login's copy, taken meanwhile, is newer). */
  private async copyMissing(store: CredentialStore, names: readonly string[]): Promise<void> {
    const missing = names.filter((name) => !this.entries.has(name));
    if (missing.length === 0) return;
    for (const [name, snapshot] of await store.loadSnapshots(missing)) if (!this.entries.has(name)) this.set(name, snapshot);
  }

  /**
   * Copies every user's record, up to the bound, in the background after start: the first
   * login of the day then costs what every other one does.
   */
  loadAll(store: CredentialStore, logger: Logger): Promise<void> {
    if (this.maxUsers === 0) return Promise.resolve();
    this.loading ??= (async () => {
      const started = Date.now();
      let offset = 0;
      while (this.entries.size < this.maxUsers) {
        const names = await store.listUsers(offset, Math.min(LOAD_PAGE, this.maxUsers - this.entries.size));
        if (names.length === 0) break;
        offset += names.length;
        await this.copyMissing(store, names);
      }
      const users = await store.countUsers();
      if (users > this.maxUsers) {
        logger.warn({ users, max_users: this.maxUsers }, 'more users than user_cache.max_users: logins of users without a copy take an extra round trip, and an unknown user answers faster than they do');
      }
      logger.info({ users: this.entries.size, ms: Date.now() - started }, 'user records loaded');
    })().catch((error: unknown) => {
      // Not fatal: logins fill the copies one by one.
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not load user records at start; they will be read as users log in');
    });
    return this.loading;
  }

  /**
   * Copies users created after start, every couple of seconds: otherwise a new user's
   * first login here would take the extra round trip that an unknown name does not, and
   * timing would tell the two apart (SPEC "Resolving a password", step 1). Each look reads
   * only the users whose creation time (the score in the users index) is at or after the
   * newest one seen, so it costs next to nothing when nobody was added. Best effort: a user
   * created on a host whose clock is behind the newest time seen is copied at its first
   * login instead. Returns the function that stops it.
   */
  follow(store: CredentialStore, logger: Logger, intervalMs = FOLLOW_INTERVAL_MS): () => void {
    if (this.maxUsers === 0) return () => undefined;
    let newest = Date.now();
    let busy = false;
    const look = async (): Promise<void> => {
      const since = newest;
      for (let offset = 0; ; offset += LOAD_PAGE) {
        const created = await store.listUsersCreatedSince(since, offset, LOAD_PAGE);
        for (const { createdAt } of created) newest = Math.max(newest, createdAt);
        await this.copyMissing(store, created.map(({ name }) => name));
        if (created.length < LOAD_PAGE) return;
      }
    };
    const timer = setInterval(() => {
      // While Redis is down the store says so once; asking again every interval adds nothing.
      if (busy || !store.isHealthy()) return;
      busy = true;
      look()
        .catch((error: unknown) => logger.debug({ err: error instanceof Error ? error.message : String(error) }, 'could not copy new users; trying again'))
        .finally(() => (busy = false));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
