/**
 * The typed form of what radgate keeps per user: the user, their token, their issued codes
 * and their pending challenges (SPEC "Credentials", "Issued codes", "Tokens"). How these
 * are laid out in Redis is the store's business (store/record-format.ts); nothing here
 * knows a field name.
 */

export type TokenType = 'totp' | 'hotp';
export type TokenState = 'active' | 'lost' | 'disabled';
export type TokenAlgorithm = 'sha1' | 'sha256' | 'sha512';

export interface TokenRecord {
  readonly type: TokenType;
  readonly serial: string;
  /** `kid.ciphertext`: AES-256-GCM under the token-secret subkey; never the clear secret. */
  readonly encryptedSecret: string;
  readonly digits: number;
  readonly period: number;
  readonly algorithm: TokenAlgorithm;
  readonly state: TokenState;
  /** Epoch ms; 0 when the token does not expire. */
  readonly expiresAt: number;
  /** The last accepted TOTP step or HOTP counter (-1: none yet); replay prevention. */
  readonly lastStep: number;
  readonly assignedAt: number;
}

export type UserStatus = 'active' | 'disabled';

export interface UserRecord {
  readonly name: string;
  readonly status: UserStatus;
  /** `kid.hash` of the PIN, or undefined when no PIN is set. */
  readonly pinHash: string | undefined;
  readonly failures: number;
  /** 0: not locked; -1: locked until an admin unlocks; otherwise lock end, epoch ms. */
  readonly lockedUntil: number;
  /** Lengths of the user's active PIN-prefixed codes (where a typed PIN may end). */
  readonly prefixedCodeLengths: readonly number[];
  readonly createdAt: number;
  readonly token: TokenRecord | undefined;
  /** Challenge access for this user (`user set --challenge`); on unless turned off. */
  readonly challengeAllowed: boolean;
  /** `kid.ciphertext` of the E.164 mobile number (AES-256-GCM, keys/keyring.ts); never the number. */
  readonly encryptedMobile: string | undefined;
}

/**
 * What a login reads of a token (password resolution; decide.lua reads the rest in Redis).
 * `encryptedSecret` is absent from the gateway's copy, which holds the secret decrypted.
 */
export type TokenForLogin = Pick<TokenRecord, 'type' | 'digits' | 'period' | 'algorithm' | 'state' | 'lastStep'> & { readonly encryptedSecret?: string };

/**
 * What a login reads of a user record: all that the gateway's copy of it keeps
 * (login/user-copies.ts), so a million copies fit in memory (issue 15).
 */
export type UserForLogin = Pick<UserRecord, 'name' | 'status' | 'pinHash' | 'failures' | 'lockedUntil' | 'prefixedCodeLengths' | 'challengeAllowed'> & {
  readonly token: TokenForLogin | undefined;
};

/** A change to a user record; absent fields stay as they are. `token: null` removes the token. */
export interface UserChanges {
  readonly status?: UserStatus;
  readonly pinHash?: string;
  readonly failures?: number;
  readonly lockedUntil?: number;
  readonly challengeAllowed?: boolean;
  readonly token?: TokenRecord | null;
  readonly tokenState?: TokenState;
  /** The sealed mobile number; null removes it. */
  readonly encryptedMobile?: string | null;
}

/** A request code shown to the user in an Access-Challenge, while it may be answered. */
export interface PendingRequest {
  readonly requestCode: string;
  readonly expiresAt: number;
}

/** The State of an Access-Challenge: which request code it was sent for, and to which client. */
export interface ChallengeState {
  /** Hex of the State attribute's value. */
  readonly state: string;
  readonly requestCode: string;
  /** Name of the client the challenge was sent to; an answer from another is refused. */
  readonly client: string;
  readonly expiresAt: number;
}

/** A user's pending challenges, as password resolution reads them. */
export interface PendingChallenges {
  readonly requests: readonly PendingRequest[];
  /** By State hex. */
  readonly states: ReadonlyMap<string, ChallengeState>;
  /**
   * Request codes whose authorization code was used, until the access it gave ends: typed
   * again, the refusal says so rather than "bad PIN".
   */
  readonly used: readonly PendingRequest[];
}

export const NO_PENDING_CHALLENGES: PendingChallenges = Object.freeze({ requests: Object.freeze([]), states: new Map<string, ChallengeState>(), used: Object.freeze([]) });

/**
 * How many request codes a user may have pending (SPEC "Challenge flow", step 4): a new
 * challenge pushes out the oldest, so a flood of PIN-only requests cannot make a login's
 * work grow. A few cover a user who tried twice before calling the helpdesk.
 */
export const MAX_PENDING_REQUESTS = 3;

/** The kinds of code the helpdesk issues (SPEC "Credentials"). */
export type CodeKind = 'emergency-tokencode' | 'emergency-passcode' | 'online-authcode';

export const CODE_KINDS: readonly CodeKind[] = ['emergency-tokencode', 'emergency-passcode', 'online-authcode'];

/**
 * What a code record can be: an issued code, or the temporary bypass (IBM's password-only
 * lock) that a used authorization code leaves behind when policy allows it.
 */
export type RecordKind = CodeKind | 'temporary-bypass';

/** Kinds typed after the PIN; the others (passcodes) are typed alone. */
export const PIN_PREFIXED_KINDS: readonly CodeKind[] = ['emergency-tokencode', 'online-authcode'];

export interface CodeRecord {
  readonly id: string;
  readonly kind: RecordKind;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** 0 means many uses until expiry. */
  readonly maxUses: number;
  readonly uses: number;
  readonly lastUsedAt: number;
  readonly revokedAt: number;
  readonly issuedBy: string;
  readonly reason: string;
  readonly revokedBy: string;
  /** Number of characters of the code (not the code): where the PIN ends when typed after it. */
  readonly length: number;
  /**
   * A temporary bypass's origin: the id of the online authorization code whose use made it,
   * or `offline:` and the request code an offline authorization code answered. '' for
   * issued codes. Revoking the code ends the bypass it made (SPEC "Issued codes").
   */
  readonly source: string;
}

/** The prefix of a bypass's source when an offline authorization code made it. */
export const OFFLINE_SOURCE_PREFIX = 'offline:';

export type CodeState = 'active' | 'expired' | 'revoked' | 'used-up';

export function codeState(code: CodeRecord, now: number): CodeState {
  if (code.revokedAt !== 0) return 'revoked';
  if (code.expiresAt <= now) return 'expired';
  if (code.maxUses !== 0 && code.uses >= code.maxUses) return 'used-up';
  return 'active';
}

/**
 * Which codes `code revoke` ends: one by id, the last issue (of one kind, if named), all
 * (pending challenges included), or the outstanding emergency codes (token found).
 */
export type RevokeSelector = { readonly id: string } | { readonly last: CodeKind | undefined } | 'all' | 'emergency';
