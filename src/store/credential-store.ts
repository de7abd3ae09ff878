import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { KeyNames } from './key-names.js';
import { StandInRecords, standInFields } from './stand-in-records.js';
import { codeFromJson, codeToJson, kindToWire, PIN_PREFIXED_KINDS, USER_FIELDS, userFromFields, type CodeRecord, type UserRecord } from './records.js';

const SCRIPTS = {
  decide: { file: 'decide.lua', keys: 6 },
  ensureStandIn: { file: 'ensure-stand-in.lua', keys: 2 },
  createUser: { file: 'create-user.lua', keys: 1 },
  updateUser: { file: 'update-user.lua', keys: 1 },
  issueCodes: { file: 'issue-codes.lua', keys: 2 },
  revokeCodes: { file: 'revoke-codes.lua', keys: 2 },
} as const;
type ScriptName = keyof typeof SCRIPTS;

/** Thrown when Redis cannot be reached or answers too late: the caller must never Accept. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/**
 * What password resolution reads about one user: the record, its pending challenges, and
 * the revision they had when read. An unknown user is a snapshot too (no record, revision
 * ''), so resolving for a name that does not exist costs what it costs for one that does.
 */
export interface UserSnapshot {
  readonly revision: string;
  readonly user: UserRecord | undefined;
  /** The user's challenge hash as HGETALL returns it (see challengesFromFields). */
  readonly challengeFields: readonly string[];
}

/** The snapshot of a user that does not exist (decide.lua's revision for no record). */
export const ABSENT_USER: UserSnapshot = Object.freeze({ revision: '', user: undefined, challengeFields: [] });

export type DecideResult =
  /** `snapshot`: the record as this decision left it, when the decision changed what resolution reads. */
  | { readonly kind: 'decided'; readonly decision: string; readonly replayed: boolean; readonly snapshot?: UserSnapshot | undefined }
  /** The candidates were computed from an old snapshot; here is the current one. */
  | { readonly kind: 'stale'; readonly snapshot: UserSnapshot };

/** A candidate credential for decide.lua, in resolution order. */
export type Candidate =
  | { readonly kind: 'code'; readonly lookup: string }
  /** Looked up and ignored: the PIN was wrong, but the lookup costs what a right one does. */
  | { readonly kind: 'decoy'; readonly lookup: string }
  | { readonly kind: 'token'; readonly step: number }
  | { readonly kind: 'bypass' }
  | { readonly kind: 'offline'; readonly requestCode: string; readonly bypassUntil: number; readonly answersState: boolean }
  | { readonly kind: 'challenge'; readonly requestCode: string; readonly state: string; readonly expiresAt: number };

export interface DecideRequest {
  readonly user: string;
  readonly fingerprint: string;
  readonly now: number;
  readonly decisionTtlMs: number;
  readonly maxFailures: number;
  readonly lockoutMs: number;
  readonly fallbackReason: string;
  readonly tokenFoundPolicy: 'deny' | 'allow-and-revoke' | 'allow-after-expiry';
  /** A used authorization code leaves a temporary bypass (IBM's password-only lock). */
  readonly temporaryBypass: boolean;
  /** Hex of the State attribute, when the request answers a challenge. */
  readonly presentedState: string | undefined;
  readonly client: string;
  /** Revision of the snapshot the candidates were computed from. */
  readonly revision: string;
  readonly candidates: readonly Candidate[];
}

/** How far Redis's clock may run ahead of the gateway's before a decision counts as late. */
const CLOCK_SKEW_ALLOWANCE_MS = 250;

function candidateArgument(candidate: Candidate): string {
  switch (candidate.kind) {
    case 'code':
      return `code|${candidate.lookup}`;
    case 'decoy':
      return `decoy|${candidate.lookup}`;
    case 'token':
      return `token|${candidate.step}`;
    case 'bypass':
      return 'bypass';
    case 'offline':
      return `offline|${candidate.requestCode}|${candidate.bypassUntil}|${candidate.answersState ? 1 : 0}`;
    case 'challenge':
      return `challenge|${candidate.requestCode}|${candidate.state}|${candidate.expiresAt}`;
  }
}

