import { randomBytes } from 'node:crypto';
import type { CodeKindConfig, CodesConfig } from '../config/types.js';
import { CODE_FAMILY, codeFamilyOf } from '../credentials/code-family.js';
import { generateCode } from '../credentials/codes/alphabet.js';
import { AUTHCODE_MIN_DAYS, boundsMessage, lifetimeProblem, MAX_DAYS } from '../credentials/codes/lifetime-bounds.js';
import { expiryOf, parseLifetime } from '../credentials/codes/validity.js';
import type { CodeKind, CodeRecord } from '../credentials/records.js';
import type { Keyring } from '../keys/keyring.js';
import { AdminError } from './admin-error.js';
import type { Actor } from './admin-audit.js';
import { iso, type IssuedCode } from './views.js';

export interface IssueRequest {
  readonly kind: CodeKind;
  /** "12h", "3d", "1month"; the configured default for the kind when absent. */
  readonly lifetime?: string;
  readonly expiresAt?: Date;
  /** Uses per code; absent means until expiry, or 1 for a set of one-time codes (count > 1). */
  readonly uses?: number;
  readonly count?: number;
}

/**
 * What an issued code may be used for: `login` (and every use an online authorization code
 * has), or `registration` alone: a self-service code for a user without a usable token, hashed
 * in a family of its own so that no login can match it (README "Self-service").
 */
export type CodePurpose = 'login' | 'registration';

const MAX_CODES_PER_ISSUE = 100;
const MAX_USES = 1_000_000;

const invalid = (message: string): AdminError => new AdminError('RADGATE_ADMIN_INVALID_INPUT', message);

export function kindSettings(codes: CodesConfig, kind: CodeKind): CodeKindConfig {
  switch (kind) {
    case 'emergency-tokencode':
      return codes.emergencyTokencode;
    case 'emergency-passcode':
      return codes.emergencyPasscode;
    case 'online-authcode':
      return codes.onlineAuthcode;
  }
}

/**
 * The expiry a request asks for, checked against the SPEC's bounds: a lifetime in its own
 * units (days as calendar days, hours as exact hours), a date given outright against the
 * calendar of the helpdesk's zone (SPEC "Time"), where 31 days on is the same wall-clock
 * time, 743 or 745 hours away across a daylight saving change.
 */
function expiryFor(request: IssueRequest, codes: CodesConfig, now: number, timeZone: string): number {
  if (request.expiresAt !== undefined) {
    const expiresAt = request.expiresAt.getTime();
    if (!Number.isFinite(expiresAt)) throw invalid('the expiry date is not a valid date');
    if (expiresAt <= now) throw invalid('the expiry date is in the past');
    const daysOn = (days: number): number => expiryOf({ days }, new Date(now), timeZone).getTime();
    if (expiresAt > daysOn(MAX_DAYS) || (request.kind === 'online-authcode' && expiresAt < daysOn(AUTHCODE_MIN_DAYS))) {
      throw invalid(boundsMessage(request.kind, 'a later date'));
    }
    return expiresAt;
  }
  const text = request.lifetime ?? kindSettings(codes, request.kind).lifetime;
  const problem = lifetimeProblem(request.kind, text);
  if (problem !== undefined) throw invalid(problem);
  return expiryOf(parseLifetime(text), new Date(now), timeZone).getTime();
}

/** An issue, checked in full before anything is written: how many codes, how many uses each, until when. */
export interface IssuePlan {
  readonly kind: CodeKind;
  readonly count: number;
  /** 0: many uses until expiry. */
  readonly maxUses: number;
  readonly expiresAt: number;
}

/**
 * What is wrong with a request whatever the time, the store and the configuration: how
 * many codes, how many uses, the lifetime's form and bounds. A command line alone can get
 * these wrong, so the CLI asks here first and calls it a usage error.
 */
export function issueRequestProblem(request: IssueRequest): string | undefined {
  const count = request.count ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > MAX_CODES_PER_ISSUE) return `--count must be a whole number from 1 to ${MAX_CODES_PER_ISSUE}`;
  if (request.uses !== undefined && (!Number.isInteger(request.uses) || request.uses < 1 || request.uses > MAX_USES)) {
    return `--uses must be a whole number from 1 to ${MAX_USES}`;
  }
  if (request.lifetime !== undefined && request.expiresAt !== undefined) return 'give either a lifetime or an expiry date, not both';
  return request.lifetime === undefined ? undefined : lifetimeProblem(request.kind, request.lifetime);
}

/** `timeZone`: the helpdesk's (config `time_zone`), where day and month lifetimes are counted. */
export function planIssue(request: IssueRequest, codes: CodesConfig, now: number, timeZone: string): IssuePlan {
  const problem = issueRequestProblem(request);
  if (problem !== undefined) throw invalid(problem);
  const count = request.count ?? 1;
  // A set of N codes is N one-time codes (RSA's second form) unless --uses says otherwise.
  return { kind: request.kind, count, maxUses: request.uses ?? (count > 1 ? 1 : 0), expiresAt: expiryFor(request, codes, now, timeZone) };
}

/**
 * The codes of a plan: each drawn with the CSPRNG, stored only as its keyed hash (under the
 * hash family its kind is typed in) beside its record, and shown once as IssuedCode.
 */
export function newCodes(
  plan: IssuePlan,
  options: { readonly user: string; readonly settings: CodeKindConfig; readonly keyring: Keyring; readonly actor: Actor; readonly now: number; readonly purpose: CodePurpose },
): { stored: { lookup: string; record: CodeRecord }[]; issued: IssuedCode[] } {
  const { user, settings, keyring, actor, now } = options;
  const family = options.purpose === 'registration' ? CODE_FAMILY.registration : codeFamilyOf(plan.kind);
  const stored: { lookup: string; record: CodeRecord }[] = [];
  const issued: IssuedCode[] = [];
  for (let i = 0; i < plan.count; i++) {
    const code = generateCode(settings.alphabet, settings.length);
    const id = randomBytes(5).toString('hex');
    stored.push({
      lookup: keyring.hashCode(user, family, code),
      record: {
        id, kind: plan.kind, issuedAt: now, expiresAt: plan.expiresAt, maxUses: plan.maxUses, uses: 0, lastUsedAt: 0, revokedAt: 0,
        issuedBy: actor.operator.slice(0, 64), reason: (actor.reason ?? '').slice(0, 200), revokedBy: '', length: code.length, source: '',
      },
    });
    issued.push({ id, code, kind: plan.kind, expiresAt: iso(plan.expiresAt), maxUses: plan.maxUses === 0 ? null : plan.maxUses });
  }
  return { stored, issued };
}
