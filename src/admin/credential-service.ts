import { canonicalMobile, maskMobile, MOBILE_FORM } from '../credentials/mobile-number.js';
import { pinProblem } from '../credentials/pin-policy.js';
import { deriveOfflineAuthcode } from '../credentials/offline-authcode.js';
import type { TokenRecord, UserChanges, UserRecord } from '../credentials/records.js';
import { userNameProblem } from '../credentials/user-name.js';
import type { CredentialRepository } from '../store/credential-repository.js';
import type { Actor } from './admin-audit.js';
import { AdminError, unknownUser } from './admin-error.js';
import { allowedValidity, requestNotPending, requireRequestCode, requireTokenForEmergencyAccess } from './emergency-access-rules.js';
import { kindSettings, newCodes, planIssue, type CodePurpose, type IssueRequest } from './code-issuing.js';
import type { CodeRedemption, CredentialServiceOptions, RevokeRequest, Revoked, TokenAssignment } from './credential-service-types.js';
import { maskedMobileOf, mobileOf, selfServiceRecipient } from './mobile-numbers.js';
import { auditedRedemption, redeemRequestFor } from './code-redemption.js';
import { newToken } from './token-building.js';
import { codeListing, codeView, temporaryAccessView, userView, type ChallengeAccessView, type CodeView, type IssuedCode, type UserView } from './views.js';

