import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ChallengeConfig } from '../config/types.js';
import { CODE_FAMILY } from '../credentials/code-family.js';
import { MAX_CODE_LENGTH, MIN_CODE_LENGTH, normalizeCode } from '../credentials/codes/alphabet.js';
import { expiryOf, parseLifetime } from '../credentials/codes/validity.js';
import type { RefusalReason } from '../credentials/login-outcome.js';
import { matchOfflineAuthcode, newRequestCode, OFFLINE_AUTHCODE_LENGTH } from '../credentials/offline-authcode.js';
import { hotp, totpStep } from '../credentials/otp/hotp.js';
import type { PendingChallenges, TokenForLogin, UserForLogin } from '../credentials/records.js';
import type { Keyring } from '../keys/keyring.js';
import type { Candidate } from '../store/decide/decide-script.js';
import { PADDING_CODE_LENGTHS, STAND_IN_PIN_HASH, STAND_IN_TOKEN_OWNER, standInTokenFor } from './timing-stand-ins.js';

/** RFC 2865 §5.24 leaves State opaque; 20 random bytes make it unguessable (SPEC: ≥ 16). */
export const STATE_BYTES = 20;

export interface ResolutionPolicy {
  readonly totpWindow: number;
  readonly hotpLookAhead: number;
  /** Only prefixes of a possible PIN length are hashed and compared. */
  readonly pin: { readonly minLength: number; readonly maxLength: number };
}

