import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../credentials/clock.js';
import { generateOperatorPassword, hashOperatorPassword, operatorPasswordProblem, verifyOperatorPassword } from '../credentials/operator-password.js';
import { OPERATOR_NAME, OPERATOR_NAME_RULE, OPERATOR_ROLES, operatorLocked, type OperatorRecord, type OperatorRole } from '../credentials/operator-records.js';
import { encodeBase32 } from '../credentials/otp/base32.js';
import { otpauthUri } from '../credentials/otp/otpauth-uri.js';
import { matchingTotpStep } from '../credentials/otp/totp-match.js';
import type { Keyring } from '../keys/keyring.js';
import type { OperatorChanges, OperatorRepository } from '../store/operator-repository.js';
import type { Actor, AdminAudit } from './admin-audit.js';
import { AdminError } from './admin-error.js';
import { iso } from './views.js';

/** What the CLI and the console show of an operator: never a hash or a secret. */
export interface OperatorView {
  readonly name: string;
  readonly role: OperatorRole;
  /** `password`: password and TOTP; `sso`: only through the trusted proxy. */
  readonly signIn: 'password' | 'sso';
  readonly totp: 'enrolled' | 'not enrolled';
  readonly failures: number;
  readonly locked: boolean;
  readonly createdAt: string;
}

/** How many failed sign-ins lock an operator, and for how long (config `console.login`). */
export interface SignInLimits {
  readonly maxFailures: number;
  /** 0: until an admin unlocks. */
  readonly lockoutMs: number;
}

export type SignInCheck = { readonly ok: true; readonly operator: OperatorRecord } | { readonly ok: false; readonly why: 'wrong' | 'locked' };

/** Operators' TOTP: the authenticator apps' defaults (RFC 6238 §4: 30 s, SHA-1, 6 digits), one step of drift either way. */
const TOTP = { period: 30, digits: 6, window: 1 } as const;

/**
 * The AAD operators' TOTP secrets are encrypted under (Keyring.encryptTokenSecret): a user
 * name can never contain U+0000 (userNameProblem), so no user's token ciphertext decrypts
 * as an operator's, nor the other way round.
 */
const secretOwner = (name: string): string => `\u0000operator\u0000${name}`;

const invalid = (message: string): AdminError => new AdminError('RADGATE_ADMIN_INVALID_INPUT', message);
const unknownOperator = (name: string): AdminError => new AdminError('RADGATE_ADMIN_UNKNOWN_OPERATOR', `no console operator named ${JSON.stringify(name)} (see radgate operator list)`);

export interface OperatorServiceOptions {
  readonly repository: OperatorRepository;
  readonly keyring: Keyring;
  readonly audit: AdminAudit;
  readonly clock: Clock;
  /** Issuer shown by authenticator apps (config `tokens.issuer`), with " console" after it. */
  readonly tokenIssuer: string;
}

/**
 * The helpdesk console's operators: accounts, roles and the two factors they sign in with.
 * `radgate operator` and the console's sign-in both use it. Every record is sealed with the
 * key file (Keyring.operatorSeal) and believed only with a valid seal; every change is
 * audited like the helpdesk's other actions.
 */
export class OperatorService {
  constructor(private readonly options: OperatorServiceOptions) {}

  private get repository(): OperatorRepository {
    return this.options.repository;
  }

  private sealOf(record: Pick<OperatorRecord, 'name' | 'role' | 'passwordHash' | 'totpSecret'>): string {
    return this.options.keyring.operatorSeal([record.name, record.role, record.passwordHash ?? '', record.totpSecret ?? '']);
  }

  /** The record, if it exists and its seal holds; a record written without the key file is no operator. */
  async find(name: string): Promise<OperatorRecord | undefined> {
    if (!OPERATOR_NAME.test(name)) return undefined;
    const record = await this.repository.get(name);
    if (record === undefined) return undefined;
    const parts = [record.name, record.role, record.passwordHash ?? '', record.totpSecret ?? ''];
    return OPERATOR_ROLES.includes(record.role) && this.options.keyring.verifyOperatorSeal(parts, record.seal) ? record : undefined;
  }

  /**
   * What a console session remembers of the factors it signed in with: a digest of the
   * password hash and the TOTP secret as stored. A password or TOTP reset (a suspected
   * compromise, a lost phone) changes it, and the console then ends every session signed in
   * before (console/access.ts). A digest of stored, already hashed or encrypted values:
   * nothing secret is in a session.
   */
  credentialStamp(record: Pick<OperatorRecord, 'passwordHash' | 'totpSecret'>): string {
    return createHash('sha256').update(`${record.passwordHash ?? ''}\0${record.totpSecret ?? ''}`).digest('base64url').slice(0, 22);
  }

