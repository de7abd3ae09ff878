/**
 * Mobile numbers on the user record (issue 18: self-service codes by SMS), in E.164 form
 * (ITU-T E.164: a country code and a subscriber number, 15 digits at most, written with a
 * leading `+`). What an admin types is checked and canonicalised here, and only here; a
 * number is shown masked everywhere but the SMS that is sent to it.
 */

/** ITU-T E.164 §6: at most 15 digits; the shortest numbers in use have 8 with their country code. */
const E164 = /^\+[1-9][0-9]{7,14}$/;

/** The word `user set --mobile` takes to remove a number. */
export const NO_MOBILE = 'none';

export const MOBILE_FORM = 'a mobile number is + and 8 to 15 digits, the country code first (E.164), e.g. +4915112345678';

/**
 * The canonical form of a typed number (spaces and hyphens removed, as people group digits),
 * or undefined when it is not an E.164 number. The problem message never echoes the input:
 * a number is personal data.
 */
export function canonicalMobile(typed: string): string | undefined {
  const compact = typed.replace(/[\s-]/g, '');
  return E164.test(compact) ? compact : undefined;
}

/**
 * `+4915112345678` as `+49•••••••••78`: the `+`, the first two digits (the country code's
 * start, which tells the helpdesk which country) and the last two; every other digit a dot
 * (nine of the thirteen here), so the length shows. Enough for a user to recognise their number, too little to call it.
 */
export function maskMobile(number: string): string {
  const digits = number.slice(1);
  return `+${digits.slice(0, 2)}${'•'.repeat(Math.max(0, digits.length - 4))}${digits.slice(-2)}`;
}
