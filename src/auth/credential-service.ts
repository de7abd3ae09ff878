import { randomBytes } from 'node:crypto';
import type { CodesConfig, CodeKindConfig, PolicyConfig } from '../config/types.js';
import type { Keyring } from '../keys/keyring.js';
import type { CredentialStore } from '../store/credential-store.js';
import {
  codeState,
  PIN_PREFIXED_KINDS,
  tokenToFields,
  TOKEN_FIELDS,
  USER_FIELDS,
  type CodeKind,
  type CodeRecord,
  type CodeState,
  type RecordKind,
  type TokenAlgorithm,
  type TokenRecord,
  type TokenState,
  type TokenType,
  type UserRecord,
} from '../store/records.js';
import type { Actor, AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { generateCode } from './codes/alphabet.js';
import { describeLifetime, expiryOf, LifetimeError, parseLifetime, type Lifetime } from './codes/validity.js';
import { decodeBase32, encodeBase32 } from './otp/base32.js';
import { otpauthUri } from './otp/otpauth-uri.js';
import { pinProblem } from './pin-policy.js';
import { CODE_FAMILY } from './resolve-password.js';
import { userNameProblem } from './user-name.js';

/** A refused admin action. `code` is stable (the CLI maps it to exit 1), the message says what to do. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly code: 'unknown-user' | 'user-exists' | 'invalid-input' | 'no-token' | 'token-expired' | 'not-found',
    message: string,
  ) {
    super(message);
  }
}

export interface TokenView {
  readonly type: TokenType;
  readonly serial: string;
  readonly state: TokenState | 'expired';
  readonly digits: number;
  readonly period: number;
  readonly expiresAt: string | undefined;
  readonly assignedAt: string;
}

/** What `user show` prints: state, never a secret or a hash. */
export interface UserView {
  readonly name: string;
  readonly status: 'active' | 'disabled';
  readonly pinSet: boolean;
  readonly failures: number;
  readonly locked: boolean;
  readonly lockedUntil: string | 'until-unlocked' | undefined;
  readonly createdAt: string;
  readonly token: TokenView | undefined;
  readonly activeCodes: number;
  readonly challenge: 'on' | 'off';
}

export interface CodeView {
  readonly id: string;
  readonly kind: RecordKind;
  readonly state: CodeState;
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly maxUses: number | null;
  readonly uses: number;
  readonly lastUsedAt: string | null;
  readonly issuedBy: string;
  readonly reason: string;
  readonly revokedAt: string | null;
  readonly revokedBy: string | null;
}

/** A newly issued code: the only time the code itself is ever shown. */
export interface IssuedCode {
  readonly id: string;
  readonly code: string;
  readonly kind: CodeKind;
  readonly expiresAt: string;
  readonly maxUses: number | null;
}

export interface TokenAssignment {
  readonly type?: TokenType;
  readonly digits?: 6 | 8;
  readonly period?: number;
  readonly algorithm?: TokenAlgorithm;
  /** Base32; generated (20 random bytes, RFC 4226 §4's recommended 160 bits) when absent. */
  readonly secret?: string;
  readonly expiresAt?: Date;
}

export interface IssueRequest {
  readonly kind: CodeKind;
  /** "12h", "3d", "1month"; the configured default for the kind when absent. */
  readonly lifetime?: string;
  readonly expiresAt?: Date;
  /** Uses per code; absent means until expiry, or 1 for a set of one-time codes (count > 1). */
  readonly uses?: number;
  readonly count?: number;
}

const DAY_MS = 86_400_000;
const MAX_CODES_PER_ISSUE = 100;
/** IBM: authorization codes are valid one day to 31 days, or one calendar month. */
const AUTHCODE_MIN_MS = DAY_MS;
const MAX_LIFETIME_MS = 31 * DAY_MS;

export interface ServiceSettings {
  readonly policy: PolicyConfig;
  readonly codes: CodesConfig;
  readonly tokenIssuer: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The one API over users, tokens and codes. The CLI, the gateway and the tests all go
 * through it, so a rule (PIN policy, "assign a new token first", lifetime bounds) is
 * enforced in one place, and every input is checked before anything is written.
 */
export class CredentialService {
  constructor(
    private readonly store: CredentialStore,
    private readonly keyring: Keyring,
    private readonly settings: ServiceSettings,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  private checkName(user: string): void {
    const problem = userNameProblem(user);
    if (problem !== undefined) throw new ServiceError('invalid-input', problem);
  }

  private checkPin(pin: string): void {
    const problem = pinProblem(pin, this.settings.policy.pin);
    if (problem !== undefined) throw new ServiceError('invalid-input', problem);
  }

  private async requireUser(user: string): Promise<UserRecord> {
    this.checkName(user);
    const record = await this.store.getUser(user);
    if (record === undefined) throw new ServiceError('unknown-user', `no user named ${JSON.stringify(user)} (see radgate user list)`);
    return record;
  }

  private async update(user: string, set: (string | number)[], remove: readonly string[] = []): Promise<void> {
    if (!(await this.store.updateUser(user, set, remove))) {
      throw new ServiceError('unknown-user', `no user named ${JSON.stringify(user)} (see radgate user list)`);
    }
  }

  // --- users ------------------------------------------------------------------------

  async addUser(user: string, pin: string | undefined, actor: Actor): Promise<UserView> {
    this.checkName(user);
    if (pin !== undefined) this.checkPin(pin);
    const now = this.clock();
    const fields: (string | number)[] = [USER_FIELDS.status, 'active', USER_FIELDS.failures, 0, USER_FIELDS.locked, 0, USER_FIELDS.created, now];
    if (pin !== undefined) fields.push(USER_FIELDS.pin, this.keyring.hashPin(user, pin));
    if (!(await this.store.createUser(user, fields, now))) {
      throw new ServiceError('user-exists', `a user named ${JSON.stringify(user)} already exists`);
    }
    await this.audit.admin('user.add', user, actor, { pin_set: pin !== undefined });
    return this.showUser(user);
  }

  async showUser(user: string): Promise<UserView> {
    const record = await this.requireUser(user);
    const codes = await this.store.listCodes(user);
    return this.view(record, codes);
  }

  private view(record: UserRecord, codes: readonly CodeRecord[]): UserView {
    const now = this.clock();
    const locked = record.lockedUntil < 0 || record.lockedUntil > now;
    const token = record.token;
    return {
      name: record.name,
      status: record.status,
      pinSet: record.pinHash !== undefined,
      failures: record.failures,
      locked,
      lockedUntil: !locked ? undefined : record.lockedUntil < 0 ? 'until-unlocked' : iso(record.lockedUntil),
      createdAt: iso(record.createdAt),
      token:
        token === undefined
          ? undefined
          : {
              type: token.type,
              serial: token.serial,
              state: token.expiresAt !== 0 && token.expiresAt <= now ? 'expired' : token.state,
              digits: token.digits,
              period: token.period,
              expiresAt: token.expiresAt === 0 ? undefined : iso(token.expiresAt),
              assignedAt: iso(token.assignedAt),
            },
      activeCodes: codes.filter((code) => codeState(code, now) === 'active').length,
      challenge: record.challengeAllowed ? 'on' : 'off',
    };
  }

  /** Users a page at a time, so a CLI can stream a long list. */
  async *listUsers(pageSize = 500): AsyncGenerator<UserView> {
    for (let offset = 0; ; offset += pageSize) {
      const names = await this.store.listUsers(offset, pageSize);
      for (const name of names) {
        const record = await this.store.getUser(name);
        if (record !== undefined) yield this.view(record, await this.store.listCodes(name));
      }
      if (names.length < pageSize) return;
    }
  }

  countUsers(): Promise<number> {
    return this.store.countUsers();
  }

  async setPin(user: string, pin: string, actor: Actor): Promise<void> {
    this.checkName(user);
    this.checkPin(pin);
    await this.update(user, [USER_FIELDS.pin, this.keyring.hashPin(user, pin)]);
    await this.audit.admin('user.set-pin', user, actor);
  }

  /** Turns challenge (offline authorization code) access on or off for one user. */
  async setChallenge(user: string, allowed: boolean, actor: Actor): Promise<void> {
    this.checkName(user);
    await this.update(user, [USER_FIELDS.challenge, allowed ? 'on' : 'off']);
    await this.audit.admin('user.set', user, actor, { challenge: allowed ? 'on' : 'off' });
  }

  async disableUser(user: string, actor: Actor): Promise<void> {
    this.checkName(user);
    await this.update(user, [USER_FIELDS.status, 'disabled']);
    await this.audit.admin('user.disable', user, actor);
  }

  async enableUser(user: string, actor: Actor): Promise<void> {
    this.checkName(user);
    await this.update(user, [USER_FIELDS.status, 'active']);
    await this.audit.admin('user.enable', user, actor);
  }

  /** Ends a lockout and resets the failure count. */
  async unlockUser(user: string, actor: Actor): Promise<void> {
    this.checkName(user);
    await this.update(user, [USER_FIELDS.failures, 0, USER_FIELDS.locked, 0]);
    await this.audit.admin('user.unlock', user, actor);
  }

  async deleteUser(user: string, actor: Actor): Promise<void> {
    this.checkName(user);
    if (!(await this.store.deleteUser(user))) throw new ServiceError('unknown-user', `no user named ${JSON.stringify(user)} (see radgate user list)`);
    await this.audit.admin('user.delete', user, actor);
  }

  // --- tokens -----------------------------------------------------------------------

  /** Assigns (or replaces) the user's token; returns the enrolment URI, shown once. */
  async assignToken(user: string, assignment: TokenAssignment, actor: Actor): Promise<{ serial: string; uri: string }> {
    this.checkName(user);
    const type = assignment.type ?? 'totp';
    const digits = assignment.digits ?? 6;
    const period = assignment.period ?? 30;
    const algorithm = assignment.algorithm ?? 'sha1';
    if (digits !== 6 && digits !== 8) throw new ServiceError('invalid-input', 'a token has 6 or 8 digits');
    if (!Number.isInteger(period) || period < 10 || period > 300) throw new ServiceError('invalid-input', 'a TOTP period is 10 to 300 seconds');
    const now = this.clock();
    if (assignment.expiresAt !== undefined && assignment.expiresAt.getTime() <= now) {
      throw new ServiceError('invalid-input', 'the token expiry date is in the past');
    }
    let secret: Buffer;
    if (assignment.secret === undefined) secret = randomBytes(20);
    else {
      const decoded = decodeBase32(assignment.secret);
      // RFC 4226 §4: at least 128 bits of shared secret.
      if (decoded === undefined || decoded.length < 16) throw new ServiceError('invalid-input', 'the token secret must be base32 of at least 16 bytes (26 characters)');
      secret = decoded;
    }
    const serial = randomBytes(5).toString('hex').toUpperCase();
    const token: TokenRecord = {
      type,
      serial,
      encryptedSecret: this.keyring.encryptTokenSecret(user, secret),
      digits,
      period,
      algorithm,
      state: 'active',
      expiresAt: assignment.expiresAt?.getTime() ?? 0,
      lastStep: -1,
      assignedAt: now,
    };
    await this.update(user, tokenToFields(token));
    await this.audit.admin('token.assign', user, actor, { serial, type, digits });
    const uri = otpauthUri({ type, issuer: this.settings.tokenIssuer, account: user, secret: encodeBase32(secret), digits, algorithm, period, counter: 0 });
    return { serial, uri };
  }

  private async requireToken(user: string): Promise<TokenRecord> {
    const record = await this.requireUser(user);
    if (record.token === undefined) throw new ServiceError('no-token', `${user} has no token: assign one with radgate token assign ${user}`);
    return record.token;
  }

  async markTokenLost(user: string, actor: Actor): Promise<void> {
    const token = await this.requireToken(user);
    await this.update(user, [USER_FIELDS.tokenState, 'lost']);
    await this.audit.admin('token.lost', user, actor, { serial: token.serial });
  }

  /**
   * Ends the lost state. Under the `allow-and-revoke` found policy the user's outstanding
   * emergency codes are revoked too: the token they stood in for is back (RSA's option).
   */
  async markTokenFound(user: string, actor: Actor): Promise<{ revoked: string[] }> {
    const token = await this.requireToken(user);
    await this.update(user, [USER_FIELDS.tokenState, 'active']);
    const revoked =
      this.settings.policy.tokenFound === 'allow-and-revoke' ? (await this.store.revokeCodes(user, 'emergency', this.clock(), actor.operator.slice(0, 64))).map((code) => code.id) : [];
    await this.audit.admin('token.found', user, actor, { serial: token.serial, revoked });
    return { revoked };
  }

  /** A disabled token's tokencodes are refused (not alerted, unlike a lost one) until enabled. */
  async setTokenDisabled(user: string, disabled: boolean, actor: Actor): Promise<void> {
    const token = await this.requireToken(user);
    await this.update(user, [USER_FIELDS.tokenState, disabled ? 'disabled' : 'active']);
    await this.audit.admin(disabled ? 'token.disable' : 'token.enable', user, actor, { serial: token.serial });
  }

  async unassignToken(user: string, actor: Actor): Promise<void> {
    const token = await this.requireToken(user);
    await this.update(user, [], TOKEN_FIELDS);
    await this.audit.admin('token.unassign', user, actor, { serial: token.serial });
  }

  // --- issued codes -----------------------------------------------------------------

  private kindSettings(kind: CodeKind): CodeKindConfig {
    switch (kind) {
      case 'emergency-tokencode':
        return this.settings.codes.emergencyTokencode;
      case 'emergency-passcode':
        return this.settings.codes.emergencyPasscode;
      case 'online-authcode':
        return this.settings.codes.onlineAuthcode;
    }
  }

  /** Checks every input and works out the expiry, before anything is written. */
  private expiryFor(request: IssueRequest, now: number): number {
    if (request.lifetime !== undefined && request.expiresAt !== undefined) {
      throw new ServiceError('invalid-input', 'give either a lifetime or an expiry date, not both');
    }
    let expiresAt: number;
    let lifetime: Lifetime | undefined;
    if (request.expiresAt !== undefined) {
      expiresAt = request.expiresAt.getTime();
      if (!Number.isFinite(expiresAt)) throw new ServiceError('invalid-input', 'the expiry date is not a valid date');
      if (expiresAt <= now) throw new ServiceError('invalid-input', 'the expiry date is in the past');
    } else {
      try {
        lifetime = parseLifetime(request.lifetime ?? this.kindSettings(request.kind).lifetime);
      } catch (error) {
        throw new ServiceError('invalid-input', (error as LifetimeError).message);
      }
      expiresAt = expiryOf(lifetime, new Date(now)).getTime();
    }
    const span = expiresAt - now;
    const calendarMonth = lifetime !== undefined && 'months' in lifetime;
    if (request.kind === 'online-authcode' && !calendarMonth && (span < AUTHCODE_MIN_MS || span > MAX_LIFETIME_MS)) {
      throw new ServiceError('invalid-input', 'an authorization code is valid 1 to 31 days, or 1month');
    }
    if (!calendarMonth && span > MAX_LIFETIME_MS) {
      throw new ServiceError('invalid-input', `a code lives at most 31 days or 1month (asked for ${lifetime === undefined ? 'a later date' : describeLifetime(lifetime)})`);
    }
    return expiresAt;
  }

  async issueCodes(user: string, request: IssueRequest, actor: Actor): Promise<IssuedCode[]> {
    this.checkName(user);
    const count = request.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > MAX_CODES_PER_ISSUE) {
      throw new ServiceError('invalid-input', `--count must be 1 to ${MAX_CODES_PER_ISSUE}`);
    }
    if (request.uses !== undefined && (!Number.isInteger(request.uses) || request.uses < 1 || request.uses > 1_000_000)) {
      throw new ServiceError('invalid-input', '--uses must be a whole number of at least 1');
    }
    const now = this.clock();
    const expiresAt = this.expiryFor(request, now);
    const record = await this.requireUser(user);
    // RSA: emergency access replaces a token the user has; for an expired token the
    // helpdesk must assign a new one first.
    if (record.token === undefined) throw new ServiceError('no-token', `${user} has no token: assign one first (radgate token assign ${user})`);
    if (record.token.expiresAt !== 0 && record.token.expiresAt <= now) {
      throw new ServiceError('token-expired', `${user}'s token has expired: assign a new token first (radgate token assign ${user})`);
    }

    const settings = this.kindSettings(request.kind);
    const family = PIN_PREFIXED_KINDS.includes(request.kind) ? CODE_FAMILY.afterPin : CODE_FAMILY.alone;
    // A set of N codes is N one-time codes (RSA's second form) unless --uses says otherwise.
    const maxUses = request.uses ?? (count > 1 ? 1 : 0);
    const issued: IssuedCode[] = [];
    const entries: { lookup: string; record: CodeRecord }[] = [];
    for (let i = 0; i < count; i++) {
      const code = generateCode(settings.alphabet, settings.length);
      const id = randomBytes(5).toString('hex');
      entries.push({
        lookup: this.keyring.hashCode(user, family, code),
        record: {
          id, kind: request.kind, issuedAt: now, expiresAt, maxUses, uses: 0, lastUsedAt: 0, revokedAt: 0,
          issuedBy: actor.operator.slice(0, 64), reason: (actor.reason ?? '').slice(0, 200), revokedBy: '', length: code.length,
        },
      });
      issued.push({ id, code, kind: request.kind, expiresAt: iso(expiresAt), maxUses: maxUses === 0 ? null : maxUses });
    }
    if (!(await this.store.issueCodes(user, entries, now))) {
      throw new ServiceError('unknown-user', `no user named ${JSON.stringify(user)} (see radgate user list)`);
    }
    await this.audit.admin('code.issue', user, actor, { kind: request.kind, ids: issued.map((code) => code.id), expires_at: iso(expiresAt), max_uses: maxUses || null });
    return issued;
  }

  async listCodes(user: string): Promise<CodeView[]> {
    await this.requireUser(user);
    const now = this.clock();
    return (await this.store.listCodes(user)).map((code) => this.codeView(code, now));
  }

  private codeView(code: CodeRecord, now: number): CodeView {
    return {
      id: code.id,
      kind: code.kind,
      state: codeState(code, now),
      issuedAt: iso(code.issuedAt),
      expiresAt: iso(code.expiresAt),
      maxUses: code.maxUses === 0 ? null : code.maxUses,
      uses: code.uses,
      lastUsedAt: code.lastUsedAt === 0 ? null : iso(code.lastUsedAt),
      issuedBy: code.issuedBy,
      reason: code.reason,
      revokedAt: code.revokedAt === 0 ? null : iso(code.revokedAt),
      revokedBy: code.revokedAt === 0 ? null : code.revokedBy,
    };
  }

  /** Revokes by id, the last issue, or all; effective at once on every gateway instance. */
  async revokeCodes(user: string, selector: { id: string } | 'last' | 'all', actor: Actor): Promise<CodeView[]> {
    await this.requireUser(user);
    const now = this.clock();
    const revoked = await this.store.revokeCodes(user, selector, now, actor.operator.slice(0, 64));
    if (typeof selector === 'object' && revoked.length === 0) {
      const exists = (await this.store.listCodes(user)).some((code) => code.id === selector.id);
      if (!exists) throw new ServiceError('not-found', `${user} has no code with id ${selector.id} (see radgate code list ${user})`);
    }
    await this.audit.admin('code.revoke', user, actor, { selector: typeof selector === 'object' ? selector.id : selector, ids: revoked.map((code) => code.id) });
    return revoked.map((code) => this.codeView(code, now));
  }
}
