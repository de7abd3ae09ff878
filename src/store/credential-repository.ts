import { ATTEMPTS_KEPT, type RecordedAttempt } from '../credentials/login-attempt.js';
import type { CodeRecord, PendingChallenges, RevokeSelector, UserChanges, UserRecord } from '../credentials/records.js';
import { PIN_PREFIXED_KINDS } from '../credentials/records.js';
import type { StoreConnection } from './connection.js';
import { CLOCK_SKEW_ALLOWANCE_MS, parseAttempt } from './decide/decide-script.js';
import type { KeyNames } from './key-names.js';
import { LuaScript } from './lua-script.js';
import { challengesFromFields, changeToFields, codeFromJson, codeToJson, KIND_LETTERS, newUserFields, USER_FIELDS, userFromFields } from './record-format.js';
import type { Revisions } from './revisions.js';
import { snapshotFromValues, type UserSnapshot } from './user-snapshot.js';

/** A self-service proof for redeemCode: the typed code's lookups, and the typed PIN's hashes when it is checked too. */
export interface RedeemRequest {
  readonly now: number;
  readonly maxFailures: number;
  /** 0: locked until an admin unlocks. */
  readonly lockoutMs: number;
  readonly lookups: readonly string[];
  readonly pinHashes: readonly string[] | undefined;
}

/** What redeemCode did: the code's id, or why not (`unknown`: no such user, nothing written). */
export type RedeemOutcome =
  /** `replacedSerial`: the token the user had when the change was made (a registration replaces it). */
  | { readonly result: 'redeemed'; readonly codeId: string; readonly replacedSerial: string | undefined }
  | { readonly result: 'refused'; readonly reason: 'disabled' | 'locked' | 'bad-pin' | 'bad-code'; readonly lockedNow: boolean }
  | { readonly result: 'unknown' };

/** How long ended codes are kept for `code list` before issue-codes.lua prunes them. */
const CODE_RETENTION_MS = 30 * 86_400_000;
/** The audit stream keeps about this many admin actions (XADD MAXLEN ~). */
const AUDIT_ENTRIES_KEPT = 100_000;

const script = (connection: StoreConnection, name: string, keys: number | 'first'): LuaScript =>
  new LuaScript(connection.redis, { name, file: new URL(`./scripts/${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}.lua`, import.meta.url), keys });

/**
 * Users, tokens, issued codes and the admin audit stream: what the admin service reads and
 * writes, and what the gateway copies. Every write that must not race with a login is one
 * Lua script; every write that changes what password resolution reads renews the record's
 * revision, so gateways stop deciding on their old copies.
 */
export class CredentialRepository {
  private readonly scripts: {
    readonly createUser: LuaScript;
    readonly updateUser: LuaScript;
    readonly issueCodes: LuaScript;
    readonly revokeCodes: LuaScript;
    readonly endTemporaryAccess: LuaScript;
    readonly redeemCode: LuaScript;
    readonly countRequest: LuaScript;
    readonly copyUsers: LuaScript;
  };

  constructor(private readonly parts: { readonly connection: StoreConnection; readonly keys: KeyNames; readonly revisions: Revisions }) {
    const { connection } = parts;
    this.scripts = {
      createUser: script(connection, 'createUser', 1),
      updateUser: script(connection, 'updateUser', 1),
      issueCodes: script(connection, 'issueCodes', 2),
      revokeCodes: script(connection, 'revokeCodes', 2),
      endTemporaryAccess: script(connection, 'endTemporaryAccess', 3),
      redeemCode: script(connection, 'redeemCode', 2),
      countRequest: script(connection, 'countRequest', 1),
      copyUsers: script(connection, 'copyUsers', 'first'),
    };
  }

  private command<T>(operation: () => Promise<T>): Promise<T> {
    return this.parts.connection.command(operation);
  }

  private get redis() {
    return this.parts.connection.redis;
  }

  private get keys(): KeyNames {
    return this.parts.keys;
  }

  // --- users ------------------------------------------------------------------------

  /** Creates a user only if the name is free; false if it is taken. */
  async createUser(user: string, record: { readonly createdAt: number; readonly pinHash: string | undefined }): Promise<boolean> {
    const fields = [...newUserFields(record), USER_FIELDS.revision, this.parts.revisions.next()];
    const created = (await this.command(() => this.scripts.createUser.run([this.keys.user(user), ...fields]))) === 1;
    if (created) await this.command(() => this.redis.zadd(this.keys.users(), record.createdAt, user));
    return created;
  }

  async getUser(user: string): Promise<UserRecord | undefined> {
    const flat = await this.command(() => this.redis.hgetall(this.keys.user(user)));
    return userFromFields(user, Object.entries(flat).flat());
  }

