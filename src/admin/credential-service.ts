import { randomBytes } from 'node:crypto';
import type { ChallengeConfig, CodesConfig, PolicyConfig } from '../config/types.js';
import type { Clock } from '../credentials/clock.js';
import { encodeBase32 } from '../credentials/otp/base32.js';
import { otpauthUri } from '../credentials/otp/otpauth-uri.js';
import { decodeTokenSecret, periodProblem } from '../credentials/otp/token-rules.js';
import { pinProblem } from '../credentials/pin-policy.js';
import { deriveOfflineAuthcode } from '../credentials/offline-authcode.js';
import type { CodeKind, TokenAlgorithm, TokenRecord, TokenType, UserChanges, UserRecord } from '../credentials/records.js';
import { userNameProblem } from '../credentials/user-name.js';
import type { Keyring } from '../keys/keyring.js';
import type { CredentialRepository } from '../store/credential-repository.js';
import type { Actor, AdminAudit } from './admin-audit.js';
import { AdminError, unknownUser } from './admin-error.js';
import { allowedValidity, requestNotPending, requireRequestCode, requireTokenForEmergencyAccess } from './emergency-access-rules.js';
import { kindSettings, newCodes, planIssue, type IssueRequest } from './code-issuing.js';
import { codeListing, codeView, temporaryAccessView, userView, type ChallengeAccessView, type CodeView, type IssuedCode, type TemporaryAccessView, type UserView } from './views.js';

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
  /** The helpdesk's zone (config `time_zone`): day and month lifetimes are counted in it. */
  readonly timeZone: string;
  /** The challenge flow: which validities `authcode respond` may grant. */
  readonly challenge: ChallengeConfig;
  /** Issuer shown by authenticator apps for enrolled tokens. */
  readonly tokenIssuer: string;
  readonly audit: AdminAudit;
  readonly clock: Clock;
}

const invalid = (message: string): AdminError => new AdminError('RADGATE_ADMIN_INVALID_INPUT', message);

/** Which codes `code revoke` ends: one by id (an issued code or a temporary bypass), the last issued (of one kind), or all. */
export type RevokeRequest = { readonly id: string } | { readonly last: CodeKind | undefined } | 'all';