/** What Node works out before the atomic decision in Redis (decide.lua). */
export interface Resolution {
  /** Credentials to try, in the SPEC's order: passcode, PIN + code (each length), PIN + tokencode. */
  readonly candidates: Candidate[];
  /** Recorded when no candidate is valid: the most specific thing we know went wrong. */
  readonly fallbackReason: Extract<RefusalReason, 'bad-pin' | 'bad-code' | 'no-pin' | 'unknown-user' | 'bad-authcode' | 'authcode-used'>;
  /**
   * The candidates depend on the pending challenges (a State was presented, or the password
   * may be PIN ‖ offline authorization code): decide.lua then checks that they are current.
   */
  readonly readsChallenges: boolean;
  /** The PIN matched and the tokencode is right for a token marked lost: an audit alert. */
  readonly lostTokenUsed: boolean;
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function tokenStep(token: TokenForLogin, secret: Buffer, tokencode: string, nowMs: number, policy: ResolutionPolicy, everyStep: boolean): number | undefined {
  // Steps to try, most likely first, so a login in sync costs one HMAC rather than three.
  // Which step matched says only how far the token's clock drifts, nothing about the code.
  const steps: number[] = [];
  if (token.type === 'totp') {
    // RFC 6238 §5.2: one step either side of now for clock drift.
    const now = totpStep(nowMs / 1000, token.period);
    steps.push(now);
    for (let drift = 1; drift <= policy.totpWindow; drift++) steps.push(now - drift, now + drift);
  } else {
    // RFC 4226 §7.4: look ahead of the last counter used. Recent counters are tried too,
    // so that a replayed code is reported as a replay rather than as a wrong code.
    for (let step = token.lastStep + 1; step <= token.lastStep + policy.hotpLookAhead; step++) steps.push(step);
    for (let step = token.lastStep; step >= Math.max(0, token.lastStep - policy.hotpLookAhead + 1); step--) steps.push(step);
  }
  // Steps already used still match here; decide.lua refuses them as replays, atomically.
  if (!everyStep) return steps.find((step) => constantTimeEqual(hotp(secret, step, token.digits, token.algorithm), tokencode));
  // After a wrong PIN: every step, so the time does not say whether the tokencode was right.
  let matched: number | undefined;
  for (const step of steps) if (constantTimeEqual(hotp(secret, step, token.digits, token.algorithm), tokencode)) matched ??= step;
  return matched;
}

export interface ResolutionInput {
  readonly userName: string;
  readonly user: UserForLogin | undefined;
  /**
   * The user's token secret when the snapshot is the gateway's copy (decrypted when the
   * copy was made; null: it did not decrypt); absent, it is decrypted here.
   */
  readonly tokenSecret?: Buffer | null | undefined;
  readonly password: string;
  readonly nowMs: number;
  /** The helpdesk's zone (config `time_zone`): an offline authorization code's validity is counted in it. */
  readonly timeZone: string;
  /** The user's pending request codes and challenge States (from the same snapshot as `user`). */
  readonly challenges: PendingChallenges;
  /** Hex of the State attribute when the request answers an Access-Challenge. */
  readonly presentedState: string | undefined;
}

/** A validity of days or "1month" ends at the same wall-clock time in the helpdesk's zone (SPEC "Time"). */
function bypassEnd(validity: string, nowMs: number, timeZone: string): number {
  return expiryOf(parseLifetime(validity), new Date(nowMs), timeZone).getTime();
}

/**
 * SPEC "Resolving a password", steps 2–5, up to the point where Redis must decide:
 * which stored codes the password could be, which token step it matches, which pending
 * request code an offline authorization code answers, and whether the PIN alone asks for
 * a challenge. Works on the gateway's copy of the user record (or the record decide.lua
 * returned because the copy was out of date); decide.lua then checks expiry, revocation,
 * uses, replay and State binding atomically and consumes.
 *
 * The PIN length is never assumed: every length of the user's active PIN-prefixed codes
 * is a place the PIN may end, and each is tried.
 */
export function resolvePassword(input: ResolutionInput, keyring: Keyring, policy: ResolutionPolicy, challenge: ChallengeConfig): Resolution {
  const { userName, user, password, nowMs } = input;
  const typed = password.replace(/[\s-]/g, '');
  const pinHash = user?.pinHash ?? STAND_IN_PIN_HASH;
  // A prefix that no PIN policy allows cannot be the PIN: skip the hashing. The bounds come
  // from the policy and the password length, so this reveals nothing about the user.
  const pinMatches = (prefix: string): boolean =>
    prefix.length >= policy.pin.minLength && prefix.length <= policy.pin.maxLength && keyring.verifyPin(userName, prefix, pinHash);
  const candidates: Candidate[] = [];
  // A request code answered after `--challenge off` (or with the flow turned off) counts
  // for nothing, even before the admin action has cleared what was pending.
  const challengeAllowed = challenge.enabled && user?.challengeAllowed === true;
  const offline = (requestCode: string, code: string, answersState: boolean): void => {
    if (!challengeAllowed) return;
    const validity = matchOfflineAuthcode(keyring, userName, requestCode, code, challenge.validities);
    if (validity !== undefined) candidates.push({ kind: 'offline', requestCode, bypassUntil: bypassEnd(validity, nowMs, input.timeZone), answersState });
  };

  // The answer to an Access-Challenge: the offline authorization code alone.
  if (input.presentedState !== undefined) {
    const state = input.challenges.states.get(input.presentedState);
    if (state !== undefined && state.expiresAt > nowMs) offline(state.requestCode, typed, true);
    return { candidates, fallbackReason: user === undefined ? 'unknown-user' : 'bad-authcode', lostTokenUsed: false, readsChallenges: true };
  }
  let pinMatched = false;

  // 2. The whole password is an emergency passcode.
  const whole = normalizeCode(typed);
  if (whole.length >= MIN_CODE_LENGTH && whole.length <= MAX_CODE_LENGTH) {
    for (const lookup of keyring.codeCandidates(userName, CODE_FAMILY.alone, whole)) candidates.push({ kind: 'code', lookup });
  }

  // 3. PIN ‖ code, for each length of the user's active PIN-prefixed codes. With a wrong
  // PIN the code is still hashed and looked up, as a decoy that cannot be accepted.
  const lengths = user === undefined || user.prefixedCodeLengths.length === 0 ? PADDING_CODE_LENGTHS : user.prefixedCodeLengths;
  for (const length of lengths) {
    if (typed.length <= length) continue;
    const pinLength = typed.length - length;
    if (pinLength < policy.pin.minLength || pinLength > policy.pin.maxLength) continue;
    const pinRight = pinMatches(typed.slice(0, pinLength));
    pinMatched ||= pinRight;
    const real = pinRight && user !== undefined && user.prefixedCodeLengths.includes(length);
    const code = normalizeCode(typed.slice(pinLength));
    for (const lookup of keyring.codeCandidates(userName, CODE_FAMILY.afterPin, code)) candidates.push({ kind: real ? 'code' : 'decoy', lookup });
  }

  // 4. PIN ‖ tokencode. The tokencode's HMACs are computed whatever the PIN and the user:
  // with the user's secret after a wrong PIN too (never accepted then), with a stand-in
  // secret for a user without a token.
  let lostTokenUsed = false;
  const token = user?.token;
  const standIn = token === undefined ? standInTokenFor(keyring, userName) : undefined;
  const checked: TokenForLogin = token ?? standIn!;
  if (typed.length > checked.digits) {
    const tokencode = typed.slice(typed.length - checked.digits);
    const pinRight = pinMatches(typed.slice(0, typed.length - checked.digits));
    pinMatched ||= pinRight;
    // The copy's secret, decrypted when the copy was made; a record read for this login is
    // decrypted now (copies off, or a copy out of date held nowhere).
    const secret =
      token === undefined
        ? keyring.tokenSecret(STAND_IN_TOKEN_OWNER, standIn!)
        : input.tokenSecret === undefined && token.encryptedSecret !== undefined
          ? keyring.tokenSecret(userName, token as { readonly encryptedSecret: string })
          : (input.tokenSecret ?? undefined);
    if (/^\d+$/.test(tokencode)) {
      // A secret that does not decrypt (another key, a damaged record) is never accepted,
      // and checked with a stand-in's so that it costs the same.
      const key = secret ?? keyring.tokenSecret(STAND_IN_TOKEN_OWNER, standInTokenFor(keyring, userName))!;
      const step = tokenStep(checked, key, tokencode, nowMs, policy, !pinRight);
      if (pinRight && token !== undefined && secret !== undefined && step !== undefined) {
        candidates.push({ kind: 'token', step });
        lostTokenUsed = token.state === 'lost';
      }
    }
  }

  // The challenge prompt timed out on the NAS: PIN ‖ offline authorization code in a fresh
  // request is accepted while the request code is pending. The PIN is checked whenever the
  // length allows this shape, pending request or not, so that a right PIN is never logged
  // as a wrong one; the cost depends on the password's length alone.
  let readsChallenges = false;
  let usedAuthcode = false;
  const offlinePinLength = typed.length - OFFLINE_AUTHCODE_LENGTH;
  if (offlinePinLength >= policy.pin.minLength && offlinePinLength <= policy.pin.maxLength) {
    readsChallenges = true;
    if (pinMatches(typed.slice(0, offlinePinLength))) {
      pinMatched = true;
      const answer = typed.slice(offlinePinLength);
      for (const { requestCode, expiresAt } of input.challenges.requests) if (expiresAt > nowMs) offline(requestCode, answer, false);
      for (const { requestCode, expiresAt } of input.challenges.used) {
        if (expiresAt > nowMs && matchOfflineAuthcode(keyring, userName, requestCode, answer, challenge.validities) !== undefined) usedAuthcode = true;
      }
    }
  }

  // 5. The PIN alone: IBM's temporary bypass if one is active, else a challenge.
  const pinOnly = pinMatches(typed);
  if (pinOnly && user !== undefined) {
    if (challenge.temporaryBypass) candidates.push({ kind: 'bypass' });
    if (challenge.enabled && user.challengeAllowed) {
      candidates.push({ kind: 'challenge', requestCode: newRequestCode(), state: randomBytes(STATE_BYTES).toString('hex'), expiresAt: nowMs + challenge.pendingSeconds * 1000 });
    }
  }

  let fallbackReason: Resolution['fallbackReason'] = usedAuthcode ? 'authcode-used' : pinMatched || pinOnly ? 'bad-code' : 'bad-pin';
  if (user === undefined) fallbackReason = 'unknown-user';
  else if (user.pinHash === undefined) fallbackReason = 'no-pin';
  return { candidates, fallbackReason, lostTokenUsed, readsChallenges };
}
