/**
 * How users and issued codes are laid out in Redis, and their typed form. Field names are
 * short because they are repeated in every user hash; code records are compact JSON arrays
 * (read and updated by the Lua scripts) to keep Redis memory per code small.
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

/** A pending challenge: the request code shown to the user, and the State that answers it. */
export interface PendingRequest {
  readonly requestCode: string;
  readonly expiresAt: number;
}

export interface ChallengeState {
  /** Hex of the State attribute's value. */
  readonly state: string;
  readonly requestCode: string;
  /** Name of the client the challenge was sent to; an answer from another is refused. */
  readonly client: string;
  readonly expiresAt: number;
}

const NO_CHALLENGES = { pending: [] as readonly PendingRequest[], states: new Map<string, ChallengeState>() as ReadonlyMap<string, ChallengeState> } as const;

/** From the challenge hash: `req:<code>` → expiry ms; `state:<hex>` → "client|code|expiry". */
export function challengesFromFields(flat: readonly string[], now: number): { pending: readonly PendingRequest[]; states: ReadonlyMap<string, ChallengeState> } {
  // Most users have no challenge pending: nothing to allocate for them on every login.
  if (flat.length === 0) return NO_CHALLENGES;
  const pending: PendingRequest[] = [];
  const states = new Map<string, ChallengeState>();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const field = flat[i]!;
    const value = flat[i + 1]!;
    if (field.startsWith('req:')) {
      const expiresAt = Number(value);
      if (expiresAt > now) pending.push({ requestCode: field.slice(4), expiresAt });
    } else if (field.startsWith('state:')) {
      const [client = '', requestCode = '', expires = '0'] = value.split('|');
      if (Number(expires) > now) states.set(field.slice(6), { state: field.slice(6), requestCode, client, expiresAt: Number(expires) });
    }
  }
  return { pending, states };
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
}

export const USER_FIELDS = {
  status: 'status',
  pin: 'pin',
  failures: 'fails',
  locked: 'locked',
  prefixedLengths: 'plen',
  created: 'created',
  challenge: 'challenge',
  tokenType: 't_type',
  tokenSerial: 't_serial',
  tokenSecret: 't_secret',
  tokenDigits: 't_digits',
  tokenPeriod: 't_period',
  tokenAlgorithm: 't_algo',
  tokenState: 't_state',
  tokenExpires: 't_expires',
  tokenLast: 't_last',
  tokenAssigned: 't_assigned',
  /**
   * Revision of everything password resolution reads (PIN, token, code lengths, challenge
   * settings and pending challenges): a fresh unique value with every such write. The
   * gateway keeps copies of user records and decide.lua refuses to decide on a copy whose
   * revision is not the stored one.
   */
  revision: 'rv',
} as const;

export const TOKEN_FIELDS = [
  USER_FIELDS.tokenType,
  USER_FIELDS.tokenSerial,
  USER_FIELDS.tokenSecret,
  USER_FIELDS.tokenDigits,
  USER_FIELDS.tokenPeriod,
  USER_FIELDS.tokenAlgorithm,
  USER_FIELDS.tokenState,
  USER_FIELDS.tokenExpires,
  USER_FIELDS.tokenLast,
  USER_FIELDS.tokenAssigned,
] as const;

