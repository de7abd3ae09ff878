/**
 * Wall-clock time in the helpdesk's time zone (SPEC "Time"): validities are counted in it
 * and the CLI shows dates in it, while everything stored and sent stays UTC. The zone
 * rules are the ICU data Node ships (Intl), so there is no time zone table of our own to
 * keep up to date.
 */

/** A date and time as a clock on the wall shows it; month 1–12. */
export interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
}

const DAY_MS = 86_400_000;

// Building a formatter costs far more than using one, and a process sees one or two zones.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    // h23: some ICU versions write midnight as hour 24 under hour12: false.
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/**
 * The IANA name as ICU spells it ("europe/berlin" → "Europe/Berlin", "US/Pacific" →
 * "America/Los_Angeles"), or undefined when ICU knows no such zone.
 */
export function canonicalTimeZone(name: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/** The host's zone: TZ if set, else the system's (/etc/localtime); UTC when neither says. */
export function hostTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}

/** The wall clock in `timeZone` at the instant `ms`. */
export function wallClockAt(ms: number, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts['year']!,
    month: parts['month']!,
    day: parts['day']!,
    hour: parts['hour']!,
    minute: parts['minute']!,
    second: parts['second']!,
    millisecond: ((ms % 1000) + 1000) % 1000,
  };
}

/** The wall clock read as if it were UTC: the instant plus the zone's offset. */
function asUtc(wall: WallClock): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, wall.millisecond);
}

/** How far `timeZone` is ahead of UTC at the instant `ms`, in milliseconds (+01:00 → 3,600,000). */
export function offsetAt(ms: number, timeZone: string): number {
  return asUtc(wallClockAt(ms, timeZone)) - ms;
}

/**
 * The instant at which the wall clock in `timeZone` shows `wall`. Across a daylight saving
 * change a wall time may not exist (clocks jump forward over it) or exist twice (clocks go
 * back): the first is read with the offset from before the jump, i.e. moved later by the
 * jump (02:30 on the spring-forward night is 03:30), the second as the earlier of the two,
 * which is what ECMAScript Temporal calls "compatible" and most calendars do.
 */
export function instantOf(wall: WallClock, timeZone: string): number {
  const local = asUtc(wall);
  // Zones change their offset at most once within a day either side of any instant.
  const before = offsetAt(local - DAY_MS, timeZone);
  const after = offsetAt(local + DAY_MS, timeZone);
  const matching = [local - before, local - after].filter((instant) => offsetAt(instant, timeZone) === local - instant);
  return matching.length === 0 ? local - before : Math.min(...matching);
}

/** The wall clock `days` calendar days later, at the same time of day. */
export function addDays(wall: WallClock, days: number): WallClock {
  const date = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + days));
  return { ...wall, year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/**
 * The same day and time next month, or that month's last day when it is shorter (SPEC
 * "Issued codes": Aug 26 15:00 → Sep 26 15:00; Jan 31 → Feb 28/29).
 */
export function addCalendarMonth(wall: WallClock): WallClock {
  const year = wall.month === 12 ? wall.year + 1 : wall.year;
  const month = wall.month === 12 ? 1 : wall.month + 1;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return { ...wall, year, month, day: Math.min(wall.day, lastDay) };
}

const two = (n: number): string => String(n).padStart(2, '0');

/** "+01:00", "-08:00", "+05:30". */
export function formatOffset(offsetMs: number): string {
  const minutes = Math.round(Math.abs(offsetMs) / 60_000);
  return `${offsetMs < 0 ? '-' : '+'}${two(Math.floor(minutes / 60))}:${two(minutes % 60)}`;
}

/** "2026-11-20 15:00 +01:00": an instant as a person at the helpdesk reads it, with the offset that makes it unambiguous. */
export function formatInZone(ms: number, timeZone: string): string {
  const wall = wallClockAt(ms, timeZone);
  return `${wall.year}-${two(wall.month)}-${two(wall.day)} ${two(wall.hour)}:${two(wall.minute)} ${formatOffset(offsetAt(ms, timeZone))}`;
}