/** What a revocation ended. */
export interface Revoked {
  readonly codes: CodeView[];
  /** Temporary bypasses ended: named by id, or made by a revoked authorization code. */
  readonly temporaryAccess: TemporaryAccessView[];
  /** Pending request codes cancelled (`all`). */
  readonly requestCodes: string[];
}

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

  /**
   * Users whose (canonical) name starts with `prefix`, at most `limit`, for the console's
   * search. Names are read a page at a time and only the matches' records are read: a
   * helpdesk searches while a user waits on the phone, and a user base is a few hundred
   * thousand names at most.
   */
  async findUsers(prefix: string, limit: number, pageSize = 1000): Promise<UserView[]> {
    const found: UserView[] = [];
    for (let offset = 0; found.length < limit; offset += pageSize) {
      const names = await this.repository.listUsers(offset, pageSize);
      for (const name of names.filter((candidate) => candidate.startsWith(prefix)).sort()) {
        const record = await this.repository.getUser(name);
        if (record !== undefined && found.length < limit) found.push(userView(record, await this.repository.listCodes(name), this.options.clock()));
      }
      if (names.length < pageSize) break;
    }
    return found;
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

  /**
   * Turns challenge (offline authorization code) access on or off for one user. Off also
   * ends their temporary access (README "Temporary access").
   */
  async setChallenge(user: string, allowed: boolean, actor: Actor): Promise<void> {
    this.checkName(user);
    await this.update(user, { challengeAllowed: allowed });
    const ended = allowed ? {} : await this.endTemporaryAccess(user, actor);
    await this.options.audit.record('user.set', user, actor, { challenge: allowed ? 'on' : 'off', ...ended });
  }

  async disableUser(user: string, actor: Actor): Promise<void> {
    this.checkName(user);
    await this.update(user, { status: 'disabled' });
    await this.options.audit.record('user.disable', user, actor, await this.endTemporaryAccess(user, actor));
  }

  /**
   * Ends the user's temporary bypass and pending request codes at once on every gateway;
   * what ended goes into the audit record of the action that ended it. The admin actions
   * that change who may have temporary access call it (README "Temporary access").
   */
  private async endTemporaryAccess(user: string, actor: Actor): Promise<Record<string, unknown>> {
    const ended = await this.repository.endTemporaryAccess(user, { now: this.options.clock(), by: actor.operator.slice(0, 64) });
    if (ended === undefined) return {};
    return { ...(ended.bypass === undefined ? {} : { temporary_access_ended: ended.bypass }), ...(ended.requestCodes.length === 0 ? {} : { request_codes_cancelled: ended.requestCodes }) };
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
    // Temporary access stood in for the old token: the new one ends it.
    const ended = await this.endTemporaryAccess(user, actor);
    await this.options.audit.record('token.assign', user, actor, { serial, type, digits, ...(replaced === undefined ? {} : { replaced }), ...ended });
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
    // Whoever holds the token may hold what was given in its place: emergency codes are
    // issued afresh after a loss, through the lost-token procedure.
    await this.options.audit.record('token.lost', user, actor, { serial: token.serial, ...(await this.endTemporaryAccess(user, actor)) });
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
    await this.options.audit.record('token.unassign', user, actor, { serial: token.serial, ...(await this.endTemporaryAccess(user, actor)) });
  }

  // --- issued codes -----------------------------------------------------------------

  async issueCodes(user: string, request: IssueRequest, actor: Actor): Promise<IssuedCode[]> {
    this.checkName(user);
    const now = this.options.clock();
    const plan = planIssue(request, this.options.codes, now, this.options.timeZone);
    requireTokenForEmergencyAccess(await this.requireUser(user), now);
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

  /** The user's issued codes; an online authorization code carries the lock its use left. */
  async listCodes(user: string): Promise<CodeView[]> {
    return (await this.codeListing(user)).codes;
  }

  /** The user's pending request codes and the lock an offline authorization code left. */
  async challengeAccess(user: string): Promise<ChallengeAccessView> {
    return (await this.codeListing(user)).challenge;
  }

  /** Issued codes and challenge access in one read, for `code list`. */
  async codeListing(user: string): Promise<{ codes: CodeView[]; challenge: ChallengeAccessView }> {
    await this.requireUser(user);
    const [codes, challenges] = await Promise.all([this.repository.listCodes(user), this.repository.getChallenges(user)]);
    return codeListing(codes, challenges, this.options.clock());
  }

  /**
   * Revokes by id, the last issued (of one kind), or all, pending request codes included;
   * revoking an authorization code ends the password-only lock its use left. Effective at
   * once on every gateway instance.
   */
  async revokeCodes(user: string, selector: RevokeRequest, actor: Actor): Promise<Revoked> {
    await this.requireUser(user);
    const now = this.options.clock();
    const by = actor.operator.slice(0, 64);
    const revoked = await this.repository.revokeCodes(user, selector, now, by);
    if (typeof selector === 'object' && 'id' in selector && revoked.length === 0) {
      const exists = (await this.repository.listCodes(user)).some((code) => code.id === selector.id);
      if (!exists) throw new AdminError('RADGATE_ADMIN_CODE_NOT_FOUND', `${user} has no code with id ${selector.id} (see radgate code list ${user})`);
    }
    const requestCodes = selector === 'all' ? ((await this.repository.endTemporaryAccess(user, { now, by }))?.requestCodes ?? []) : [];
    const bypasses = revoked.filter((code) => code.kind === 'temporary-bypass');
    const codes = revoked.filter((code) => code.kind !== 'temporary-bypass');
    await this.options.audit.record('code.revoke', user, actor, {
      selector: typeof selector === 'string' ? selector : 'id' in selector ? selector.id : `last${selector.last === undefined ? '' : ` ${selector.last}`}`,
      ids: codes.map((code) => code.id),
      ...(bypasses.length === 0 ? {} : { temporary_access_ended: bypasses.map((code) => code.id) }),
      ...(requestCodes.length === 0 ? {} : { request_codes_cancelled: requestCodes }),
    });
    return { codes: codes.map((code) => codeView(code, now)), temporaryAccess: bypasses.map((code) => temporaryAccessView(code, now)), requestCodes };
  }

  // --- the challenge flow -------------------------------------------------------------

  /**
   * Cancels one pending request code: an authorization code read out for it, but not yet
   * typed, is then refused.
   */
  async cancelRequestCode(user: string, typed: string, actor: Actor): Promise<string> {
    await this.requireUser(user);
    const requestCode = requireRequestCode(typed);
    const ended = await this.repository.endTemporaryAccess(user, { now: this.options.clock(), by: actor.operator.slice(0, 64), requestCode });
    if (ended === undefined) throw unknownUser(user);
    if (!ended.requestCodes.includes(requestCode)) throw requestNotPending(user, requestCode);
    await this.options.audit.record('code.revoke', user, actor, { request_codes_cancelled: [requestCode] });
    return requestCode;
  }

  /**
   * The helpdesk's half of the challenge flow (SPEC "Challenge flow", step 2): the offline
   * authorization code that answers a pending request code, for a user who may have it.
   * An audited admin action; the audit names the request code and validity, never the code.
   */
  async respondToRequestCode(user: string, typed: { readonly requestCode: string; readonly validity: string }, actor: Actor): Promise<{ code: string; requestCode: string; validity: string }> {
    const { challenge, keyring, clock } = this.options;
    if (!challenge.enabled) throw new AdminError('RADGATE_ADMIN_CHALLENGE_NOT_ALLOWED', 'the challenge flow is off (challenge.enabled): no request code can be pending');
    const requestCode = requireRequestCode(typed.requestCode);
    const validity = allowedValidity(typed.validity, challenge.validities);
    const record = await this.requireUser(user);
    if (!record.challengeAllowed) {
      throw new AdminError('RADGATE_ADMIN_CHALLENGE_NOT_ALLOWED', `${user} may not use the challenge flow (radgate user set ${user} --challenge on)`);
    }
    const now = clock();
    requireTokenForEmergencyAccess(record, now);
    const { requests } = await this.repository.getChallenges(user);
    if (!requests.some((request) => request.requestCode === requestCode && request.expiresAt > now)) throw requestNotPending(user, requestCode);
    const code = deriveOfflineAuthcode(keyring, user, requestCode, validity);
    await this.options.audit.record('authcode.respond', user, actor, { request_code: requestCode, validity });
    return { code, requestCode, validity };
  }
}
