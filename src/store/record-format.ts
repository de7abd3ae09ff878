/**
 * How users, codes and challenges are laid out in Redis: the one place that knows their
 * stored form. Field names are short because they are repeated in every user hash; code
 * records are compact JSON arrays (read and updated by the Lua scripts) to keep Redis
 * memory per code small. The Lua scripts get these names and positions from here
 * (store/lua-script.ts renders them in), so they are spelled once.
 */
import type {
  ChallengeState,
  CodeRecord,
  PendingChallenges,
  PendingRequest,
  RecordKind,
  TokenAlgorithm,
  TokenRecord,
  TokenState,
  UserChanges,
  UserForLogin,
  UserRecord,
} from '../credentials/records.js';
import { NO_PENDING_CHALLENGES } from '../credentials/records.js';

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
  /** The mobile number, sealed (keys/keyring.ts encryptMobile): self-service codes go there by SMS. */
  mobile: 'mobile',
  /**
   * Revision of everything password resolution reads in the user record (PIN, token, code
   * lengths, challenge settings): a fresh unique value with every such write. The gateway
   * keeps copies of user records and decide.lua refuses to decide on a copy whose
   * revision is not the stored one.
   */
  revision: 'rv',
  /**
   * Revision of the pending challenges (the challenge hash), kept apart so that a PIN-only
   * request, whose decision does not read them, is not refused as stale because another
   * PIN-only request just added one: concurrent challenges of one user are all answered.
   */
  challengeRevision: 'crv',
} as const;

const TOKEN_FIELDS = [
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

/** The stored value of a user's status field ('stand-in' marks the records of store/stand-in-records.ts). */
export const USER_STATUS = { active: 'active', disabled: 'disabled', standIn: 'stand-in' } as const;

/**
 * The fields a login reads (UserForLogin) and the revisions, in order: a gateway's copy
 * of the user is made of these alone, and copy-users.lua reads them with one HMGET.
 */
export const COPY_FIELDS = [
  USER_FIELDS.status,
  USER_FIELDS.pin,
  USER_FIELDS.failures,
  USER_FIELDS.locked,
  USER_FIELDS.prefixedLengths,
  USER_FIELDS.challenge,
  USER_FIELDS.tokenType,
  USER_FIELDS.tokenSecret,
  USER_FIELDS.tokenDigits,
  USER_FIELDS.tokenPeriod,
  USER_FIELDS.tokenAlgorithm,
  USER_FIELDS.tokenState,
  USER_FIELDS.tokenLast,
  USER_FIELDS.revision,
  USER_FIELDS.challengeRevision,
] as const;
/** COPY_FIELDS, then the rest of a user record: the positions userFromFields reads. */
const RECORD_FIELDS = [...COPY_FIELDS, USER_FIELDS.created, USER_FIELDS.tokenSerial, USER_FIELDS.tokenExpires, USER_FIELDS.tokenAssigned, USER_FIELDS.mobile] as const;
const POSITION = new Map<string, number>(RECORD_FIELDS.map((field, i) => [field, i]));
const at = (field: (typeof RECORD_FIELDS)[number]): number => POSITION.get(field)!;
const P = {
  status: at(USER_FIELDS.status), pin: at(USER_FIELDS.pin), failures: at(USER_FIELDS.failures), locked: at(USER_FIELDS.locked),
  lengths: at(USER_FIELDS.prefixedLengths), challenge: at(USER_FIELDS.challenge), type: at(USER_FIELDS.tokenType), secret: at(USER_FIELDS.tokenSecret),
  digits: at(USER_FIELDS.tokenDigits), period: at(USER_FIELDS.tokenPeriod), algorithm: at(USER_FIELDS.tokenAlgorithm), state: at(USER_FIELDS.tokenState),
  last: at(USER_FIELDS.tokenLast), revision: at(USER_FIELDS.revision), challengeRevision: at(USER_FIELDS.challengeRevision),
  created: at(USER_FIELDS.created), serial: at(USER_FIELDS.tokenSerial), expires: at(USER_FIELDS.tokenExpires), assigned: at(USER_FIELDS.tokenAssigned),
  mobile: at(USER_FIELDS.mobile),
} as const;

type Values = readonly (string | null | undefined)[];

/** A number field: `fallback` when absent or empty. */
function numberAt(values: Values, position: number, fallback = 0): number {
  const value = values[position];
  return value === undefined || value === null || value === '' ? fallback : Number(value);
}

/**
 * What a login reads of a user, from the values of COPY_FIELDS in order (HMGET's reply;
 * null for an absent field); undefined for a missing record (no field at all, as
 * HGETALL's empty reply).
 */
export function userForLoginFromValues(name: string, values: Values): UserForLogin | undefined {
  if (!values.some((value) => value !== null && value !== undefined)) return undefined;
  const tokenSecret = values[P.secret];
  const lengths = values[P.lengths];
  return {
    name,
    status: values[P.status] === USER_STATUS.active ? 'active' : 'disabled',
    pinHash: values[P.pin] || undefined,
    failures: numberAt(values, P.failures),
    lockedUntil: numberAt(values, P.locked),
    prefixedCodeLengths: lengths === undefined || lengths === null || lengths === '' ? [] : lengths.split(',').map(Number),
    challengeAllowed: values[P.challenge] !== 'off',
    token:
      tokenSecret === undefined || tokenSecret === null
        ? undefined
        : {
            type: values[P.type] === 'hotp' ? 'hotp' : 'totp',
            encryptedSecret: tokenSecret,
            digits: numberAt(values, P.digits, 6),
            period: numberAt(values, P.period, 30),
            algorithm: (values[P.algorithm] ?? 'sha1') as TokenAlgorithm,
            state: (values[P.state] ?? 'active') as TokenState,
            lastStep: numberAt(values, P.last, -1),
          },
  };
}

/** From HGETALL's flat [field, value, ...] array; undefined for a missing record. */
export function userFromFields(name: string, flat: readonly string[]): UserRecord | undefined {
  if (flat.length === 0) return undefined;
  const values: (string | null)[] = new Array<string | null>(RECORD_FIELDS.length).fill(null);
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const position = POSITION.get(flat[i]!);
    if (position !== undefined) values[position] = flat[i + 1]!;
  }
  const user = userForLoginFromValues(name, values);
  if (user === undefined) return undefined;
  const token = user.token;
  return {
    ...user,
    createdAt: numberAt(values, P.created),
    encryptedMobile: values[P.mobile] || undefined,
    token:
      token === undefined
        ? undefined
        : { ...token, encryptedSecret: token.encryptedSecret!, serial: values[P.serial] ?? '', expiresAt: numberAt(values, P.expires), assignedAt: numberAt(values, P.assigned) },
  };
}