/** From HGETALL's flat [field, value, ...] array. */
export function userFromFields(name: string, flat: readonly string[]): UserRecord | undefined {
  if (flat.length === 0) return undefined;
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!, flat[i + 1]!);
  const number = (field: string, fallback = 0): number => {
    const value = fields.get(field);
    return value === undefined || value === '' ? fallback : Number(value);
  };
  const tokenSecret = fields.get(USER_FIELDS.tokenSecret);
  const lengths = fields.get(USER_FIELDS.prefixedLengths);
  return {
    name,
    status: fields.get(USER_FIELDS.status) === 'active' ? 'active' : 'disabled',
    pinHash: fields.get(USER_FIELDS.pin) || undefined,
    failures: number(USER_FIELDS.failures),
    lockedUntil: number(USER_FIELDS.locked),
    prefixedCodeLengths: lengths === undefined || lengths === '' ? [] : lengths.split(',').map(Number),
    createdAt: number(USER_FIELDS.created),
    challengeAllowed: fields.get(USER_FIELDS.challenge) !== 'off',
    token:
      tokenSecret === undefined
        ? undefined
        : {
            type: fields.get(USER_FIELDS.tokenType) === 'hotp' ? 'hotp' : 'totp',
            serial: fields.get(USER_FIELDS.tokenSerial) ?? '',
            encryptedSecret: tokenSecret,
            digits: number(USER_FIELDS.tokenDigits, 6),
            period: number(USER_FIELDS.tokenPeriod, 30),
            algorithm: (fields.get(USER_FIELDS.tokenAlgorithm) ?? 'sha1') as TokenAlgorithm,
            state: (fields.get(USER_FIELDS.tokenState) ?? 'active') as TokenState,
            expiresAt: number(USER_FIELDS.tokenExpires),
            lastStep: number(USER_FIELDS.tokenLast, -1),
            assignedAt: number(USER_FIELDS.tokenAssigned),
          },
  };
}

export function tokenToFields(token: TokenRecord): (string | number)[] {
  return [
    USER_FIELDS.tokenType, token.type,
    USER_FIELDS.tokenSerial, token.serial,
    USER_FIELDS.tokenSecret, token.encryptedSecret,
    USER_FIELDS.tokenDigits, token.digits,
    USER_FIELDS.tokenPeriod, token.period,
    USER_FIELDS.tokenAlgorithm, token.algorithm,
    USER_FIELDS.tokenState, token.state,
    USER_FIELDS.tokenExpires, token.expiresAt,
    USER_FIELDS.tokenLast, token.lastStep,
    USER_FIELDS.tokenAssigned, token.assignedAt,
  ];
}

/** The kinds of code the helpdesk issues (SPEC "Credentials"). */
export type CodeKind = 'emergency-tokencode' | 'emergency-passcode' | 'online-authcode';

/**
 * What a code record can be: an issued code, or the temporary bypass (IBM's password-only
 * lock) that a used authorization code leaves behind when policy allows it.
 */
export type RecordKind = CodeKind | 'temporary-bypass';

/** Stored as two letters: the kind is repeated in every code record. */
const KIND_TO_WIRE: Record<RecordKind, string> = {
  'emergency-tokencode': 'ET',
  'emergency-passcode': 'EP',
  'online-authcode': 'OA',
  'temporary-bypass': 'BP',
};
const WIRE_TO_KIND = new Map(Object.entries(KIND_TO_WIRE).map(([kind, wire]) => [wire, kind as RecordKind]));

export function kindToWire(kind: RecordKind): string {
  return KIND_TO_WIRE[kind];
}

export function kindFromWire(wire: string): RecordKind | undefined {
  return WIRE_TO_KIND.get(wire);
}

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
}

export function codeToJson(code: CodeRecord): string {
  return JSON.stringify([
    code.id, kindToWire(code.kind), code.issuedAt, code.expiresAt, code.maxUses, code.uses,
    code.lastUsedAt, code.revokedAt, code.issuedBy, code.reason, code.revokedBy, code.length,
  ]);
}

export function codeFromJson(json: string): CodeRecord {
  const [id, kind, issuedAt, expiresAt, maxUses, uses, lastUsedAt, revokedAt, issuedBy, reason, revokedBy, length] =
    JSON.parse(json) as [string, string, number, number, number, number, number, number, string, string, string, number];
  return {
    id, kind: kindFromWire(kind) ?? 'emergency-tokencode', issuedAt, expiresAt, maxUses, uses,
    lastUsedAt, revokedAt, issuedBy, reason, revokedBy, length,
  };
}

export type CodeState = 'active' | 'expired' | 'revoked' | 'used-up';

export function codeState(code: CodeRecord, now: number): CodeState {
  if (code.revokedAt !== 0) return 'revoked';
  if (code.expiresAt <= now) return 'expired';
  if (code.maxUses !== 0 && code.uses >= code.maxUses) return 'used-up';
  return 'active';
}
