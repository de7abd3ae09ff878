import test from 'ava';
import { expiryOf, parseLifetime } from '../../src/credentials/codes/validity.js';
import { canonicalTimeZone, formatInZone, instantOf, offsetAt, wallClockAt } from '../../src/credentials/time-zone.js';

// SPEC "Time": validities are counted in the helpdesk's zone, the same wall-clock time on
// the target day across daylight saving changes; hours and minutes stay exact durations.

const BERLIN = 'Europe/Berlin';
const LOS_ANGELES = 'America/Los_Angeles';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** An instant written with its offset, as a person there reads it. */
const at = (text: string): Date => new Date(text);
const expiry = (lifetime: string, from: string, zone: string): string => formatInZone(expiryOf(parseLifetime(lifetime), at(from), zone).getTime(), zone);

test('1month in Berlin keeps 15:00 across the end of summer time: Oct 20 15:00 → Nov 20 15:00', (t) => {
  const from = at('2026-10-20T15:00:00+02:00');
  const to = expiryOf(parseLifetime('1month'), from, BERLIN);
  t.deepEqual(to, at('2026-11-20T15:00:00+01:00'));
  t.is(to.getTime() - from.getTime(), 31 * DAY + HOUR, 'one hour more than 31 × 24 hours');
  t.is(formatInZone(to.getTime(), BERLIN), '2026-11-20 15:00 +01:00');
});

test('1month in Los Angeles: Jan 30 20:00 → Feb 28 20:00, not Feb 27 (the UTC date is already Jan 31)', (t) => {
  const to = expiryOf(parseLifetime('1month'), at('2026-01-30T20:00:00-08:00'), LOS_ANGELES);
  t.deepEqual(to, at('2026-02-28T20:00:00-08:00'));
  t.is(expiry('1month', '2026-01-30T20:00:00-08:00', LOS_ANGELES), '2026-02-28 20:00 -08:00');
});

test('1month clamps to the last day of the shorter month in the zone, not in UTC', (t) => {
  // Mar 31 00:30 in Berlin is still Mar 30 in UTC: UTC arithmetic would give May 1 00:30.
  t.is(expiry('1month', '2026-03-31T00:30:00+02:00', BERLIN), '2026-04-30 00:30 +02:00');
  // Jan 31 08:00 in Tokyo is Jan 30 23:00 UTC: UTC arithmetic would give Mar 1 08:00.
  t.is(expiry('1month', '2026-01-31T08:00:00+09:00', 'Asia/Tokyo'), '2026-02-28 08:00 +09:00');
  t.is(expiry('1month', '2028-01-31T20:00:00-08:00', LOS_ANGELES), '2028-02-29 20:00 -08:00', 'a leap year');
  // Into summer time: Mar 8 2026 is the spring-forward day in Los Angeles.
  t.is(expiry('1month', '2026-02-28T21:00:00-08:00', LOS_ANGELES), '2026-03-28 21:00 -07:00');
});

test('days keep the wall-clock time: a day across a daylight saving change is 23 or 25 hours', (t) => {
  // Berlin: summer time ends on Oct 25 2026 (25-hour day), begins on Mar 29 2026 (23 hours).
  const autumn = at('2026-10-24T15:00:00+02:00');
  t.deepEqual(expiryOf(parseLifetime('3d'), autumn, BERLIN), at('2026-10-27T15:00:00+01:00'));
  t.is(expiryOf(parseLifetime('1d'), autumn, BERLIN).getTime() - autumn.getTime(), 25 * HOUR);
  const spring = at('2026-03-28T09:00:00+01:00');
  t.is(expiryOf(parseLifetime('1d'), spring, BERLIN).getTime() - spring.getTime(), 23 * HOUR);
  t.is(expiry('1w', '2026-03-25T09:00:00+01:00', BERLIN), '2026-04-01 09:00 +02:00');
  t.is(expiry('31d', '2026-10-20T15:00:00+02:00', BERLIN), '2026-11-20 15:00 +01:00');
  // Los Angeles: Mar 8 2026.
  t.is(expiry('1d', '2026-03-07T12:00:00-08:00', LOS_ANGELES), '2026-03-08 12:00 -07:00');
});

