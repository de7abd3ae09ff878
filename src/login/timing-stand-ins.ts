import { randomBytes } from 'node:crypto';
import type { TokenRecord } from '../credentials/records.js';
import type { Keyring } from '../keys/keyring.js';

/**
 * What password resolution works with when there is nothing real to work with, so that
 * the time it takes does not tell an attacker which user names exist, which users have a
 * token, or whether the PIN was right (SPEC "Resolving a password", step 1). Redis has its
 * own stand-ins for the same purpose (store/stand-in-records.ts).
 */

/** Compared when the user has no PIN hash: as long as a real `kid.hash` (16 bytes of HMAC-SHA-256), so the comparison runs in full. */
export const STAND_IN_PIN_HASH = `stand-in.${'A'.repeat(22)}`;

/**
 * Where a PIN ‖ code split is tried when the user has no PIN-prefixed code (most users,
 * most of the time): a decoy lookup there costs what a real one costs.
 */
export const PADDING_CODE_LENGTHS: readonly number[] = [8];

/**
 * The tokens whose codes an unknown user's (or a user without a token's) tokencode is
 * checked against, one picked by the name, so it costs what a real user's does: the same
 * HMACs, keyed with a secret decrypted and cached the way a real one is. Their secrets are
 * random and never accepted. How many matters: the CPU caches make a key used often
 * cheaper than one used rarely, so there are as many as a few hundred real users would
 * bring (bench/README.md has the measurement).
 */
const STAND_IN_TOKENS = 256;

/** The name the stand-in secrets are sealed to (AES-GCM associated data); never a login's. */
export const STAND_IN_TOKEN_OWNER = 'stand-in token';

const standInTokens = new WeakMap<Keyring, readonly TokenRecord[]>();

/** The stand-in token for a name: always the same one for the same name. */
export function standInTokenFor(keyring: Keyring, userName: string): TokenRecord {
  let tokens = standInTokens.get(keyring);
  if (tokens === undefined) {
    tokens = Array.from({ length: STAND_IN_TOKENS }, () => ({
      type: 'totp', serial: '', encryptedSecret: keyring.encryptTokenSecret(STAND_IN_TOKEN_OWNER, randomBytes(20)), digits: 6, period: 30,
      algorithm: 'sha1', state: 'active', expiresAt: 0, lastStep: -1, assignedAt: 0,
    }) as const);
    standInTokens.set(keyring, tokens);
  }
  let hash = 0;
  for (let i = 0; i < userName.length; i++) hash = (hash * 31 + userName.charCodeAt(i)) | 0;
  return tokens[hash & (STAND_IN_TOKENS - 1)]!;
}