export interface StoreOptions {
  readonly keyPrefix?: string;
  /** The gateway's command timeout: decide.lua refuses to run later than this (plus skew). */
  readonly commandTimeoutMs?: number;
  /**
   * Replicas that must acknowledge a decision (WAIT) before it is answered: with Sentinel,
   * a failover then cannot lose a consume that was answered. 0: do not wait.
   */
  readonly waitReplicas?: number;
  /** How long ended codes are kept for `code list` before being pruned. */
  readonly codeRetentionMs?: number;
  /** How often health is probed while Redis misbehaves. */
  readonly probeIntervalMs?: number;
}

type ScriptRunner = (...args: (string | number)[]) => Promise<unknown>;

function snapshotFrom(name: string, userFields: readonly string[], challengeFields: readonly string[]): UserSnapshot {
  let revision = '';
  for (let i = 0; i + 1 < userFields.length; i += 2) if (userFields[i] === USER_FIELDS.revision) revision = userFields[i + 1]!;
  return { revision, user: userFromFields(name, userFields), challengeFields };
}

/**
 * radgate's only state: users, tokens and issued codes in Redis. Every check-and-consume is
 * one Lua script (EVALSHA via ioredis `defineCommand`); an authentication is one round trip
 * (decide.lua) when the gateway's copy of the user record is current, two when it is not.
 * The store tracks its own health for Status-Server and logs
 * one line per change of state, never one per failed packet.
 */
export class CredentialStore {
  readonly keys: KeyNames;
  private healthy = false;
  private probe: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly codeRetentionMs: number;
  private readonly commandTimeoutMs: number;
  private readonly waitReplicas: number;
  /** A command timed out: fail fast, sending nothing, until a probe gets an answer. */
  private stalled = false;
  /** Revisions are this process's random prefix and a counter: unique without a round trip. */
  private readonly revisionPrefix = randomBytes(9).toString('base64url');
  private revisionCounter = 0;
  private readonly standIns: StandInRecords;
  /** The stand-in records are kept (see keepStandIns) and still to be written. */
  private standInsWanted = false;
  private standInsKept = false;
  private standInsWriting: Promise<void> | undefined;

  constructor(
    readonly redis: Redis | Cluster,
    private readonly logger: Logger,
    options: StoreOptions = {},
  ) {
    this.keys = new KeyNames(options.keyPrefix);
    this.codeRetentionMs = options.codeRetentionMs ?? 30 * 86_400_000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 500;
    this.waitReplicas = options.waitReplicas ?? 0;
    this.standIns = new StandInRecords(this.keys, (redis as Cluster).isCluster === true);
    for (const [name, script] of Object.entries(SCRIPTS)) {
      redis.defineCommand(`radgate_${name}`, {
        numberOfKeys: script.keys,
        lua: readFileSync(new URL(`./scripts/${script.file}`, import.meta.url), 'utf8'),
      });
    }
    redis.on('ready', () => {
      this.setHealthy(true, 'connected');
      // A new connection may be to a Redis that lost its data, or to another server.
      if (this.standInsKept) {
        this.standInsWanted = true;
        void this.writeStandIns();
      }
    });
    redis.on('close', () => this.setHealthy(false, 'connection closed'));
    redis.on('error', () => this.setHealthy(false, 'connection error'));
    this.healthy = redis.status === 'ready';
    this.probe = setInterval(() => void this.checkHealth(), options.probeIntervalMs ?? 250);
    this.probe.unref();
  }

  isHealthy(): boolean {
    return this.healthy;
  }