  private async require(name: string): Promise<OperatorRecord> {
    const record = await this.find(name);
    if (record === undefined) throw unknownOperator(name);
    return record;
  }

  /** Changes sealed fields (role, password, TOTP secret) and re-seals them in one write. */
  private async change(record: OperatorRecord, changes: OperatorChanges): Promise<void> {
    const next = { ...record, ...changes } as OperatorRecord;
    const seal = this.sealOf({ name: record.name, role: next.role, passwordHash: next.passwordHash ?? undefined, totpSecret: next.totpSecret ?? undefined });
    if (!(await this.repository.update(record.name, { ...changes, seal }))) throw unknownOperator(record.name);
  }

  view(record: OperatorRecord): OperatorView {
    return {
      name: record.name,
      role: record.role,
      signIn: record.passwordHash === undefined ? 'sso' : 'password',
      totp: record.totpSecret === undefined ? 'not enrolled' : 'enrolled',
      failures: record.failures,
      locked: operatorLocked(record, this.options.clock()),
      createdAt: iso(record.createdAt),
    };
  }

  // --- accounts (radgate operator, the console's operators page) ------------------------

  /**
   * Adds an operator. With a password they sign in with it and a TOTP code (enrolled at
   * their first sign-in); without one a password is generated and returned, shown once.
   * `sso`: no password at all; they sign in only through the trusted proxy.
   */
  async add(name: string, role: OperatorRole, how: { readonly password?: string; readonly sso?: boolean }, actor: Actor): Promise<{ view: OperatorView; password: string | undefined }> {
    if (!OPERATOR_NAME.test(name)) throw invalid(`an operator name is ${OPERATOR_NAME_RULE}`);
    if (!OPERATOR_ROLES.includes(role)) throw invalid(`a role is one of ${OPERATOR_ROLES.join(', ')}`);
    const password = how.sso === true ? undefined : (how.password ?? generateOperatorPassword());
    if (password !== undefined) {
      const problem = operatorPasswordProblem(password);
      if (problem !== undefined) throw invalid(problem);
    }
    const passwordHash = password === undefined ? undefined : await hashOperatorPassword(password);
    const base = { name, role, passwordHash, totpSecret: undefined };
    const record: OperatorRecord = { ...base, totpPending: undefined, totpStep: -1, failures: 0, lockedUntil: 0, createdAt: this.options.clock(), seal: this.sealOf(base) };
    if (!(await this.repository.create(record))) throw new AdminError('RADGATE_ADMIN_OPERATOR_EXISTS', `an operator named ${JSON.stringify(name)} already exists`);
    await this.options.audit.record('operator.add', undefined, actor, { target: name, role, sign_in: password === undefined ? 'sso' : 'password' });
    return { view: this.view(record), password: how.password === undefined ? password : undefined };
  }

  async list(): Promise<OperatorView[]> {
    const views: OperatorView[] = [];
    for (const name of await this.repository.list()) {
      const record = await this.find(name);
      if (record !== undefined) views.push(this.view(record));
    }
    return views;
  }

  async remove(name: string, actor: Actor): Promise<void> {
    await this.require(name);
    if (!(await this.repository.delete(name))) throw unknownOperator(name);
    await this.options.audit.record('operator.remove', undefined, actor, { target: name });
  }

  async setRole(name: string, role: OperatorRole, actor: Actor): Promise<void> {
    if (!OPERATOR_ROLES.includes(role)) throw invalid(`a role is one of ${OPERATOR_ROLES.join(', ')}`);
    const record = await this.require(name);
    await this.change(record, { role });
    await this.options.audit.record('operator.set-role', undefined, actor, { target: name, role, was: record.role });
  }

  /** A new password (generated, and returned to be shown once, when none is given); ends a lock. */
  async resetPassword(name: string, password: string | undefined, actor: Actor): Promise<string | undefined> {
    const record = await this.require(name);
    const next = password ?? generateOperatorPassword();
    const problem = operatorPasswordProblem(next);
    if (problem !== undefined) throw invalid(problem);
    await this.change(record, { passwordHash: await hashOperatorPassword(next), failures: 0, lockedUntil: 0 });
    await this.options.audit.record('operator.reset-password', undefined, actor, { target: name });
    return password === undefined ? next : undefined;
  }

  /** Forgets the operator's TOTP secret (a lost phone): they enrol a new one at their next sign-in. */
  async resetTotp(name: string, actor: Actor): Promise<void> {
    const record = await this.require(name);
    await this.change(record, { totpSecret: null, totpPending: null, totpStep: -1 });
    await this.options.audit.record('operator.reset-totp', undefined, actor, { target: name });
  }

