import { createInterface } from 'node:readline';
import { usageError } from './exit.js';

/**
 * "2026-12-01" (00:00 UTC that day), "2026-12-01T15:00" (UTC), or with an offset:
 * "2026-12-01T15:00:00+01:00". A calendar date that does not exist (Feb 30) is refused
 * rather than rolled over.
 */
export function parseDate(text: string, option: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text.trim());
  const date = match === null ? undefined : new Date(match[4] === undefined ? `${text.trim()}T00:00:00Z` : match[7] === undefined ? `${text.trim()}Z` : text.trim());
  const real =
    match !== null &&
    date !== undefined &&
    Number.isFinite(date.getTime()) &&
    (match[7] !== undefined || (date.getUTCFullYear() === Number(match[1]) && date.getUTCMonth() + 1 === Number(match[2]) && date.getUTCDate() === Number(match[3])));
  if (!real) {
    throw usageError(`${option} "${text}" is not a date: write YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC unless an offset is given)`);
  }
  return date!;
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
