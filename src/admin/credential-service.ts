import { randomBytes } from 'node:crypto';
import type { CodesConfig, PolicyConfig } from '../config/types.js';
import type { Clock } from '../credentials/clock.js';
import { encodeBase32 } from '../credentials/otp/base32.js';
import { otpauthUri } from '../credentials/otp/otpauth-uri.js';
import { decodeTokenSecret, periodProblem } from '../credentials/otp/token-rules.js';
import { pinProblem } from '../credentials/pin-policy.js';
import type { TokenAlgorithm, TokenRecord, TokenType, UserChanges, UserRecord } from '../credentials/records.js';
import { userNameProblem } from '../credentials/user-name.js';
import type { Keyring } from '../keys/keyring.js';
import type { CredentialRepository } from '../store/credential-repository.js';
import type { Actor, AdminAudit } from './admin-audit.js';
import { AdminError, unknownUser } from './admin-error.js';
import { kindSettings, newCodes, planIssue, type IssueRequest } from './code-issuing.js';
import { codeView, userView, type CodeView, type IssuedCode, type UserView } from './views.js';

export interface TokenAssignment {
  readonly type?: TokenType;
  readonly digits?: 6 | 8;
  readonly period?: number;
  readonly algorithm?: TokenAlgorithm;
  /** Base32; generated (20 random bytes, RFC 4226 §4's recommended 160 bits) when absent. */
  readonly secret?: string;
  readonly expiresAt?: Date;
  /** A user who has a token keeps it unless the helpdesk says to replace it. */
  readonly replace?: boolean;
}

export interface CredentialServiceOptions {
  readonly repository: CredentialRepository;
  readonly keyring: Keyring;
  readonly policy: PolicyConfig;
  readonly codes: CodesConfig;
  /** Issuer shown by authenticator apps for enrolled tokens. */
  readonly tokenIssuer: string;
  readonly audit: AdminAudit;
  readonly clock: Clock;
}

const invalid = (message: string): AdminError => new AdminError('RADGATE_ADMIN_INVALID_INPUT', message);

/**
 * The one API over users, tokens and codes for people (the CLI now, a web console
 * later): a rule (PIN policy, "assign a new token first", lifetime bounds) is enforced in
 * one place, every input is checked before anything is written, and every action is
 * audited with its operator and reason.
 */
export class CredentialService {
  constructor(private readonly options: CredentialServiceOptions) {}

  private get repository(): CredentialRepository {
    return this.options.repository;
  }

  private checkName(user: string): void {
    const problem = userNameProblem(user);
    if (problem !== undefined) throw invalid(problem);
  }

  private checkPin(pin: string): void {
    const problem = pinProblem(pin, this.options.policy.pin);
    if (problem !== undefined) throw invalid(problem);
  }

  private async requireUser(user: string): Promise<UserRecord> {
    this.checkName(user);
    const record = await this.repository.getUser(user);
    if (record === undefined) throw unknownUser(user);
    return record;
  }

  private async update(user: string, changes: UserChanges): Promise<void> {
    if (!(await this.repository.updateUser(user, changes))) throw unknownUser(user);
  }

  // --- users ------------------------------------------------------------------------

  async addUser(user: string, pin: string | undefined, actor: Actor): Promise<UserView> {
    this.checkName(user);
    if (pin !== undefined) this.checkPin(pin);
    const createdAt = this.options.clock();
    const pinHash = pin === undefined ? undefined : this.options.keyring.hashPin(user, pin);
    if (!(await this.repository.createUser(user, { createdAt, pinHash }))) {
      throw new AdminError('RADGATE_ADMIN_USER_EXISTS', `a user named ${JSON.stringify(user)} already exists`);
    }
    await this.options.audit.record('user.add', user, actor, { pin_set: pin !== undefined });
    return this.showUser(user);
  }

  async showUser(user: string): Promise<UserView> {
    const record = await this.requireUser(user);
    return userView(record, await this.repository.listCodes(user), this.options.clock());
  }

  /** Users a page at a time, so a CLI can stream a long list. */
  async *listUsers(pageSize = 500): AsyncGenerator<UserView> {
    for (let offset = 0; ; offset += pageSize) {
      const names = await this.repository.listUsers(offset, pageSize);
      for (const name of names) {
        const record = await this.repository.getUser(name);
        if (record !== undefined) yield userView(record, await this.repository.listCodes(name), this.options.clock());
      }
      if (names.length < pageSize) return;
    }
  }