  async unlock(name: string, actor: Actor): Promise<void> {
    const record = await this.require(name);
    await this.change(record, { failures: 0, lockedUntil: 0 });
    await this.options.audit.record('operator.unlock', undefined, actor, { target: name });
  }

  // --- signing in (the console) -----------------------------------------------------

  private async failed(name: string, limits: SignInLimits, source: string): Promise<SignInCheck> {
    const now = this.options.clock();
    const lockUntil = limits.lockoutMs === 0 ? -1 : now + limits.lockoutMs;
    const failures = await this.repository.countFailure(name, limits.maxFailures, lockUntil);
    if (failures === limits.maxFailures) {
      await this.options.audit.record('operator.locked', undefined, { operator: name, reason: undefined }, { target: name, failures, source });
    }
    return { ok: false, why: 'wrong' };
  }

  /** The first factor. An unknown name takes as long as a wrong password; a locked operator is told so only with the right password. */
  async checkPassword(name: string, password: string, limits: SignInLimits, source: string): Promise<SignInCheck> {
    const record = await this.find(name);
    const right = await verifyOperatorPassword(password, record?.passwordHash);
    if (record === undefined) return { ok: false, why: 'wrong' };
    // Locked: the same answer as an unknown name unless the password is right, so the
    // page does not tell anyone which operators exist.
    if (operatorLocked(record, this.options.clock())) return right ? { ok: false, why: 'locked' } : { ok: false, why: 'wrong' };
    if (!right) return this.failed(name, limits, source);
    // Attempts sent together all passed the check above before any failed: a lock that
    // their failures set meanwhile holds for this one too.
    const current = await this.find(name);
    if (current === undefined || operatorLocked(current, this.options.clock())) return { ok: false, why: 'locked' };
    return { ok: true, operator: current };
  }

  /**
   * A TOTP code from one of the operator's secrets (the enrolled one, or the one being
   * enrolled), accepted once (a replay fails) and counted with the password's failures.
   */
  private async checkCode(name: string, which: 'totpSecret' | 'totpPending', code: string, limits: SignInLimits, source: string): Promise<SignInCheck> {
    const record = await this.require(name);
    if (operatorLocked(record, this.options.clock())) return { ok: false, why: 'locked' };
    const sealed = record[which];
    const secret = sealed === undefined ? undefined : this.options.keyring.decryptTokenSecret(secretOwner(name), sealed);
    const step = secret === undefined ? undefined : matchingTotpStep(secret, code, this.options.clock(), TOTP);
    if (step === undefined) return this.failed(name, limits, source);
    const accepted = await this.repository.acceptTotpStep(name, step, this.options.clock());
    if (accepted === 'locked') return { ok: false, why: 'locked' };
    if (accepted !== 'accepted') return this.failed(name, limits, source);
    return { ok: true, operator: record };
  }

  /** The second factor, with the enrolled secret. */
  async checkTotp(name: string, code: string, limits: SignInLimits, source: string): Promise<SignInCheck> {
    const check = await this.checkCode(name, 'totpSecret', code, limits, source);
    if (check.ok) await this.options.audit.record('console.sign-in', undefined, { operator: name, reason: undefined }, { source });
    return check;
  }

  /**
   * A new TOTP secret for an operator who has none, kept as pending until a code from it
   * is typed (completeEnrolment); the otpauth:// URI is shown once, as a QR code.
   */
  async startEnrolment(name: string): Promise<string> {
    const record = await this.require(name);
    if (record.totpSecret !== undefined) throw invalid(`${name} has a TOTP secret already (radgate operator reset-totp ${name} to enrol a new one)`);
    const secret = randomBytes(20);
    await this.repository.update(name, { totpPending: this.options.keyring.encryptTokenSecret(secretOwner(name), secret) });
    return otpauthUri({ type: 'totp', issuer: `${this.options.tokenIssuer} console`, account: name, secret: encodeBase32(secret), digits: TOTP.digits, algorithm: 'sha1', period: TOTP.period, counter: 0 });
  }

  /** Confirms the pending secret with a code from it: it becomes the operator's second factor, and this is their sign-in. */
  async completeEnrolment(name: string, code: string, limits: SignInLimits, source: string): Promise<SignInCheck> {
    const check = await this.checkCode(name, 'totpPending', code, limits, source);
    if (!check.ok) return check;
    await this.change(check.operator, { totpSecret: check.operator.totpPending, totpPending: null });
    await this.options.audit.record('operator.enrol-totp', undefined, { operator: name, reason: undefined }, { source });
    await this.options.audit.record('console.sign-in', undefined, { operator: name, reason: undefined }, { source });
    return check;
  }
}
