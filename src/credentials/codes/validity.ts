/**
 * Lifetimes of issued codes: "12h", "3d", "90m", "1month" (SPEC "Issued codes"), and when
 * they end. Days, weeks and the month are calendar time in the helpdesk's zone (SPEC
 * "Time"): the same wall-clock time on the target day, so a day across a daylight saving
 * change is 23 or 25 hours, and "1month" is the same day and time next month, or that
 * month's last day when it is shorter (Aug 26 15:00 → Sep 26 15:00; Jan 31 → Feb 28/29).
 * Seconds, minutes and hours are exact durations.
 */
import { RadgateError } from '../../errors.js';
import { addCalendarMonth, addDays, instantOf, wallClockAt } from '../time-zone.js';

export type Lifetime = { readonly seconds: number } | { readonly days: number } | { readonly months: 1 };

export class LifetimeError extends RadgateError {
  override readonly name = 'LifetimeError';
  constructor(message: string) {
    super('RADGATE_LIFETIME_INVALID', message);
  }
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };
const UNIT_DAYS: Record<string, number> = { d: 1, w: 7 };

export function parseLifetime(text: string): Lifetime {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === '1month' || trimmed === '1mo') return { months: 1 };
  const match = /^(\d{1,6})(s|m|h|d|w)$/.exec(trimmed);
  if (match === null) {
    throw new LifetimeError(`"${text}" is not a lifetime: write a number and a unit (s, m, h, d, w), e.g. 12h or 3d, or 1month`);
  }
  const count = Number(match[1]);
  if (count <= 0) throw new LifetimeError(`"${text}" is not a positive lifetime`);
  const unit = match[2]!;
  return unit in UNIT_DAYS ? { days: count * UNIT_DAYS[unit]! } : { seconds: count * UNIT_SECONDS[unit]! };
}

/** When a lifetime that starts at `issuedAt` ends, counted in `timeZone` (an IANA name). */
export function expiryOf(lifetime: Lifetime, issuedAt: Date, timeZone: string): Date {
  if ('seconds' in lifetime) return new Date(issuedAt.getTime() + lifetime.seconds * 1000);
  const wall = wallClockAt(issuedAt.getTime(), timeZone);
  return new Date(instantOf('days' in lifetime ? addDays(wall, lifetime.days) : addCalendarMonth(wall), timeZone));
}

export function describeLifetime(lifetime: Lifetime): string {
  if ('months' in lifetime) return '1month';
  if ('days' in lifetime) return `${lifetime.days}d`;
  const { seconds } = lifetime;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/**
 * A lifetime as a page says it to a user: "1 day", "2 weeks", "12 hours", "1 month". The
 * same units as describeLifetime, in words; a number of days that is whole weeks says weeks.
 */
export function lifetimeInWords(lifetime: Lifetime): string {
  const words = (count: number, unit: string): string => `${count} ${unit}${count === 1 ? '' : 's'}`;
  if ('months' in lifetime) return words(1, 'month');
  if ('days' in lifetime) return lifetime.days % 7 === 0 ? words(lifetime.days / 7, 'week') : words(lifetime.days, 'day');
  const { seconds } = lifetime;
  if (seconds % 3600 === 0) return words(seconds / 3600, 'hour');
  if (seconds % 60 === 0) return words(seconds / 60, 'minute');
  return words(seconds, 'second');
}
