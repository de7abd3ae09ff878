/**
 * How long an issued code may live (SPEC "Issued codes"): an authorization code 1 to 31
 * days or one calendar month (IBM), every other code at most as long. One rule for the
 * helpdesk's `--lifetime` and `--expires` and for the configured default lifetimes, so a
 * default that no issue could use is refused when the config is loaded.
 */
import type { CodeKind } from '../records.js';
import { describeLifetime, LifetimeError, parseLifetime, type Lifetime } from './validity.js';

const DAY_MS = 86_400_000;
const MAX_LIFETIME_MS = 31 * DAY_MS;

/**
 * Why a code of this kind may not live `spanMs`, or undefined when it may. `lifetime` is
 * what was asked for, when it was a lifetime: a calendar month is always allowed, though
 * it can be 28 to 31 days long.
 */
export function lifetimeBoundsProblem(kind: CodeKind, spanMs: number, lifetime?: Lifetime): string | undefined {
  if (lifetime !== undefined && 'months' in lifetime) return undefined;
  if (kind === 'online-authcode' && (spanMs < DAY_MS || spanMs > MAX_LIFETIME_MS)) return 'an authorization code is valid 1 to 31 days, or 1month';
  if (spanMs > MAX_LIFETIME_MS) return `a code lives at most 31 days or 1month (asked for ${lifetime === undefined ? 'a later date' : describeLifetime(lifetime)})`;
  return undefined;
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
  return lifetimeBoundsProblem(kind, 'seconds' in lifetime ? lifetime.seconds * 1000 : 0, lifetime);
}

/**
 * What is wrong with a validity for an offline authorization code: IBM grants whole days,
 * 1 to 31, or one calendar month (SPEC "Challenge flow"), written 1d … 31d or 1month.
 */
export function offlineValidityProblem(text: string): string | undefined {
  const days = /^(\d+)d$/.exec(text);
  return text === '1month' || (days !== null && Number(days[1]) >= 1 && Number(days[1]) <= 31) ? undefined : `${JSON.stringify(text)} is not 1d to 31d or 1month`;
}