  countUsers(): Promise<number> {
    return this.repository.countUsers();
  }

  async setPin(user: string, pin: string, actor: Actor): Promise<void> {
    this.checkName(user);
    this.checkPin(pin);
    await this.update(user, { pinHash: this.options.keyring.hashPin(user, pin) });
    await this.options.audit.record('user.set-pin', user, actor);
  }

  /** Turns challenge (offline authorization code) access on or off for one user. */
  async setChallenge(user: string, allowed: boolean, actor: Actor): Promise<void> {
    this.checkName(user);
    await this.update(user, { challengeAllowed: allowed });
    await this.options.audit.record('user.set', user, actor, { challenge: allowed ? 'on' : 'off' });
  }

  async disableUser(user: string, actor: Actor): Promise<void> {
    this.checkName(user);
    await this.update(user, { status: 'disabled' });
    await this.options.audit.record('user.disable', user, actor);
  }

  async enableUser(user: string, actor: Actor): Promise<void> {
    this.checkName(user);
    await this.update(user, { status: 'active' });
    await this.options.audit.record('user.enable', user, actor);
  }

  /** Ends a lockout and resets the failure count. */
  async unlockUser(user: string, actor: Actor): Promise<void> {
    this.checkName(user);
    await this.update(user, { failures: 0, lockedUntil: 0 });
    await this.options.audit.record('user.unlock', user, actor);
  }

  async deleteUser(user: string, actor: Actor): Promise<void> {
    this.checkName(user);
    if (!(await this.repository.deleteUser(user))) throw unknownUser(user);
    await this.options.audit.record('user.delete', user, actor);
  }

  // --- tokens -----------------------------------------------------------------------

  /**
   * Assigns the user's token, or replaces it when `replace` says so; returns the enrolment
   * URI, shown once, and the serial of the token replaced.
   */
  async assignToken(user: string, assignment: TokenAssignment, actor: Actor): Promise<{ serial: string; uri: string; replaced?: string }> {
    this.checkName(user);
    const type = assignment.type ?? 'totp';
    const digits = assignment.digits ?? 6;
    const period = assignment.period ?? 30;
    const algorithm = assignment.algorithm ?? 'sha1';
    if (digits !== 6 && digits !== 8) throw invalid('a token has 6 or 8 digits');
    const badPeriod = periodProblem(period);
    if (badPeriod !== undefined) throw invalid(badPeriod);
    const now = this.options.clock();
    if (assignment.expiresAt !== undefined && assignment.expiresAt.getTime() <= now) throw invalid('the token expiry date is in the past');
    const secret = assignment.secret === undefined ? randomBytes(20) : decodeTokenSecret(assignment.secret);
    if (!Buffer.isBuffer(secret)) throw invalid(secret.problem);
    const replaced = (await this.requireUser(user)).token?.serial;
    if (replaced !== undefined && assignment.replace !== true) {
      throw new AdminError('RADGATE_ADMIN_TOKEN_EXISTS', `${user} already has token ${replaced}: replace it with radgate token assign ${user} --replace`);
    }
    const serial = randomBytes(5).toString('hex').toUpperCase();
    const token: TokenRecord = {
      type,
      serial,
      encryptedSecret: this.options.keyring.encryptTokenSecret(user, secret),
      digits,
      period,
      algorithm,
      state: 'active',
      expiresAt: assignment.expiresAt?.getTime() ?? 0,
      lastStep: -1,
      assignedAt: now,
    };
    await this.update(user, { token });
    await this.options.audit.record('token.assign', user, actor, { serial, type, digits, ...(replaced === undefined ? {} : { replaced }) });
    const uri = otpauthUri({ type, issuer: this.options.tokenIssuer, account: user, secret: encodeBase32(secret), digits, algorithm, period, counter: 0 });
    return { serial, uri, ...(replaced === undefined ? {} : { replaced }) };
  }

  private async requireToken(user: string): Promise<TokenRecord> {
    const record = await this.requireUser(user);
    if (record.token === undefined) throw new AdminError('RADGATE_ADMIN_NO_TOKEN', `${user} has no token: assign one with radgate token assign ${user}`);
    return record.token;
  }

