import test from 'ava';
import { describeLifetime, expiryOf, lifetimeInWords, LifetimeError, parseLifetime, type Lifetime } from '../../../src/credentials/codes/validity.js';

const utc = (text: string): Date => new Date(`${text}Z`);
/** One calendar month on, counted in UTC (the zones: test/credentials/time-zone.test.ts). */
const addCalendarMonth = (from: Date): Date => expiryOf({ months: 1 }, from, 'UTC');

test('parseLifetime reads a number and a unit (SPEC "Issued codes")', (t) => {
  t.deepEqual(parseLifetime('12h'), { seconds: 12 * 3600 });
  t.deepEqual(parseLifetime('90m'), { seconds: 90 * 60 });
  t.deepEqual(parseLifetime('45s'), { seconds: 45 });
});

test('parseLifetime: days and weeks are calendar days, not a number of seconds (SPEC "Time")', (t) => {
  t.deepEqual(parseLifetime('3d'), { days: 3 });
  t.deepEqual(parseLifetime('31d'), { days: 31 });
  t.deepEqual(parseLifetime('1w'), { days: 7 });
  t.deepEqual(parseLifetime('4w'), { days: 28 });
  t.deepEqual(parseLifetime('24h'), { seconds: 86400 }, 'hours stay an exact duration');
  t.deepEqual(parseLifetime('999999s'), { seconds: 999999 });
});

test('parseLifetime: 1month is a calendar month, not a number of seconds', (t) => {
  t.deepEqual(parseLifetime('1month'), { months: 1 });
  t.deepEqual(parseLifetime('1mo'), { months: 1 });
  t.deepEqual(parseLifetime('1MONTH'), { months: 1 });
  t.deepEqual(parseLifetime(' 1Month '), { months: 1 });
});

test('parseLifetime ignores case and surrounding whitespace', (t) => {
  t.deepEqual(parseLifetime('12H'), { seconds: 43200 });
  t.deepEqual(parseLifetime('  3d\n'), { days: 3 });
  t.deepEqual(parseLifetime('007h'), { seconds: 7 * 3600 }, 'leading zeros are only digits');
});

for (const text of ['', ' ', 'h', '12', '12x', '12 h', '-1h', '+1h', '1.5h', '1,5h', '1e3s', 'Infinity', '12hours', '1 month', '2month', '0month', '1months', '1y', 'h12', '1234567s', '12h30m', '１２h']) {
  test(`parseLifetime refuses ${JSON.stringify(text)} with a message that shows how to write one`, (t) => {
    const error = t.throws(() => parseLifetime(text), { instanceOf: LifetimeError });
    t.is(error.name, 'LifetimeError');
    t.true(error instanceof Error);
    t.true(error.message.includes(JSON.stringify(text)), `names the input: ${error.message}`);
    t.regex(error.message, /12h/);
    t.regex(error.message, /1month/);
    t.regex(error.message, /s, m, h, d, w/);
  });
}

for (const text of ['0s', '0h', '0d', '000w']) {
  test(`parseLifetime refuses the zero lifetime ${JSON.stringify(text)}`, (t) => {
    t.throws(() => parseLifetime(text), { instanceOf: LifetimeError, message: `"${text}" is not a positive lifetime` });
  });
}

test('addCalendarMonth: same day and time next month', (t) => {
  t.deepEqual(addCalendarMonth(utc('2025-08-26T15:00:00')), utc('2025-09-26T15:00:00'));
  t.deepEqual(addCalendarMonth(utc('2025-01-15T00:00:00')), utc('2025-02-15T00:00:00'));
  t.deepEqual(addCalendarMonth(utc('2025-02-28T12:00:00')), utc('2025-03-28T12:00:00'));
  t.deepEqual(addCalendarMonth(utc('2024-02-29T12:00:00')), utc('2024-03-29T12:00:00'));
  t.deepEqual(addCalendarMonth(utc('2025-11-30T08:00:00')), utc('2025-12-30T08:00:00'));
});

test('addCalendarMonth clamps to the last day of a shorter month', (t) => {
  t.deepEqual(addCalendarMonth(utc('2025-01-31T10:00:00')), utc('2025-02-28T10:00:00'), 'non-leap February');
  t.deepEqual(addCalendarMonth(utc('2024-01-31T10:00:00')), utc('2024-02-29T10:00:00'), 'leap February');
  t.deepEqual(addCalendarMonth(utc('2025-01-29T10:00:00')), utc('2025-02-28T10:00:00'));
  t.deepEqual(addCalendarMonth(utc('2024-01-30T10:00:00')), utc('2024-02-29T10:00:00'));
  t.deepEqual(addCalendarMonth(utc('2025-03-31T10:00:00')), utc('2025-04-30T10:00:00'));
  t.deepEqual(addCalendarMonth(utc('2025-05-31T10:00:00')), utc('2025-06-30T10:00:00'));
  t.deepEqual(addCalendarMonth(utc('2025-08-31T10:00:00')), utc('2025-09-30T10:00:00'));
  t.deepEqual(addCalendarMonth(utc('2025-10-31T10:00:00')), utc('2025-11-30T10:00:00'));
  // Gregorian rule: 2100 is not a leap year, 2000 was.
  t.deepEqual(addCalendarMonth(utc('2100-01-31T00:00:00')), utc('2100-02-28T00:00:00'));
  t.deepEqual(addCalendarMonth(utc('2000-01-31T00:00:00')), utc('2000-02-29T00:00:00'));
});