  /** Changes an existing user (never creates one); false if there is no such user. */
  async updateUser(user: string, changes: UserChanges): Promise<boolean> {
    const { set, remove } = changeToFields(changes);
    // Every change gets a new revision: gateways then stop deciding on their old copies.
    set.push(USER_FIELDS.revision, this.parts.revisions.next());
    return (await this.command(() => this.scripts.updateUser.run([this.keys.user(user), set.length / 2, ...set, ...remove]))) === 1;
  }

  async deleteUser(user: string): Promise<boolean> {
    const removed = await this.command(() => this.redis.del(this.keys.user(user), this.keys.codes(user), this.keys.challenges(user), this.keys.attempts(user)));
    await this.command(() => this.redis.zrem(this.keys.users(), user));
    return removed > 0;
  }

  /** User names in creation order, a page at a time (for streaming `user list`). */
  listUsers(offset: number, count: number): Promise<string[]> {
    return this.command(() => this.redis.zrange(this.keys.users(), offset, offset + count - 1));
  }

  countUsers(): Promise<number> {
    return this.command(() => this.redis.zcard(this.keys.users()));
  }

  // --- copies for the gateway (background work: see StoreConnection.background) -------

  /** How many users there are, for the copies' bound check. */
  countUsersForCopies(): Promise<number> {
    return this.parts.connection.background(() => this.redis.zcard(this.keys.users()));
  }

  /** User names in creation order, a page at a time, for copying every record at start. */
  listUsersForCopies(offset: number, count: number): Promise<string[]> {
    return this.parts.connection.background(() => this.redis.zrange(this.keys.users(), offset, offset + count - 1));
  }

  /** Users created at or after `sinceMs` (their creation time is the score), oldest first, a page at a time. */
  async listUsersCreatedSince(sinceMs: number, offset: number, count: number): Promise<{ name: string; createdAt: number }[]> {
    const flat = await this.parts.connection.background(() => this.redis.zrangebyscore(this.keys.users(), sinceMs, '+inf', 'WITHSCORES', 'LIMIT', offset, count));
    const users: { name: string; createdAt: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) users.push({ name: flat[i]!, createdAt: Number(flat[i + 1]) });
    return users;
  }

  /**
   * Snapshots of users, for the gateway's copies (login/user-copies.ts); users that do
   * not exist are left out. One copy-users.lua call for all of them on a single Redis (the
   * fields a copy reads, by position); with Cluster, where a page's users are in many
   * slots, one call per user, sent concurrently, each to its own slot's master.
   */
  async loadSnapshots(names: readonly string[]): Promise<Map<string, UserSnapshot>> {
    const keys = (name: string): string[] => [this.keys.user(name), this.keys.challenges(name)];
    const replies = await this.parts.connection.background(async () => {
      if (!this.parts.connection.isCluster) return (await this.scripts.copyUsers.run([names.length * 2, ...names.flatMap(keys)])) as (string | null)[][];
      return (await Promise.all(names.map((name) => this.scripts.copyUsers.run([2, ...keys(name)]) as Promise<(string | null)[][]>))).flat();
    });
    const snapshots = new Map<string, UserSnapshot>();
    names.forEach((name, i) => {
      const snapshot = snapshotFromValues(name, replies[2 * i]!, replies[2 * i + 1] as string[]);
      if (snapshot.user !== undefined) snapshots.set(name, snapshot);
    });
    return snapshots;
  }

  // --- audit --------------------------------------------------------------------------

  /** Appends an admin action to the capped audit stream. */
  async appendAudit(fields: Readonly<Record<string, string>>): Promise<void> {
    await this.command(() => this.redis.xadd(this.keys.audit(), 'MAXLEN', '~', AUDIT_ENTRIES_KEPT, '*', ...Object.entries(fields).flat()));
  }

  /** The most recent admin actions, newest first. */
  async recentAudit(count: number): Promise<Record<string, string>[]> {
    return (await this.auditPage('+', 0, count)).map((entry) => entry.fields);
  }

  /**
   * Audit entries, newest first: before the entry `before` (exclusive; '+' from the newest)
   * back to the first added at `sinceMs` (a stream id is its time of addition in ms), at
   * most `count`. The caller pages on with the last id it got.
   */
  async auditPage(before: string, sinceMs: number, count: number): Promise<{ id: string; fields: Record<string, string> }[]> {
    const end = before === '+' ? '+' : `(${before}`;
    const entries = await this.command(() => this.redis.xrevrange(this.keys.audit(), end, String(sinceMs), 'COUNT', count));
    return entries.map(([id, flat]) => {
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
      return { id, fields };
    });
  }

  // --- login attempts (decide.lua writes them) ----------------------------------------

  /** The user's last login attempts, newest first. */
  async recentAttempts(user: string): Promise<RecordedAttempt[]> {
    const entries = await this.command(() => this.redis.lrange(this.keys.attempts(user), 0, ATTEMPTS_KEPT - 1));
    return entries.map(parseAttempt);
  }