  /** Resolves once connected, or rejects after `timeoutMs` (start-up and CLI commands). */
  async waitUntilReady(timeoutMs = 5000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new StoreUnavailableError(`Redis is not reachable after ${timeoutMs} ms`)), timeoutMs);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.probe);
    this.probe = undefined;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private setHealthy(healthy: boolean, why: string): void {
    if (healthy === this.healthy || this.closing) return;
    this.healthy = healthy;
    if (healthy) this.logger.info({ why }, 'credential store available');
    else this.logger.error({ why }, 'credential store unavailable: no request will be accepted until it is back');
  }

  private probing = false;

  private async checkHealth(): Promise<void> {
    if (this.redis.status !== 'ready' || this.probing) return; // The connection events report the first case.
    this.probing = true;
    try {
      await this.redis.ping();
      this.stalled = false;
      this.setHealthy(true, 'ping answered');
      if (this.standInsWanted) void this.writeStandIns();
    } catch {
      this.setHealthy(false, 'ping failed or timed out');
    } finally {
      this.probing = false;
    }
  }

  /**
   * While Redis is stalled (a command timed out), nothing more is sent: every command
   * would only wait in its socket, and the queue on both sides would grow with the request
   * rate for as long as the stall lasts. The health probe lifts this once Redis answers.
   */
  private assertNotStalled(): void {
    if (this.stalled) throw new StoreUnavailableError('credential store unavailable: Redis stopped answering; waiting for it to recover');
  }

  /** WAIT for the configured replicas, so an answered consume survives a failover. */
  private async awaitReplicas(): Promise<void> {
    if (this.waitReplicas === 0) return;
    // WAIT gives up a little before the client's own timeout, so a missing replica shows
    // as "not acknowledged" rather than as a stalled Redis.
    const acknowledged = await this.command(() => (this.redis as Redis).wait(this.waitReplicas, Math.max(10, Math.floor(this.commandTimeoutMs * 0.8))));
    if (acknowledged < this.waitReplicas) {
      throw new StoreUnavailableError(`only ${acknowledged} of ${this.waitReplicas} replicas acknowledged the decision in time`);
    }
  }

  /** A script as ioredis defineCommand made it a method of the client. */
  private script(name: ScriptName, args: (string | number)[]): Promise<unknown> {
    return (this.redis as unknown as Record<string, ScriptRunner>)[`radgate_${name}`]!.apply(this.redis, args);
  }

  private async run(name: ScriptName, ...args: (string | number)[]): Promise<unknown> {
    this.assertNotStalled();
    try {
      return await this.script(name, args);
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  /**
   * Work in the background (copying user records, writing the stand-ins): not sent while
   * Redis is stalled, and its failures are its own. A page of a thousand reads timing out
   * must not mark the store stalled and drop the logins that would have been answered.
   */
  private async background<T>(operation: () => Promise<T>): Promise<T> {
    if (this.stalled || !this.healthy) throw new StoreUnavailableError('credential store unavailable: background work waits until Redis answers');
    return operation();
  }

  private unavailable(error: unknown): Error {
    const message = error instanceof Error ? error.message : String(error);
    // Script errors are bugs, not outages: let them surface as they are.
    if (/ERR .*script|NOSCRIPT|WRONGTYPE/i.test(message)) return error as Error;
    if (/timed out|ran the decision after/i.test(message)) this.stalled = true;
    this.setHealthy(false, message);
    return new StoreUnavailableError(`credential store unavailable: ${message}`);
  }

  private async command<T>(operation: () => Promise<T>): Promise<T> {
    this.assertNotStalled();
    try {
      return await operation();
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  /** The socket to a single Redis (not Cluster, whose commands go to several). */
  private heldStream: { cork(): void; uncork(): void } | undefined;

  /**
   * Holds the commands written from now until releaseWrites() in the socket's buffer, so
   * they leave in one system call (a write is a system call each, and on loopback the
   * larger part of a command's cost). Must be paired with releaseWrites() in the same turn.
   */
  holdWrites(): void {
    const stream = (this.redis as Partial<Redis>).stream;
    if (stream === undefined || this.redis.status !== 'ready') return;
    stream.cork();
    this.heldStream = stream;
  }

  releaseWrites(): void {
    this.heldStream?.uncork();
    this.heldStream = undefined;
  }

  /** A value for the record's revision field that no other write has used. */
  private newRevision(): string {
    this.revisionCounter += 1;
    return `${this.revisionPrefix}.${this.revisionCounter.toString(36)}`;
  }

  // --- authentication (one round trip, two when the snapshot is out of date) -------------

  /**
   * Keeps the stand-in records that unknown users' logins read (StandInRecords) in Redis:
   * written now, whenever the connection is made again (a Redis restarted without its
   * data, another master after a failover) and, after a failure, at the next health probe
   * that Redis answers. The gateway calls this; CLI commands do not write them.
   */
  keepStandIns(): Promise<void> {
    this.standInsKept = true;
    this.standInsWanted = true;
    return this.writeStandIns();
  }

  /** One write at a time; a call meanwhile is served by the write in progress. */
  private writeStandIns(): Promise<void> {
    this.standInsWriting ??= this.ensureStandIns().finally(() => (this.standInsWriting = undefined));
    return this.standInsWriting;
  }

  private async ensureStandIns(): Promise<void> {
    const pairs = this.standIns.all();
    // A page at a time (16,384 pairs with Cluster, one otherwise); only the missing ones
    // are sent their fields, so a gateway start costs one EXISTS per pair.
    const PAGE = 1000;
    try {
      let written = 0;
      for (let start = 0; start < pairs.length; start += PAGE) {
        const page = pairs.slice(start, start + PAGE);
        const present = await this.background(() => Promise.all(page.map((keys) => this.redis.exists(keys.user, keys.codes))));
        const missing = page.filter((_, i) => present[i] !== 2);
        if (missing.length === 0) continue;
        const { user, codes } = standInFields(Date.now());
        const results = await this.background(() => Promise.all(missing.map((keys) => this.script('ensureStandIn', [keys.user, keys.codes, user.length / 2, ...user, ...codes]))));
        written += results.filter((result) => result === 1).length;
      }
      this.standInsWanted = false;
      if (written > 0) this.logger.debug({ written }, 'stand-in records for unknown users written');
    } catch (error) {
      // Not fatal: until they exist an unknown user is only refused faster than a wrong PIN.
      this.standInsWanted = true;
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not write the stand-in records for unknown users; trying again once Redis answers');
    }
  }

  /**
   * Runs decide.lua: the decision (taken now, or the one a retransmission already got), or,
   * when `request.revision` is not the record's, the current snapshot and nothing decided.
   */
  async decide(request: DecideRequest): Promise<DecideResult> {
    const keys = this.keys.decideKeys(request.user, request.fingerprint);
    const standIn = this.standIns.keysFor(keys.user);
    const reply = (await this.run(
      'decide',
      keys.user,
      keys.codes,
      keys.decision,
      keys.challenges,
      standIn.user,
      standIn.codes,
      request.now,
      request.decisionTtlMs,
      request.maxFailures,
      request.lockoutMs,
      request.fallbackReason,
      request.tokenFoundPolicy,
      request.temporaryBypass ? '1' : '',
      request.presentedState ?? '',
      request.client,
      // Wall clock, not the injectable one: this is about Redis running the script late.
      Date.now() + this.commandTimeoutMs + CLOCK_SKEW_ALLOWANCE_MS,
      request.revision,
      this.newRevision(),
      ...request.candidates.map(candidateArgument),
    )) as [string, string | string[], string[]?, string[]?];
    this.setHealthy(true, 'command answered');
    const [state, payload] = reply;
    if (state === 'late') throw this.unavailable(new Error('Redis ran the decision after the command timeout; nothing was consumed'));
    if (state === 'stale') return { kind: 'stale', snapshot: snapshotFrom(request.user, payload as string[], reply[2] ?? []) };
    // A replayed decision is answered again: it must be as durable as a fresh one before it
    // is sent, or a failover could bring its code back.
    await this.awaitReplicas();
    const changed = reply[2] === undefined ? undefined : snapshotFrom(request.user, reply[2], reply[3] ?? []);
    return { kind: 'decided', decision: payload as string, replayed: state === 'replay', snapshot: changed };
  }

  /**
   * Snapshots of users, a page of names at a time, for the gateway to start with copies of
   * every record (see UserSnapshots). Commands go out concurrently: ioredis sends them in
   * one write, and with Cluster each to its own slot's master.
   */
  async loadSnapshots(names: readonly string[]): Promise<Map<string, UserSnapshot>> {
    const loaded = await this.background(() =>
      Promise.all(
        names.map(async (name) => {
          const [user, challenges] = await Promise.all([this.redis.hgetall(this.keys.user(name)), this.redis.hgetall(this.keys.challenges(name))]);
          return [name, snapshotFrom(name, Object.entries(user).flat(), Object.entries(challenges).flat())] as const;
        }),
      ),
    );
    return new Map(loaded.filter(([, snapshot]) => snapshot.user !== undefined));
  }

  // --- users ------------------------------------------------------------------------

  async createUser(user: string, fields: (string | number)[], createdAt: number): Promise<boolean> {
    const created = (await this.run('createUser', this.keys.user(user), ...fields, USER_FIELDS.revision, this.newRevision())) === 1;
    if (created) await this.command(() => this.redis.zadd(this.keys.users(), createdAt, user));
    return created;
  }

  async getUser(user: string): Promise<UserRecord | undefined> {
    const flat = await this.command(() => this.redis.hgetall(this.keys.user(user)));
    const pairs = Object.entries(flat).flat();
    return userFromFields(user, pairs);
  }

  /** Sets and deletes fields of an existing user; false if there is no such user. */
  async updateUser(user: string, set: (string | number)[], remove: readonly string[] = []): Promise<boolean> {
    // Every change gets a new revision: gateways then stop deciding on their old copies.
    const withRevision = [...set, USER_FIELDS.revision, this.newRevision()];
    return (await this.run('updateUser', this.keys.user(user), withRevision.length / 2, ...withRevision, ...remove)) === 1;
  }

  async deleteUser(user: string): Promise<boolean> {
    const removed = await this.command(() => this.redis.del(this.keys.user(user), this.keys.codes(user), this.keys.challenges(user)));
    await this.command(() => this.redis.zrem(this.keys.users(), user));
    return removed > 0;
  }

  /** User names in creation order, a page at a time (for streaming `user list`). */
  async listUsers(offset: number, count: number): Promise<string[]> {
    return this.command(() => this.redis.zrange(this.keys.users(), offset, offset + count - 1));
  }

  /** Users created at or after `sinceMs` (their creation time is the score), oldest first, a page at a time. */
  async listUsersCreatedSince(sinceMs: number, offset: number, count: number): Promise<{ name: string; createdAt: number }[]> {
    const flat = await this.background(() => this.redis.zrangebyscore(this.keys.users(), sinceMs, '+inf', 'WITHSCORES', 'LIMIT', offset, count));
    const users: { name: string; createdAt: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) users.push({ name: flat[i]!, createdAt: Number(flat[i + 1]) });
    return users;
  }

  async countUsers(): Promise<number> {
    return this.command(() => this.redis.zcard(this.keys.users()));
  }

  /** Appends an admin action to the capped audit stream (about the last 100,000 kept). */
  async appendAudit(fields: Record<string, string>): Promise<void> {
    await this.command(() => this.redis.xadd(this.keys.audit(), 'MAXLEN', '~', 100_000, '*', ...Object.entries(fields).flat()));
  }

  /** The most recent admin actions, newest first. */
  async recentAudit(count: number): Promise<Record<string, string>[]> {
    const entries = await this.command(() => this.redis.xrevrange(this.keys.audit(), '+', '-', 'COUNT', count));
    return entries.map(([, flat]) => {
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
      return fields;
    });
  }

  // --- codes ------------------------------------------------------------------------

  /** Stores issued codes under their lookup hashes; false if the user does not exist. */
  async issueCodes(user: string, codes: readonly { lookup: string; record: CodeRecord }[], now: number): Promise<boolean> {
    const pairs = codes.flatMap(({ lookup, record }) => [lookup, codeToJson(record)]);
    const prefixed = PIN_PREFIXED_KINDS.map(kindToWire).join(',');
    return (await this.run('issueCodes', this.keys.user(user), this.keys.codes(user), now, this.codeRetentionMs, prefixed, this.newRevision(), ...pairs)) === 1;
  }

  async listCodes(user: string): Promise<CodeRecord[]> {
    const all = await this.command(() => this.redis.hvals(this.keys.codes(user)));
    return all.map(codeFromJson).sort((a, b) => a.issuedAt - b.issuedAt || a.id.localeCompare(b.id));
  }

  async revokeCodes(user: string, selector: { id: string } | 'last' | 'all' | 'emergency', now: number, by: string): Promise<CodeRecord[]> {
    const mode = typeof selector === 'string' ? selector : 'id';
    const id = typeof selector === 'string' ? '' : selector.id;
    const revoked = (await this.run('revokeCodes', this.keys.user(user), this.keys.codes(user), mode, id, now, by)) as string[];
    return revoked.map(codeFromJson);
  }
}
