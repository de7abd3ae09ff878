import type { OperatorRecord, OperatorRole } from '../credentials/operator-records.js';
import type { StoreConnection } from './connection.js';
import type { KeyNames } from './key-names.js';
import { LuaScript } from './lua-script.js';

/** Each field of an operator hash, spelled once. */
const FIELDS = {
  role: 'role',
  passwordHash: 'password',
  totpSecret: 'totp',
  totpPending: 'totp_pending',
  totpStep: 'totp_step',
  failures: 'failures',
  lockedUntil: 'locked_until',
  createdAt: 'created_at',
  seal: 'seal',
} as const satisfies Record<keyof Omit<OperatorRecord, 'name'>, string>;

/** What an admin action changes in an operator record; `null` removes a field. */
export type OperatorChanges = Partial<{ [K in keyof Omit<OperatorRecord, 'name' | 'createdAt'>]: OperatorRecord[K] | null }>;

/** The value a signed-out session's key holds until it expires (never valid JSON of a session). */
const SIGNED_OUT = 'signed-out';

const script = (connection: StoreConnection, name: string, file: string, keys: number): LuaScript =>
  new LuaScript(connection.redis, { name, file: new URL(`./scripts/${file}.lua`, import.meta.url), keys });

/**
 * Console operators and console sessions in Redis. Operators are few (a helpdesk team);
 * sessions are kept under the hash of their id, with the idle timeout as their TTL.
 */
export class OperatorRepository {
  private readonly scripts: { readonly create: LuaScript; readonly update: LuaScript; readonly failure: LuaScript; readonly totpStep: LuaScript; readonly saveSession: LuaScript };

  constructor(
    private readonly connection: StoreConnection,
    private readonly keys: KeyNames,
  ) {
    // The users' create and update scripts are generic over a hash: create only if absent, change only if present.
    this.scripts = {
      create: script(connection, 'createOperator', 'create-user', 1),
      update: script(connection, 'updateOperator', 'update-user', 1),
      failure: script(connection, 'operatorFailure', 'operator-failure', 1),
      totpStep: script(connection, 'operatorTotpStep', 'operator-totp-step', 1),
      saveSession: script(connection, 'saveConsoleSession', 'save-console-session', 1),
    };
  }

  private command<T>(operation: () => Promise<T>): Promise<T> {
    return this.connection.command(operation);
  }

  private get redis() {
    return this.connection.redis;
  }

  /** Creates an operator only if the name is free; false if it is taken. */
  async create(record: OperatorRecord): Promise<boolean> {
    const { set } = toFields(record);
    const created = (await this.command(() => this.scripts.create.run([this.keys.operator(record.name), ...set]))) === 1;
    if (created) await this.command(() => this.redis.zadd(this.keys.operators(), record.createdAt, record.name));
    return created;
  }

  async get(name: string): Promise<OperatorRecord | undefined> {
    const fields = await this.command(() => this.redis.hgetall(this.keys.operator(name)));
    if (fields[FIELDS.role] === undefined) return undefined;
    const optional = (field: string): string | undefined => (fields[field] === undefined || fields[field] === '' ? undefined : fields[field]);
    return {
      name,
      role: fields[FIELDS.role] as OperatorRole,
      passwordHash: optional(FIELDS.passwordHash),
      totpSecret: optional(FIELDS.totpSecret),
      totpPending: optional(FIELDS.totpPending),
      totpStep: Number(fields[FIELDS.totpStep] ?? -1),
      failures: Number(fields[FIELDS.failures] ?? 0),
      lockedUntil: Number(fields[FIELDS.lockedUntil] ?? 0),
      createdAt: Number(fields[FIELDS.createdAt] ?? 0),
      seal: fields[FIELDS.seal] ?? '',
    };
  }

  /** Changes an existing operator (never creates one); false if there is no such operator. */
  async update(name: string, changes: OperatorChanges): Promise<boolean> {
    const { set, remove } = toFields(changes);
    return (await this.command(() => this.scripts.update.run([this.keys.operator(name), set.length / 2, ...set, ...remove]))) === 1;
  }

  async delete(name: string): Promise<boolean> {
    const removed = await this.command(() => this.redis.del(this.keys.operator(name)));
    await this.command(() => this.redis.zrem(this.keys.operators(), name));
    return removed > 0;
  }

  /** Every operator name, oldest first (a helpdesk team, not a user base: one read). */
  list(): Promise<string[]> {
    return this.command(() => this.redis.zrange(this.keys.operators(), 0, -1));
  }

  /** Counts a failed sign-in, locking at `limit` until `lockUntil`; the count (0: no such operator). */
  async countFailure(name: string, limit: number, lockUntil: number): Promise<number> {
    return Number(await this.command(() => this.scripts.failure.run([this.keys.operator(name), limit, lockUntil])));
  }

  /** Records the TOTP step of a sign-in if it is later than the last one; false for a replay. */
  /** Accepts a TOTP step once, and never while the operator is locked (operator-totp-step.lua). */
  async acceptTotpStep(name: string, step: number, now: number): Promise<'accepted' | 'replay' | 'locked'> {
    const result = await this.command(() => this.scripts.totpStep.run([this.keys.operator(name), step, now]));
    return result === 1 ? 'accepted' : result === 2 ? 'locked' : 'replay';
  }

  // --- console sessions ---------------------------------------------------------------

  /** Saves a session unless it was signed out (see deleteSession). */
  async saveSession(idHash: string, session: string, ttlSeconds: number): Promise<void> {
    await this.command(() => this.scripts.saveSession.run([this.keys.consoleSession(idHash), session, ttlSeconds, SIGNED_OUT]));
  }

  async getSession(idHash: string): Promise<string | undefined> {
    const stored = await this.command(() => this.redis.get(this.keys.consoleSession(idHash)));
    return stored === null || stored === SIGNED_OUT ? undefined : stored;
  }

  /**
   * Signs a session out: a tombstone stays under its key for `ttlSeconds` (the longest a
   * session lives), so a request in flight that read it before cannot save it again.
   */
  async deleteSession(idHash: string, ttlSeconds: number): Promise<void> {
    await this.command(() => this.redis.set(this.keys.consoleSession(idHash), SIGNED_OUT, 'EX', ttlSeconds));
  }
}

function toFields(changes: Partial<Omit<OperatorRecord, 'name'>> | OperatorChanges): { set: string[]; remove: string[] } {
  const set: string[] = [];
  const remove: string[] = [];
  for (const [key, field] of Object.entries(FIELDS)) {
    if (!(key in changes)) continue;
    const value = (changes as Record<string, unknown>)[key];
    if (value === null || value === undefined) remove.push(field);
    else set.push(field, String(value));
  }
  return { set, remove };
}