  // --- codes ------------------------------------------------------------------------

  /** Stores issued codes under their lookup hashes; false if the user does not exist. */
  async issueCodes(user: string, codes: readonly { lookup: string; record: CodeRecord }[], now: number): Promise<boolean> {
    const pairs = codes.flatMap(({ lookup, record }) => [lookup, codeToJson(record)]);
    const prefixed = PIN_PREFIXED_KINDS.map((kind) => KIND_LETTERS[kind]).join(',');
    const args = [this.keys.user(user), this.keys.codes(user), now, CODE_RETENTION_MS, prefixed, this.parts.revisions.next(), ...pairs];
    return (await this.command(() => this.scripts.issueCodes.run(args))) === 1;
  }

  async listCodes(user: string): Promise<CodeRecord[]> {
    const all = await this.command(() => this.redis.hvals(this.keys.codes(user)));
    return all.map(codeFromJson).sort((a, b) => a.issuedAt - b.issuedAt || a.id.localeCompare(b.id));
  }

  /**
   * Revokes the selected codes atomically (a code being consumed meanwhile is consumed or
   * revoked, never both), and the temporary bypass of an authorization code revoked.
   * Pending challenges are not codes: see endTemporaryAccess.
   */
  async revokeCodes(user: string, selector: RevokeSelector, now: number, by: string): Promise<CodeRecord[]> {
    const [mode, argument] =
      typeof selector === 'string' ? [selector, ''] : 'id' in selector ? ['id', selector.id] : ['last', selector.last === undefined ? '' : KIND_LETTERS[selector.last]];
    const revoked = (await this.command(() => this.scripts.revokeCodes.run([this.keys.user(user), this.keys.codes(user), mode, argument, now, by]))) as string[];
    return revoked.map(codeFromJson);
  }

  /**
   * Spends an online authorization code typed on a self-service page, and makes `changes`
   * with it (a new PIN, a new token), atomically (redeem-code.lua); a wrong code or PIN
   * counts a failure toward the lockout instead.
   */
  async redeemCode(user: string, request: RedeemRequest, changes: UserChanges): Promise<RedeemOutcome> {
    const { set, remove } = changeToFields(changes);
    set.push(USER_FIELDS.revision, this.parts.revisions.next());
    const { connection } = this.parts;
    // Wall clock, not the injectable one: this is about Redis running the script late.
    const latest = Date.now() + connection.commandTimeoutMs + CLOCK_SKEW_ALLOWANCE_MS;
    const args = [this.keys.user(user), this.keys.codes(user), request.now, request.maxFailures, request.lockoutMs, (request.pinHashes ?? []).join(','), request.lookups.join(','), latest, set.length / 2, ...set, ...remove];
    // The third element: 'locked' for a refusal that locked the user, the old token's serial for a redemption.
    const [result, detail = '', locked] = (await this.command(() => this.scripts.redeemCode.run(args))) as string[];
    if (result === 'late') throw connection.unavailable(new Error('Redis ran the self-service change after the command timeout; nothing was changed'));
    if (result === 'redeemed') return { result, codeId: detail, replacedSerial: locked || undefined };
    if (result === 'refused') return { result, reason: detail as 'disabled' | 'locked' | 'bad-pin' | 'bad-code', lockedNow: locked === 'locked' };
    return { result: 'unknown' };
  }

  /**
   * Counts one self-service code request for a name, in a window of `windowMs` that starts
   * with the first; returns the count so far. Any name is counted, known or not.
   */
  countCodeRequest(user: string, windowMs: number): Promise<number> {
    return this.command(() => this.scripts.countRequest.run([this.keys.codeRequests(user), windowMs])) as Promise<number>;
  }

  /** The user's pending request codes, their States and the request codes used (expired entries included). */
  async getChallenges(user: string): Promise<PendingChallenges> {
    const flat = await this.command(() => this.redis.hgetall(this.keys.challenges(user)));
    return challengesFromFields(Object.entries(flat).flat());
  }

  /**
   * Ends the temporary bypass and every pending request code (or, with `requestCode`, that
   * one pending request code alone), at once for every gateway. Undefined if there is no
   * such user; otherwise what was ended.
   */
  async endTemporaryAccess(user: string, options: { readonly now: number; readonly by: string; readonly requestCode?: string }): Promise<{ bypass: string | undefined; requestCodes: string[] } | undefined> {
    const keys = [this.keys.user(user), this.keys.codes(user), this.keys.challenges(user)];
    const args = [options.now, options.by, this.parts.revisions.next(), options.requestCode ?? ''];
    const result = (await this.command(() => this.scripts.endTemporaryAccess.run([...keys, ...args]))) as 0 | string[];
    if (result === 0) return undefined;
    const [bypass = '', ...requestCodes] = result;
    return { bypass: bypass === '' ? undefined : bypass, requestCodes };
  }
}
