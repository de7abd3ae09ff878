import { timingSafeEqual } from 'node:crypto';
import type { Keyring } from '../keys/keyring.js';
import type { Candidate } from '../store/credential-store.js';
import type { TokenRecord, UserRecord } from '../store/records.js';
import { normalizeCode } from './codes/alphabet.js';
import { hotp, totpStep } from './otp/hotp.js';

/** Hash families: a code typed alone never matches a code typed after the PIN, and back. */
export const CODE_FAMILY = { alone: 'alone', afterPin: 'after-pin' } as const;

export interface ResolutionPolicy {
  readonly totpWindow: number;
  readonly hotpLookAhead: number;
}

/** What Node works out before the atomic decision in Redis (decide.lua). */
export interface Resolution {
  /** Credentials to try, in the SPEC's order: passcode, PIN + code (each length), PIN + tokencode. */
  readonly candidates: Candidate[];
  /** Recorded when no candidate is valid: the most specific thing we know went wrong. */
  readonly fallbackReason: 'bad-pin' | 'bad-code' | 'no-pin' | 'unknown-user';
  /** The PIN matched and the tokencode is right for a token marked lost: an audit alert. */
  readonly lostTokenUsed: boolean;
  /** The password was the PIN alone (the challenge trigger, see the challenge flow). */
  readonly pinOnly: boolean;
}

/**
 * A stand-in for unknown users: the same hashing and the same round trips happen for a
 * name that does not exist as for a wrong PIN, so response timing does not tell an
 * attacker which user names are real (SPEC "Resolving a password", step 1).
 */
const PHANTOM_PIN_HASH = 'phantom.AAAAAAAAAAAAAAAAAAAAAA';
const PHANTOM_LENGTHS = [8] as const;
const PHANTOM_TOKEN_DIGITS = 6;

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function tokenStep(token: TokenRecord, secret: Buffer, tokencode: string, nowMs: number, policy: ResolutionPolicy): number | undefined {
  let first: number;
  let last: number;
  if (token.type === 'totp') {
    // RFC 6238 §5.2: one step either side of now for clock drift.
    const now = totpStep(nowMs / 1000, token.period);
    first = now - policy.totpWindow;
    last = now + policy.totpWindow;
  } else {
    // RFC 4226 §7.4: look ahead of the last counter used. Recent counters are tried too,
    // so that a replayed code is reported as a replay rather than as a wrong code.
    first = Math.max(0, token.lastStep - policy.hotpLookAhead + 1);
    last = token.lastStep + policy.hotpLookAhead;
  }
  // Steps already used still match here; decide.lua refuses them as replays, atomically.
  let matched: number | undefined;
  for (let step = first; step <= last; step++) {
    // Every step is computed and compared, so timing does not reveal which one matched.
    if (constantTimeEqual(hotp(secret, step, token.digits, token.algorithm), tokencode) && matched === undefined) matched = step;
  }
  return matched;
}

/**
 * SPEC "Resolving a password", steps 2–4, up to the point where Redis must decide:
 * which stored codes the password could be, and which token step it matches. Works on
 * the user record from the first round trip; the second round trip (decide.lua) checks
 * expiry, revocation, uses and replay atomically and consumes.
 *
 * The PIN length is never assumed: every length of the user's active PIN-prefixed codes
 * is a place the PIN may end, and each is tried.
 */
export function resolvePassword(
  userName: string,
  user: UserRecord | undefined,
  password: string,
  nowMs: number,
  keyring: Keyring,
  policy: ResolutionPolicy,
): Resolution {
  const typed = password.replace(/[\s-]/g, '');
  const pinHash = user?.pinHash ?? PHANTOM_PIN_HASH;
  const pinMatches = (prefix: string): boolean => prefix.length > 0 && keyring.verifyPin(userName, prefix, pinHash);
  const candidates: Candidate[] = [];
  let pinMatched = false;

  // 2. The whole password is an emergency passcode.
  for (const lookup of keyring.codeCandidates(userName, CODE_FAMILY.alone, normalizeCode(typed))) candidates.push({ kind: 'code', lookup });

  // 3. PIN ‖ code, for each length of the user's active PIN-prefixed codes.
  for (const length of user?.prefixedCodeLengths ?? PHANTOM_LENGTHS) {
    if (typed.length <= length) continue;
    if (!pinMatches(typed.slice(0, typed.length - length))) continue;
    pinMatched = true;
    const code = normalizeCode(typed.slice(typed.length - length));
    for (const lookup of keyring.codeCandidates(userName, CODE_FAMILY.afterPin, code)) candidates.push({ kind: 'code', lookup });
  }

  // 4. PIN ‖ tokencode.
  let lostTokenUsed = false;
  const digits = user?.token?.digits ?? PHANTOM_TOKEN_DIGITS;
  if (typed.length > digits) {
    const tokencode = typed.slice(typed.length - digits);
    if (pinMatches(typed.slice(0, typed.length - digits))) {
      pinMatched = true;
      const token = user?.token;
      const secret = token === undefined ? undefined : keyring.decryptTokenSecret(userName, token.encryptedSecret);
      if (token !== undefined && secret !== undefined && /^\d+$/.test(tokencode)) {
        const step = tokenStep(token, secret, tokencode, nowMs, policy);
        if (step !== undefined) {
          candidates.push({ kind: 'token', step });
          lostTokenUsed = token.state === 'lost';
        }
      }
    }
  }

  const pinOnly = pinMatches(typed);
  let fallbackReason: Resolution['fallbackReason'] = pinMatched || pinOnly ? 'bad-code' : 'bad-pin';
  if (user === undefined) fallbackReason = 'unknown-user';
  else if (user.pinHash === undefined) fallbackReason = 'no-pin';
  return { candidates, fallbackReason, lostTokenUsed, pinOnly };
}