test('hours, minutes and seconds stay exact durations across a change', (t) => {
  const autumn = at('2026-10-24T15:00:00+02:00');
  t.is(expiryOf(parseLifetime('24h'), autumn, BERLIN).getTime() - autumn.getTime(), 24 * HOUR);
  t.is(expiry('24h', '2026-10-24T15:00:00+02:00', BERLIN), '2026-10-25 14:00 +01:00');
  t.is(expiryOf(parseLifetime('90m'), autumn, BERLIN).getTime() - autumn.getTime(), 90 * 60_000);
});

test('a wall-clock time that does not exist is moved on by the jump; one that exists twice is the earlier', (t) => {
  // Mar 29 2026, Berlin: 02:00 → 03:00. 02:30 a day after 02:30 is 03:30 summer time, 24 hours on.
  const beforeGap = at('2026-03-28T02:30:00+01:00');
  t.deepEqual(expiryOf(parseLifetime('1d'), beforeGap, BERLIN), at('2026-03-29T03:30:00+02:00'));
  // Oct 25 2026, Berlin: 03:00 → 02:00. 02:30 happens twice; the first (summer time) is meant.
  t.deepEqual(expiryOf(parseLifetime('1d'), at('2026-10-24T02:30:00+02:00'), BERLIN), at('2026-10-25T02:30:00+02:00'));
  t.is(instantOf({ year: 2026, month: 10, day: 25, hour: 2, minute: 30, second: 0, millisecond: 0 }, BERLIN), Date.parse('2026-10-25T00:30:00Z'));
});

test('offsetAt and wallClockAt follow the zone rules ICU ships', (t) => {
  t.is(offsetAt(Date.parse('2026-07-01T12:00:00Z'), BERLIN), 2 * HOUR);
  t.is(offsetAt(Date.parse('2026-12-01T12:00:00Z'), BERLIN), HOUR);
  t.is(offsetAt(Date.parse('2026-12-01T12:00:00Z'), LOS_ANGELES), -8 * HOUR);
  t.is(offsetAt(Date.parse('2026-12-01T12:00:00Z'), 'Asia/Kolkata'), 5.5 * HOUR);
  t.is(offsetAt(Date.parse('2026-12-01T12:00:00Z'), 'UTC'), 0);
  t.deepEqual(wallClockAt(Date.parse('2026-12-31T23:30:00.250Z'), 'Asia/Tokyo'), { year: 2027, month: 1, day: 1, hour: 8, minute: 30, second: 0, millisecond: 250 });
  t.is(wallClockAt(Date.parse('2026-06-01T22:00:00Z'), BERLIN).hour, 0, 'midnight is hour 0, never 24');
});

test('formatInZone shows the wall clock with its offset', (t) => {
  t.is(formatInZone(Date.parse('2026-11-20T14:00:00Z'), BERLIN), '2026-11-20 15:00 +01:00');
  t.is(formatInZone(Date.parse('2026-11-20T14:00:00Z'), 'UTC'), '2026-11-20 14:00 +00:00');
  t.is(formatInZone(Date.parse('2026-11-20T14:00:00Z'), 'Asia/Kolkata'), '2026-11-20 19:30 +05:30');
  t.is(formatInZone(Date.parse('2026-11-20T04:05:00Z'), LOS_ANGELES), '2026-11-19 20:05 -08:00');
});

test('canonicalTimeZone knows IANA names in any case and their aliases, and nothing else', (t) => {
  t.is(canonicalTimeZone('Europe/Berlin'), 'Europe/Berlin');
  t.is(canonicalTimeZone('europe/berlin'), 'Europe/Berlin');
  t.is(canonicalTimeZone('US/Pacific'), LOS_ANGELES);
  t.is(canonicalTimeZone('UTC'), 'UTC');
  for (const name of ['Europe/Berln', 'Mars/Olympus_Mons', 'CEST', '+01:00', 'local', '']) t.is(canonicalTimeZone(name), undefined, name);
});
