import { timingSafeEqual } from 'node:crypto';
import { hotp, totpStep } from './hotp.js';

/**
 * The time step whose TOTP code (RFC 6238, SHA-1) is `code`, within `window` steps either
 * side of now (§5.2, clock drift), or undefined. Every step is computed and compared in
 * constant time, so the time taken says nothing about how close a guess was. Used for the
 * console operators' second factor; the gateway's own tokens are matched in
 * login/resolve-password.ts, which also knows HOTP and replays across instances.
 */
export function matchingTotpStep(secret: Buffer, code: string, nowMs: number, options: { readonly period: number; readonly digits: number; readonly window: number }): number | undefined {
  const now = totpStep(nowMs / 1000, options.period);
  const typed = Buffer.from(code.replace(/\s/g, ''));
  let matched: number | undefined;
  for (let step = now - options.window; step <= now + options.window; step++) {
    const expected = Buffer.from(hotp(secret, step, options.digits));
    if (expected.length === typed.length && timingSafeEqual(expected, typed)) matched ??= step;
  }
  return matched;
}
