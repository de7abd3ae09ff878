/**
 * How long an issued code may live (SPEC "Issued codes"): an authorization code 1 to 31
 * days or one calendar month (IBM), every other code at most as long. One rule for the
 * helpdesk's `--lifetime` and `--expires` and for the configured default lifetimes, so a
 * default that no issue could use is refused when the config is loaded.
 */
import type { CodeKind } from '../records.js';
import { describeLifetime, LifetimeError, parseLifetime, type Lifetime } from './validity.js';

/** IBM: authorization codes are valid one day to 31 days, or one calendar month. */
export const AUTHCODE_MIN_DAYS = 1;
export const MAX_DAYS = 31;

/** The refusal for a code of this kind asked to live outside its bounds (`asked`: what was asked for). */
export function boundsMessage(kind: CodeKind, asked: string): string {
  return kind === 'online-authcode' ? 'an authorization code is valid 1 to 31 days, or 1month' : `a code lives at most 31 days or 1month (asked for ${asked})`;
}

/**
 * Why a code of this kind may not live `lifetime`, or undefined when it may. Days are
 * calendar days in the helpdesk's zone and a calendar month is always allowed, though
 * either can be an hour or days longer or shorter than its nominal span.
 */
function lifetimeBoundsProblem(kind: CodeKind, lifetime: Lifetime): string | undefined {
  if ('months' in lifetime) return undefined;
  const days = 'days' in lifetime ? lifetime.days : lifetime.seconds / 86_400;
  return days > MAX_DAYS || (kind === 'online-authcode' && days < AUTHCODE_MIN_DAYS) ? boundsMessage(kind, describeLifetime(lifetime)) : undefined;
}

/** What is wrong with a lifetime written for codes of a kind ("3d", "1month"): its form or its bounds. */
export function lifetimeProblem(kind: CodeKind, text: string): string | undefined {
  let lifetime: Lifetime;
  try {
    lifetime = parseLifetime(text);
  } catch (error) {
    if (!(error instanceof LifetimeError)) throw error;
    return error.message;
  }
  return lifetimeBoundsProblem(kind, lifetime);
}

/**
 * What is wrong with a validity for an offline authorization code: IBM grants whole days,
 * 1 to 31, or one calendar month (SPEC "Challenge flow"), written 1d … 31d or 1month.
 */
export function offlineValidityProblem(text: string): string | undefined {
  const days = /^(\d+)d$/.exec(text);
  return text === '1month' || (days !== null && Number(days[1]) >= 1 && Number(days[1]) <= 31) ? undefined : `${JSON.stringify(text)} is not 1d to 31d or 1month`;
}