  async markTokenLost(user: string, actor: Actor): Promise<void> {
    const token = await this.requireToken(user);
    await this.update(user, { tokenState: 'lost' });
    await this.options.audit.record('token.lost', user, actor, { serial: token.serial });
  }

  /**
   * Ends the lost state. Under the `allow-and-revoke` found policy the user's outstanding
   * emergency codes are revoked too: the token they stood in for is back (RSA's option).
   */
  async markTokenFound(user: string, actor: Actor): Promise<{ revoked: string[] }> {
    const token = await this.requireToken(user);
    if (token.state !== 'lost') {
      throw new AdminError('RADGATE_ADMIN_TOKEN_NOT_LOST', `${user}'s token ${token.serial} is not lost (it is ${token.state}): nothing to do`);
    }
    await this.update(user, { tokenState: 'active' });
    const revoked =
      this.options.policy.tokenFound === 'allow-and-revoke'
        ? (await this.repository.revokeCodes(user, 'emergency', this.options.clock(), actor.operator.slice(0, 64))).map((code) => code.id)
        : [];
    await this.options.audit.record('token.found', user, actor, { serial: token.serial, revoked });
    return { revoked };
  }

  /** A disabled token's tokencodes are refused (not alerted, unlike a lost one) until enabled. */
  async setTokenDisabled(user: string, disabled: boolean, actor: Actor): Promise<void> {
    const token = await this.requireToken(user);
    await this.update(user, { tokenState: disabled ? 'disabled' : 'active' });
    await this.options.audit.record(disabled ? 'token.disable' : 'token.enable', user, actor, { serial: token.serial });
  }

  async unassignToken(user: string, actor: Actor): Promise<void> {
    const token = await this.requireToken(user);
    await this.update(user, { token: null });
    await this.options.audit.record('token.unassign', user, actor, { serial: token.serial });
  }

  // --- issued codes -----------------------------------------------------------------

  async issueCodes(user: string, request: IssueRequest, actor: Actor): Promise<IssuedCode[]> {
    this.checkName(user);
    const now = this.options.clock();
    const plan = planIssue(request, this.options.codes, now);
    const record = await this.requireUser(user);
    // RSA: emergency access replaces a token the user has; for an expired token the
    // helpdesk must assign a new one first.
    if (record.token === undefined) throw new AdminError('RADGATE_ADMIN_NO_TOKEN', `${user} has no token: assign one first (radgate token assign ${user})`);
    if (record.token.expiresAt !== 0 && record.token.expiresAt <= now) {
      throw new AdminError('RADGATE_ADMIN_TOKEN_EXPIRED', `${user}'s token has expired: assign a new token first (radgate token assign ${user})`);
    }
    const settings = kindSettings(this.options.codes, request.kind);
    const { stored, issued } = newCodes(plan, { user, settings, keyring: this.options.keyring, actor, now });
    if (!(await this.repository.issueCodes(user, stored, now))) throw unknownUser(user);
    await this.options.audit.record('code.issue', user, actor, {
      kind: request.kind,
      ids: issued.map((code) => code.id),
      expires_at: new Date(plan.expiresAt).toISOString(),
      max_uses: plan.maxUses || null,
    });
    return issued;
  }

  async listCodes(user: string): Promise<CodeView[]> {
    await this.requireUser(user);
    const now = this.options.clock();
    return (await this.repository.listCodes(user)).map((code) => codeView(code, now));
  }

  /** Revokes by id, the last issue, or all; effective at once on every gateway instance. */
  async revokeCodes(user: string, selector: { id: string } | 'last' | 'all', actor: Actor): Promise<CodeView[]> {
    await this.requireUser(user);
    const now = this.options.clock();
    const revoked = await this.repository.revokeCodes(user, selector, now, actor.operator.slice(0, 64));
    if (typeof selector === 'object' && revoked.length === 0) {
      const exists = (await this.repository.listCodes(user)).some((code) => code.id === selector.id);
      if (!exists) throw new AdminError('RADGATE_ADMIN_CODE_NOT_FOUND', `${user} has no code with id ${selector.id} (see radgate code list ${user})`);
    }
    await this.options.audit.record('code.revoke', user, actor, { selector: typeof selector === 'object' ? selector.id : selector, ids: revoked.map((code) => code.id) });
    return revoked.map((code) => codeView(code, now));
  }
}