/** The revisions in COPY_FIELDS values ('' when absent). */
export function revisionsFromValues(values: Values): { revision: string; challengeRevision: string } {
  return { revision: values[P.revision] ?? '', challengeRevision: values[P.challengeRevision] ?? '' };
}

/** The revisions in a flat HGETALL reply of a user hash ('' when there is none). */
export function revisionsFromFields(flat: readonly string[]): { revision: string; challengeRevision: string } {
  let revision = '';
  let challengeRevision = '';
  for (let i = 0; i + 1 < flat.length; i += 2) {
    if (flat[i] === USER_FIELDS.revision) revision = flat[i + 1]!;
    else if (flat[i] === USER_FIELDS.challengeRevision) challengeRevision = flat[i + 1]!;
  }
  return { revision, challengeRevision };
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

/** The fields of a new user: active, no failures, not locked, with or without a PIN. */
export function newUserFields(user: { readonly createdAt: number; readonly pinHash: string | undefined }): (string | number)[] {
  const fields: (string | number)[] = [USER_FIELDS.status, USER_STATUS.active, USER_FIELDS.failures, 0, USER_FIELDS.locked, 0, USER_FIELDS.created, user.createdAt];
  if (user.pinHash !== undefined) fields.push(USER_FIELDS.pin, user.pinHash);
  return fields;
}

/** The fields a change sets and the fields it deletes. */
export function changeToFields(changes: UserChanges): { set: (string | number)[]; remove: string[] } {
  const set: (string | number)[] = [];
  const remove: string[] = [];
  if (changes.status !== undefined) set.push(USER_FIELDS.status, changes.status);
  if (changes.pinHash !== undefined) set.push(USER_FIELDS.pin, changes.pinHash);
  if (changes.failures !== undefined) set.push(USER_FIELDS.failures, changes.failures);
  if (changes.lockedUntil !== undefined) set.push(USER_FIELDS.locked, changes.lockedUntil);
  if (changes.challengeAllowed !== undefined) set.push(USER_FIELDS.challenge, changes.challengeAllowed ? 'on' : 'off');
  if (changes.token === null) remove.push(...TOKEN_FIELDS);
  else if (changes.token !== undefined) set.push(...tokenToFields(changes.token));
  if (changes.tokenState !== undefined) set.push(USER_FIELDS.tokenState, changes.tokenState);
  if (changes.encryptedMobile === null) remove.push(USER_FIELDS.mobile);
  else if (changes.encryptedMobile !== undefined) set.push(USER_FIELDS.mobile, changes.encryptedMobile);
  return { set, remove };
}

/** Kinds are stored as two letters: the kind is repeated in every code record. */
export const KIND_LETTERS: Readonly<Record<RecordKind, string>> = {
  'emergency-tokencode': 'ET',
  'emergency-passcode': 'EP',
  'online-authcode': 'OA',
  'temporary-bypass': 'BP',
};
const KIND_OF_LETTERS = new Map(Object.entries(KIND_LETTERS).map(([kind, letters]) => [letters, kind as RecordKind]));

export function kindFromLetters(letters: string): RecordKind | undefined {
  return KIND_OF_LETTERS.get(letters);
}

/**
 * The fields of a code record in the order of its JSON array. Lua indexes from 1, so a
 * field's Lua index is its position here plus one (see store/lua-script.ts).
 */
export const CODE_FIELDS = ['id', 'kind', 'issuedAt', 'expiresAt', 'maxUses', 'uses', 'lastUsedAt', 'revokedAt', 'issuedBy', 'reason', 'revokedBy', 'length', 'source'] as const satisfies readonly (keyof CodeRecord)[];

/** The codes-hash field of the temporary bypass a used authorization code leaves (there is at most one). */
export const BYPASS_FIELD = 'bypass';

export function codeToJson(code: CodeRecord): string {
  const values: unknown[] = CODE_FIELDS.map((field) => (field === 'kind' ? KIND_LETTERS[code.kind] : code[field]));
  // Only a bypass has a source: an issued code is stored without it (memory per code).
  if (code.source === '') values.pop();
  return JSON.stringify(values);
}

export function codeFromJson(json: string): CodeRecord {
  const values = JSON.parse(json) as unknown[];
  const record: Record<string, unknown> = {};
  CODE_FIELDS.forEach((field, i) => (record[field] = values[i]));
  record.kind = kindFromLetters(values[1] as string) ?? 'emergency-tokencode';
  record.source ??= '';
  return record as unknown as CodeRecord;
}

/**
 * The challenge hash of a user: `req:<request code>` → expiry ms, `state:<State hex>` →
 * "client|request code|expiry ms", and `used:<request code>` → the end of the access its
 * authorization code gave (ms).
 */
export const CHALLENGE_FIELD_PREFIX = { request: 'req:', state: 'state:', used: 'used:' } as const;

/** From the challenge hash as HGETALL returns it; expired entries included (the reader checks expiry). */
export function challengesFromFields(flat: readonly string[]): PendingChallenges {
  // Most users have no challenge pending: nothing to allocate for them.
  if (flat.length === 0) return NO_PENDING_CHALLENGES;
  const requests: PendingRequest[] = [];
  const states = new Map<string, ChallengeState>();
  const used: PendingRequest[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const field = flat[i]!;
    const value = flat[i + 1]!;
    if (field.startsWith(CHALLENGE_FIELD_PREFIX.request)) {
      requests.push({ requestCode: field.slice(CHALLENGE_FIELD_PREFIX.request.length), expiresAt: Number(value) });
    } else if (field.startsWith(CHALLENGE_FIELD_PREFIX.state)) {
      const state = field.slice(CHALLENGE_FIELD_PREFIX.state.length);
      const [client = '', requestCode = '', expires = '0'] = value.split('|');
      states.set(state, { state, requestCode, client, expiresAt: Number(expires) });
    } else if (field.startsWith(CHALLENGE_FIELD_PREFIX.used)) {
      used.push({ requestCode: field.slice(CHALLENGE_FIELD_PREFIX.used.length), expiresAt: Number(value) });
    }
  }
  return { requests, states, used };
}