export type { CodeRedemption, CredentialServiceOptions, RevokeRequest, Revoked, TokenAssignment } from './credential-service-types.js';

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
    return userView(record, await this.repository.listCodes(user), this.options.clock(), maskedMobileOf(record, this.options.keyring));
  }

  /** Users a page at a time, so a CLI can stream a long list. */
  async *listUsers(pageSize = 500): AsyncGenerator<UserView> {
    for (let offset = 0; ; offset += pageSize) {
      const names = await this.repository.listUsers(offset, pageSize);
      for (const name of names) {
        const record = await this.repository.getUser(name);
        if (record !== undefined) yield userView(record, await this.repository.listCodes(name), this.options.clock(), maskedMobileOf(record, this.options.keyring));
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
        if (record !== undefined && found.length < limit) found.push(userView(record, await this.repository.listCodes(name), this.options.clock(), maskedMobileOf(record, this.options.keyring)));
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

  // --- mobile numbers (issue 18: self-service codes by SMS) ---------------------------

  /** Sets (E.164, stored sealed) or, with null, removes the user's mobile number; audited masked. */
  async setMobile(user: string, typed: string | null, actor: Actor): Promise<string | undefined> {
    this.checkName(user);
    const number = typed === null ? null : canonicalMobile(typed);
    if (number === undefined) throw invalid(MOBILE_FORM);
    await this.update(user, { encryptedMobile: number === null ? null : this.options.keyring.encryptMobile(user, number) });
    const masked = number === null ? undefined : maskMobile(number);
    await this.options.audit.record('user.set', user, actor, { mobile: masked ?? 'removed' });
    return masked;
  }

  /** The number an SMS goes to (`code issue --send-sms`); undefined when the user has none. */
  async mobileNumber(user: string): Promise<string | undefined> {
    return mobileOf(this.options.keyring, await this.requireUser(user));
  }

  /** Who may get a self-service code, and for what (mobile-numbers.ts selfServiceRecipient). */
  selfServiceRecipient(user: string): Promise<{ number: string; purpose: CodePurpose } | undefined> {
    return selfServiceRecipient(this.repository, this.options.keyring, user, this.options.clock());
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
    const { token, uri } = newToken(user, assignment, { keyring: this.options.keyring, tokenIssuer: this.options.tokenIssuer, now: this.options.clock() });
    const replaced = (await this.requireUser(user)).token?.serial;
    if (replaced !== undefined && assignment.replace !== true) {
      throw new AdminError('RADGATE_ADMIN_TOKEN_EXISTS', `${user} already has token ${replaced}: replace it with radgate token assign ${user} --replace`);
    }
    await this.update(user, { token });
    await this.tokenAssigned(user, token, replaced, actor);
    return { serial: token.serial, uri, ...(replaced === undefined ? {} : { replaced }) };
  }

  /** A new token is stored: the temporary access that stood in for the old one ends; audited. */
  private async tokenAssigned(user: string, token: TokenRecord, replaced: string | undefined, actor: Actor): Promise<void> {
    const ended = await this.endTemporaryAccess(user, actor);
    await this.options.audit.record('token.assign', user, actor, { serial: token.serial, type: token.type, digits: token.digits, ...(replaced === undefined ? {} : { replaced }), ...ended });
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

  /**
   * `purpose` `registration`: an online authorization code that only registers a new token
   * (self-service, for a user RSA's rule gives no emergency access: no token, or an expired one).
   */
  async issueCodes(user: string, request: IssueRequest, actor: Actor, purpose: CodePurpose = 'login'): Promise<IssuedCode[]> {
    this.checkName(user);
    const now = this.options.clock();
    const plan = planIssue(request, this.options.codes, now, this.options.timeZone);
    const record = await this.requireUser(user);
    if (purpose === 'login') requireTokenForEmergencyAccess(record, now);
    else if (request.kind !== 'online-authcode') throw invalid('only an online authorization code can be issued for token registration');
    const settings = kindSettings(this.options.codes, request.kind);
    const { stored, issued } = newCodes(plan, { user, settings, keyring: this.options.keyring, actor, now, purpose });
    if (!(await this.repository.issueCodes(user, stored, now))) throw unknownUser(user);
    await this.options.audit.record('code.issue', user, actor, {
      kind: request.kind,
      ids: issued.map((code) => code.id),
      expires_at: new Date(plan.expiresAt).toISOString(),
      max_uses: plan.maxUses || null,
      ...(purpose === 'login' ? {} : { purpose }),
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

  // --- self-service (issue 18): a code typed on a page stands in for the helpdesk --------

  /**
   * A new PIN for an online authorization code (IBM's online password reset): the code used
   * up and the PIN set in one script, or neither; a wrong code counts toward the lockout.
   */
  async setPinWithCode(user: string, pin: string, code: string, actor: Actor): Promise<CodeRedemption> {
    this.checkName(user);
    this.checkPin(pin);
    const request = redeemRequestFor(user, code, ['login'], undefined, this.options);
    const outcome = await this.repository.redeemCode(user, request, { pinHash: this.options.keyring.hashPin(user, pin) });
    const redemption = await auditedRedemption(this.options.audit, user, outcome, 'pin-reset', actor);
    if (redemption.redeemed) await this.options.audit.record('user.set-pin', user, actor, { code_id: redemption.codeId });
    return redemption;
  }

  /**
   * A new TOTP token for an online authorization code and the PIN (IBM's registration of an
   * authentication factor): code used up, PIN checked and the old token replaced in one
   * script, or nothing; a wrong code or PIN counts toward the lockout.
   */
  async assignTokenWithCode(user: string, code: string, pin: string, actor: Actor): Promise<CodeRedemption<{ serial: string; uri: string; followUpFailed: boolean }>> {
    this.checkName(user);
    const request = redeemRequestFor(user, code, ['login', 'registration'], pin, this.options);
    const { token, uri } = newToken(user, {}, { keyring: this.options.keyring, tokenIssuer: this.options.tokenIssuer, now: request.now });
    // The script is the first command: one queued in a frozen Redis finds itself late (redeem-code.lua).
    const outcome = await this.repository.redeemCode(user, request, { token });
    const redemption = await auditedRedemption(this.options.audit, user, outcome, 'token-registration', actor);
    if (!redemption.redeemed) return redemption;
    const replaced = outcome.result === 'redeemed' ? outcome.replacedSerial : undefined;
    // The token is stored and its URI exists once, here: the user must get it even when
    // ending the old token's temporary access fails now (the caller logs that for an admin).
    const followUpFailed = await this.tokenAssigned(user, token, replaced, actor).then(() => false, () => true);
    return { ...redemption, serial: token.serial, uri, followUpFailed };
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
