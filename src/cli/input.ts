import { createInterface } from 'node:readline';
import { instantOf } from '../credentials/time-zone.js';
import type { RadgateError } from '../errors.js';
import { usageError } from './exit.js';

/**
 * "2026-12-01" (00:00 that day), "2026-12-01T15:00", or with an offset:
 * "2026-12-01T15:00:00+01:00", "2026-12-01T14:00Z". Without an offset the date is read in
 * the helpdesk's zone (config `time_zone`, SPEC "Time"), as the helpdesk reads a calendar;
 * a time that a daylight saving change skips is moved on by the jump. A calendar date or
 * time that does not exist (Feb 30, 24:00) is refused rather than rolled over.
 */
export function parseDate(text: string, option: string, timeZone: string): Date {
  const trimmed = text.trim();
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(trimmed);
  const notADate = (): RadgateError =>
    usageError(`${option} "${text}" is not a date: write YYYY-MM-DD or YYYY-MM-DDTHH:MM (read in ${timeZone}, the config's time_zone, unless an offset such as +01:00 or Z is given)`);
  if (match === null) throw notADate();
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((group) => Number(match[group] ?? 0)) as [number, number, number, number, number, number];
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > lastDay || hour > 23 || minute > 59 || second > 59) throw notADate();
  if (match[8] !== undefined) {
    // The offset is taken as given, but must be one that exists (+24:00, +99:99 do not).
    const date = new Date(trimmed);
    if (!Number.isFinite(date.getTime())) throw notADate();
    return date;
  }
  const millisecond = Number((match[7] ?? '0').padEnd(3, '0'));
  return new Date(instantOf({ year, month, day, hour, minute, second, millisecond }, timeZone));
}

/**
 * A whole number option, checked here so `--uses abc` or `--count 0` is a usage error, not
 * NaN or a refusal downstream; `range` is the option's own bounds, named in the message.
 */
export function wholeNumber(value: unknown, option: string, range?: { readonly min: number; readonly max: number }): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  const inRange = range === undefined || (number >= range.min && number <= range.max);
  if (!Number.isSafeInteger(number) || !inRange) {
    throw usageError(range === undefined ? `${option} must be a whole number` : `${option} must be a whole number from ${range.min} to ${range.max}`);
  }
  return number;
}

/** Standard input holds one secret: a second `-` would find it already read. */
let standardInputTaken: string | undefined;

/**
 * `-` for a secret argument means: read it from standard input (keeps it out of `ps` and
 * shell history). The secret is the first line, without its line ending; an empty input
 * is a usage error, never an empty secret.
 */
export async function secretArgument(value: string, what: string): Promise<string> {
  if (value !== '-') return value;
  if (standardInputTaken !== undefined) {
    throw usageError(`only one argument can be - (standard input): the ${standardInputTaken} already takes it, so give the ${what} another way`);
  }
  standardInputTaken = what;
  const lines = createInterface({ input: process.stdin, terminal: false, crlfDelay: Infinity });
  let first: string | undefined;
  for await (const line of lines) {
    first = line.replace(/\r$/, '');
    break;
  }
  lines.close();
  if (first === undefined || first === '') {
    throw usageError(`- means: read the ${what} from standard input, and it held none (e.g. echo … | radgate …)`);
  }
  return first;
}

/** Asks on the terminal; resolves with the answer. */
export async function prompt(question: string): Promise<string> {
  const lines = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await new Promise((resolve) => lines.question(question, resolve));
  } finally {
    lines.close();
  }
}
