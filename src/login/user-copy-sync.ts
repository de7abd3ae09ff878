import type { Logger } from 'pino';
import type { CredentialRepository } from '../store/credential-repository.js';
import type { UserCopies } from './user-copies.js';

/**
 * Names asked for per round trip while loading: large enough to fill a pipe, small enough
 * that a page's read (one copy-users.lua call, store/credential-repository.ts) is answered
 * well within the command timeout on a busy Redis: at 500 names a page of two HGETALLs per
 * name timed out while a million users were loaded.
 */
const LOAD_PAGE = 200;
/**
 * Pages listed and read at once while loading: Redis reads one while the gateway decodes
 * another. Bounded, so a page's reply still arrives within the command timeout behind the
 * others' on a busy Redis.
 */
const PAGES_IN_FLIGHT = 4;
/** A page that failed is tried again after this, doubling up to LOAD_RETRY_MAX_MS. */
const LOAD_RETRY_MS = 250;
const LOAD_RETRY_MAX_MS = 30_000;

export interface UserCopySyncOptions {
  readonly copies: UserCopies;
  readonly repository: CredentialRepository;
  readonly isStoreHealthy: () => boolean;
  readonly logger: Logger;
  /** How often users created since start are copied (see follow). */
  readonly followIntervalMs: number;
}

/**
 * Fills the gateway's copies of user records (login/user-copies.ts): every user at start,
 * then users created since. Best effort, in the background: until a record is copied, its
 * user's logins read it first (one round trip more).
 */
export class UserCopySync {
  private loading: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private wakeRetry: (() => void) | undefined;

  constructor(private readonly options: UserCopySyncOptions) {}

  /** Copies the records of the names not held yet (a login's copy, taken meanwhile, is newer). */
  private async copyMissing(names: readonly string[]): Promise<void> {
    const { copies, repository } = this.options;
    const missing = names.filter((name) => !copies.has(name));
    if (missing.length === 0) return;
    for (const [name, snapshot] of await repository.loadSnapshots(missing)) if (!copies.has(name)) copies.set(name, snapshot);
  }

  /** Lists a page of names from `offset` and copies those not held yet; how many names it listed. */
  private async copyPage(offset: number, count: number): Promise<number> {
    const names = await this.options.repository.listUsersForCopies(offset, count);
    await this.copyMissing(names);
    return names.length;
  }

  /**
   * Copies every user's record, up to the bound, after start: the first login of the day
   * then costs what every other one does. A page that fails (a timeout on a busy Redis, an
   * outage) is tried again, later each time, until the copies are complete or the gateway
   * stops: a user left without a copy would log in slower than an unknown name does.
   */
  loadAll(): Promise<void> {
    const { copies, repository, logger } = this.options;
    if (copies.maxUsers === 0) return Promise.resolve();
    this.loading ??= (async () => {
      const started = Date.now();
      let offset = 0;
      let failures = 0;
      while (copies.size < copies.maxUsers && !this.stopped) {
        try {
          // Up to PAGES_IN_FLIGHT pages from `offset`, no more names than there is room for.
          const room = copies.maxUsers - copies.size;
          const counts: number[] = [];
          for (let page = 0; page < PAGES_IN_FLIGHT && page * LOAD_PAGE < room; page++) counts.push(Math.min(LOAD_PAGE, room - page * LOAD_PAGE));
          const pages = await Promise.allSettled(counts.map((count, page) => this.copyPage(offset + page * LOAD_PAGE, count)));
          // Any page failed: all of them are tried again (those copied are skipped then).
          for (const page of pages) if (page.status === 'rejected') throw page.reason;
          const listed = pages.reduce((sum, page) => sum + (page.status === 'fulfilled' ? page.value : 0), 0);
          offset += listed;
          failures = 0;
          if (listed < counts.reduce((sum, count) => sum + count, 0)) break;
        } catch (error) {
          failures++;
          const delayMs = Math.min(LOAD_RETRY_MAX_MS, LOAD_RETRY_MS * 2 ** (failures - 1));
          // One line per failure in a row up to the longest delay, then one per retry at it.
          logger.warn({ err: error instanceof Error ? error.message : String(error), copied: copies.size, retry_ms: delayMs }, 'could not copy a page of user records; trying again');
          await new Promise<void>((resolve) => {
            this.wakeRetry = resolve;
            this.retryTimer = setTimeout(resolve, delayMs);
          });
        }
      }
      if (this.stopped) return;
      const users = await repository.countUsersForCopies().catch(() => undefined);
      if (users !== undefined && users > copies.maxUsers) {
        logger.warn({ users, max_users: copies.maxUsers }, 'more users than user_cache.max_users: logins of users without a copy take an extra round trip, and an unknown user answers faster than they do');
      }
      logger.info({ users: copies.size, ms: Date.now() - started }, 'user records loaded');
    })();
    return this.loading;
  }

  /**
   * Copies users created after start, every interval: otherwise a new user's first login
   * here would take the extra round trip that an unknown name does not, and timing would
   * tell the two apart (SPEC "Resolving a password", step 1). Each look reads only the
   * users whose creation time (the score in the users index) is at or after the newest one
   * seen, so it costs next to nothing when nobody was added. Best effort: a user created on
   * a host whose clock is behind the newest time seen is copied at its first login instead.
   */
  follow(): void {
    const { copies, repository, isStoreHealthy, logger, followIntervalMs } = this.options;
    if (copies.maxUsers === 0 || this.timer !== undefined) return;
    let newest = Date.now();
    let busy = false;
    const look = async (): Promise<void> => {
      const since = newest;
      for (let offset = 0; ; offset += LOAD_PAGE) {
        const created = await repository.listUsersCreatedSince(since, offset, LOAD_PAGE);
        for (const { createdAt } of created) newest = Math.max(newest, createdAt);
        await this.copyMissing(created.map(({ name }) => name));
        if (created.length < LOAD_PAGE) return;
      }
    };
    this.timer = setInterval(() => {
      // While Redis is down the store says so once; asking again every interval adds nothing.
      if (busy || !isStoreHealthy()) return;
      busy = true;
      look()
        .catch((error: unknown) => logger.debug({ err: error instanceof Error ? error.message : String(error) }, 'could not copy new users; trying again'))
        .finally(() => (busy = false));
    }, followIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.retryTimer);
    this.wakeRetry?.();
    this.timer = undefined;
  }
}
