import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Console operators' passwords, hashed with scrypt (RFC 7914), parameters stored beside the
 * hash so they can be raised later without invalidating old ones. N = 2^15, r = 8, p = 1 is
 * OWASP's recommendation for scrypt (about 32 MiB and tens of milliseconds a hash): slow for
 * a guesser with a copy of Redis, and run off the event loop (node:crypto's thread pool).
 */
const COST_LOG2 = 15;
const BLOCK_SIZE = 8;
const PARALLEL = 1;
const KEY_BYTES = 32;
// 128 · N · r bytes, and some room: node:crypto refuses above maxmem (32 MiB by default).
const MAX_MEMORY = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_BYTES, { ...options, maxmem: MAX_MEMORY }, (error, key) => (error === null ? resolve(key) : reject(error))));
}

/** `scrypt$15$8$1$salt$hash` (base64url). */
export async function hashOperatorPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, { N: 2 ** COST_LOG2, r: BLOCK_SIZE, p: PARALLEL });
  return ['scrypt', COST_LOG2, BLOCK_SIZE, PARALLEL, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** A hash of no password, checked when the operator is unknown, so the time does not tell whether a name exists. */
let decoy: Promise<string> | undefined;

/** Constant-time check; `stored` undefined (unknown operator, SSO-only operator) takes as long and fails. */
export async function verifyOperatorPassword(password: string, stored: string | undefined): Promise<boolean> {
  const hash = stored ?? (await (decoy ??= hashOperatorPassword(randomBytes(16).toString('hex'))));
  const [scheme, cost, block, parallel, salt, key] = hash.split('$');
  if (scheme !== 'scrypt' || salt === undefined || key === undefined) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), { N: 2 ** Number(cost), r: Number(block), p: Number(parallel) });
  return expected.length === actual.length && timingSafeEqual(expected, actual) && stored !== undefined;
}

/** Operators' passwords: long enough that the lockout, not luck, is what stops a guesser. */
export const OPERATOR_PASSWORD_MIN = 12;

export function operatorPasswordProblem(password: string): string | undefined {
  if ([...password].length < OPERATOR_PASSWORD_MIN) return `an operator password has at least ${OPERATOR_PASSWORD_MIN} characters`;
  if (password.length > 1024) return 'an operator password has at most 1024 characters';
  return undefined;
}

/** A password for a new operator, to be changed at first sign-in: 20 characters of base64url (120 bits). */
export function generateOperatorPassword(): string {
  return randomBytes(15).toString('base64url');
}