test('addCalendarMonth keeps a 31st when the next month has one', (t) => {
  t.deepEqual(addCalendarMonth(utc('2025-07-31T23:59:59')), utc('2025-08-31T23:59:59'));
  t.deepEqual(addCalendarMonth(utc('2025-12-31T23:59:59.999')), utc('2026-01-31T23:59:59.999'));
});

test('addCalendarMonth rolls December over into January of the next year', (t) => {
  t.deepEqual(addCalendarMonth(utc('2025-12-15T09:30:00')), utc('2026-01-15T09:30:00'));
  t.deepEqual(addCalendarMonth(utc('2025-12-01T00:00:00')), utc('2026-01-01T00:00:00'));
});

test('addCalendarMonth preserves the time of day to the millisecond, in UTC', (t) => {
  const from = utc('2025-03-31T23:59:58.123');
  const to = addCalendarMonth(from);
  t.deepEqual(to, utc('2025-04-30T23:59:58.123'));
  t.is(to.getUTCHours(), 23);
  t.is(to.getUTCMinutes(), 59);
  t.is(to.getUTCSeconds(), 58);
  t.is(to.getUTCMilliseconds(), 123);
  t.deepEqual(from, utc('2025-03-31T23:59:58.123'), 'the input Date is not modified');
});

test('addCalendarMonth is always later, by 28 to 31 days', (t) => {
  const day = 86_400_000;
  for (let time = Date.UTC(2023, 0, 1); time < Date.UTC(2029, 0, 1); time += day + 3_600_000 + 61_000) {
    const from = new Date(time);
    const to = addCalendarMonth(from);
    const days = (to.getTime() - from.getTime()) / day;
    if (days < 28 || days > 31) {
      t.fail(`${from.toISOString()} → ${to.toISOString()} is ${days} days`);
      return;
    }
    t.is(to.getUTCMonth(), (from.getUTCMonth() + 1) % 12);
  }
});

test('expiryOf adds seconds, days or a calendar month (in UTC here)', (t) => {
  const issuedAt = utc('2025-01-31T15:00:00');
  t.deepEqual(expiryOf({ seconds: 12 * 3600 }, issuedAt, 'UTC'), utc('2025-02-01T03:00:00'));
  t.deepEqual(expiryOf({ seconds: 1 }, issuedAt, 'UTC'), utc('2025-01-31T15:00:01'));
  t.deepEqual(expiryOf({ months: 1 }, issuedAt, 'UTC'), utc('2025-02-28T15:00:00'));
  t.deepEqual(expiryOf(parseLifetime('3d'), issuedAt, 'UTC'), utc('2025-02-03T15:00:00'));
  t.deepEqual(expiryOf(parseLifetime('1w'), issuedAt, 'UTC'), utc('2025-02-07T15:00:00'));
  t.deepEqual(expiryOf(parseLifetime('1month'), utc('2025-08-26T15:00:00'), 'UTC'), utc('2025-09-26T15:00:00'));
  t.deepEqual(issuedAt, utc('2025-01-31T15:00:00'), 'the issue date is not modified');
});

test('describeLifetime picks the largest whole unit of its kind: days stay days, hours stay hours', (t) => {
  t.is(describeLifetime({ months: 1 }), '1month');
  t.is(describeLifetime({ days: 3 }), '3d');
  t.is(describeLifetime({ days: 7 }), '7d');
  t.is(describeLifetime({ seconds: 24 * 3600 }), '24h', 'not 1d: a day may be 23 or 25 hours');
  t.is(describeLifetime({ seconds: 12 * 3600 }), '12h');
  t.is(describeLifetime({ seconds: 36 * 3600 }), '36h');
  t.is(describeLifetime({ seconds: 90 * 60 }), '90m');
  t.is(describeLifetime({ seconds: 45 }), '45s');
  t.is(describeLifetime({ seconds: 3601 }), '3601s');
});

test('describeLifetime output parses back to the same lifetime', (t) => {
  const lifetimes: Lifetime[] = [{ months: 1 }];
  for (const text of ['1s', '59s', '1m', '90m', '1h', '12h', '25h', '1d', '3d', '31d', '1w', '4w', '3601s', '1441m']) lifetimes.push(parseLifetime(text));
  for (const lifetime of lifetimes) t.deepEqual(parseLifetime(describeLifetime(lifetime)), lifetime, JSON.stringify(lifetime));
});

test('lifetimeInWords says a lifetime as a page tells a user, whichever way it was written', (t) => {
  const said = (text: string): string => lifetimeInWords(parseLifetime(text));
  t.deepEqual(['1d', '3D', '1w', '14d', '1mo', '1month', '12h', '90m', '1m', '45s'].map(said), ['1 day', '3 days', '1 week', '2 weeks', '1 month', '1 month', '12 hours', '90 minutes', '1 minute', '45 seconds']);
});
