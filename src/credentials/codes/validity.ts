/**
 * Lifetimes of issued codes: "12h", "3d", "90m", "1month" (SPEC "Issued codes"), and the
 * calendar-month rule: the same day and time next month, or that month's last day when it
 * is shorter (Aug 26 15:00 → Sep 26 15:00; Jan 31 → Feb 28/29).
 */
import { RadgateError } from '../../errors.js';

export type Lifetime = { readonly seconds: number } | { readonly months: 1 };

export class LifetimeError extends RadgateError {
  override readonly name = 'LifetimeError';
  constructor(message: string) {
    super('RADGATE_LIFETIME_INVALID', message);
  }
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

export function parseLifetime(text: string): Lifetime {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === '1month' || trimmed === '1mo') return { months: 1 };
  const match = /^(\d{1,6})(s|m|h|d|w)$/.exec(trimmed);
  if (match === null) {
    throw new LifetimeError(`"${text}" is not a lifetime: write a number and a unit (s, m, h, d, w), e.g. 12h or 3d, or 1month`);
  }
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]!]!;
  if (seconds <= 0) throw new LifetimeError(`"${text}" is not a positive lifetime`);
  return { seconds };
}

/** Adds one calendar month in UTC, clamping to the last day of a shorter month. */
export function addCalendarMonth(from: Date): Date {
  const year = from.getUTCFullYear();
  const month = from.getUTCMonth() + 1;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(year, month, Math.min(from.getUTCDate(), lastDay), from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds(), from.getUTCMilliseconds()),
  );
}

export function expiryOf(lifetime: Lifetime, issuedAt: Date): Date {
  return 'months' in lifetime ? addCalendarMonth(issuedAt) : new Date(issuedAt.getTime() + lifetime.seconds * 1000);
}

export function describeLifetime(lifetime: Lifetime): string {
  if ('months' in lifetime) return '1month';
  const { seconds } = lifetime;
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
