import { ATTEMPTS_KEPT, ATTEMPTS_RETENTION_MS, type NasContext, type RecordedAttempt } from '../../credentials/login-attempt.js';
import type { LoginOutcome, RefusalReason } from '../../credentials/login-outcome.js';
import { REFUSAL_REASONS } from '../../credentials/login-outcome.js';
import type { TokenState, TokenType } from '../../credentials/records.js';
import type { StoreConnection } from '../connection.js';
import type { KeyNames } from '../key-names.js';
import { camelCase, LuaScript, RECORD_VOCABULARY, type Vocabulary } from '../lua-script.js';
import { kindFromLetters } from '../record-format.js';
import type { Revisions } from '../revisions.js';
import type { StandInRecords } from '../stand-in-records.js';
import { snapshotFromFields, type UserSnapshot } from '../user-snapshot.js';

/**
 * The contract of decide.lua, owned here alone (the ioredis `Command` habit): the login
 * hands over typed values and gets a typed outcome back; the script's argument strings,
 * its reply arrays and the outcome it stores are encoded and parsed in this file, with
 * every name the script compares spelled once below and rendered into it.
 */

/** A credential the password could be, in the SPEC's order ("Resolving a password"). */
export type Candidate =
  | { readonly kind: 'code'; readonly lookup: string }
  /** Looked up and ignored: the PIN was wrong, but the lookup costs what a right one does. */
  | { readonly kind: 'decoy'; readonly lookup: string }
  | { readonly kind: 'token'; readonly step: number }
  | { readonly kind: 'bypass' }
  | { readonly kind: 'offline'; readonly requestCode: string; readonly bypassUntil: number; readonly answersState: boolean }
  | { readonly kind: 'challenge'; readonly requestCode: string; readonly state: string; readonly expiresAt: number };

export type LostTokenPolicy = 'deny' | 'allow-and-revoke' | 'allow-after-expiry';

export interface DecideRequest {
  /** Canonical user name. */
  readonly user: string;
  /** Client, Identifier and Request Authenticator: the same for every retransmission. */
  readonly fingerprint: string;
  readonly now: number;
  /** How long the outcome is kept for retransmissions. */
  readonly outcomeTtlMs: number;
  readonly maxFailures: number;
  /** 0: locked until an admin unlocks. */
  readonly lockoutMs: number;
  /** Recorded when no candidate is valid. */
  readonly fallbackReason: RefusalReason;
  readonly lostTokenPolicy: LostTokenPolicy;
  /** A used authorization code leaves a temporary bypass (IBM's password-only lock). */
  readonly temporaryBypass: boolean;
  /** Hex of the State attribute, when the request answers a challenge. */
  readonly presentedState: string | undefined;
  /** The client's name: a State is only valid from the client it was sent to. */
  readonly client: string;
  /** Revision of the snapshot the candidates were computed from. */
  readonly revision: string;
  /**
   * Revision of the pending challenges the candidates were computed from, or undefined
   * when the resolution did not read them (a PIN-only request): then another request's
   * new challenge does not make this one stale.
   */
  readonly challengeRevision: string | undefined;
  readonly candidates: readonly Candidate[];
  /**
   * Where the request came from: recorded with the decision in the user's last attempts
   * (the helpdesk's "who tried to log in"). Undefined records nothing: only the benchmark
   * that measures what recording costs leaves it out.
   */
  readonly attempt: NasContext | undefined;
}

export type DecideResult =
  /** `snapshot`: the record as this decision left it, when the decision changed what resolution reads. */
  | { readonly kind: 'decided'; readonly outcome: LoginOutcome; readonly replayed: boolean; readonly snapshot: UserSnapshot | undefined }
  /** The candidates were computed from an old snapshot; here is the current one, and nothing was decided. */
  | { readonly kind: 'stale'; readonly snapshot: UserSnapshot };

const CANDIDATE = { code: 'code', decoy: 'decoy', token: 'token', bypass: 'bypass', offline: 'offline', challenge: 'challenge' } as const satisfies Record<Candidate['kind'], string>;
const REPLY = { new: 'new', replay: 'replay', stale: 'stale', late: 'late' } as const;
const OUTCOME = { accept: 'A', challenge: 'C', reject: 'R', lockedNow: 'locked' } as const;
/** Accept methods that are not a code kind (those are stored as their kind letters). */
const METHOD = { token: 'token', offlineAuthcode: 'OF' } as const;
const LOST_TOKEN_POLICY = { deny: 'deny', allowAndRevoke: 'allow-and-revoke', allowAfterExpiry: 'allow-after-expiry' } as const satisfies Record<string, LostTokenPolicy>;
/** The token states and types as the user hash stores them: their typed spelling (credentials/records.ts). */
const TOKEN_STATE = { active: 'active', lost: 'lost', disabled: 'disabled' } as const satisfies { [State in TokenState]: State };
const TOKEN_TYPE = { totp: 'totp', hotp: 'hotp' } as const satisfies { [Type in TokenType]: Type };

const prefixed = (group: string, names: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(names).map(([name, value]) => [`${group}.${name}`, value]));

export const DECIDE_VOCABULARY: Vocabulary = Object.freeze({
  ...RECORD_VOCABULARY,
  ...prefixed('candidate', CANDIDATE),
  ...prefixed('reply', REPLY),
  ...prefixed('outcome', OUTCOME),
  ...prefixed('method', METHOD),
  ...prefixed('lostTokenPolicy', LOST_TOKEN_POLICY),
  ...prefixed('tokenState', TOKEN_STATE),
  ...prefixed('tokenType', TOKEN_TYPE),
  ...Object.fromEntries(REFUSAL_REASONS.map((reason) => [`reason.${camelCase(reason)}`, reason])),
  'attempts.kept': String(ATTEMPTS_KEPT),
  'attempts.retentionMs': String(ATTEMPTS_RETENTION_MS),
});

/** How far Redis's clock may run ahead of the gateway's before a decision counts as late. */
export const CLOCK_SKEW_ALLOWANCE_MS = 250;

function candidateArgument(candidate: Candidate): string {
  switch (candidate.kind) {
    case 'code':
    case 'decoy':
      return `${CANDIDATE[candidate.kind]}|${candidate.lookup}`;
    case 'token':
      return `${CANDIDATE.token}|${candidate.step}`;
    case 'bypass':
      return CANDIDATE.bypass;
    case 'offline':
      return `${CANDIDATE.offline}|${candidate.requestCode}|${candidate.bypassUntil}|${candidate.answersState ? 1 : 0}`;
    case 'challenge':
      return `${CANDIDATE.challenge}|${candidate.requestCode}|${candidate.state}|${candidate.expiresAt}`;
  }
}

const REFUSAL_REASON_SET: ReadonlySet<string> = new Set(REFUSAL_REASONS);

/** Parses an outcome as decide.lua stores it (see the comment at the top of decide.lua). */
export function parseOutcome(stored: string): LoginOutcome {
  const [marker, detail = '', extra = ''] = stored.split('|');
  if (marker === OUTCOME.accept) {
    const method = detail === METHOD.token ? 'token' : detail === METHOD.offlineAuthcode ? 'offline-authcode' : kindFromLetters(detail);
    if (method === undefined) throw new Error(`decide.lua stored an accept with an unknown method ${JSON.stringify(detail)}`);
    return { result: 'accept', method, codeId: extra === '' ? undefined : extra };
  }
  if (marker === OUTCOME.challenge) return { result: 'challenge', requestCode: detail, state: Buffer.from(extra, 'hex') };
  if (marker === OUTCOME.reject && REFUSAL_REASON_SET.has(detail)) {
    return { result: 'reject', reason: detail as RefusalReason, lockedNow: extra === OUTCOME.lockedNow };
  }
  throw new Error(`decide.lua stored an outcome radgate cannot read: ${JSON.stringify(stored.slice(0, 40))}`);
}

/**
 * A recorded attempt is its context, as encoded here, then this separator, then the outcome
 * as decide.lua stores it (a challenge's without its request code and State). The context
 * is JSON, which never holds a raw line feed, so the first one ends it.
 */
const ATTEMPT_SEPARATOR = '\n';

type EncodedContext = [at: number, client: string, nasAddress: string | null, nasIdentifier: string | null, callingStationId: string | null, nasPort: number | null];

/** The context of an attempt as decide.lua records it (a compact array: it is kept 20 times per user). */
function attemptArgument(at: number, context: NasContext): string {
  const encoded: EncodedContext = [at, context.client, context.nasAddress ?? null, context.nasIdentifier ?? null, context.callingStationId ?? null, context.nasPort ?? null];
  return JSON.stringify(encoded) + ATTEMPT_SEPARATOR;
}

/** Reads one entry of a user's attempts list (KeyNames.attempts), as decide.lua wrote it. */
export function parseAttempt(entry: string): RecordedAttempt {
  const cut = entry.indexOf(ATTEMPT_SEPARATOR);
  if (cut < 0) throw new Error(`decide.lua recorded an attempt radgate cannot read: ${JSON.stringify(entry.slice(0, 40))}`);
  const [at, client, nasAddress, nasIdentifier, callingStationId, nasPort] = JSON.parse(entry.slice(0, cut)) as EncodedContext;
  const context = { at, client, nasAddress: nasAddress ?? undefined, nasIdentifier: nasIdentifier ?? undefined, callingStationId: callingStationId ?? undefined, nasPort: nasPort ?? undefined };
  const stored = entry.slice(cut + 1);
  if (stored === OUTCOME.challenge) return { ...context, result: 'challenge', method: 'offline-authcode', reason: undefined, lockedNow: false, codeId: undefined };
  const outcome = parseOutcome(stored);
  if (outcome.result === 'accept') return { ...context, result: 'accept', method: outcome.method, reason: undefined, lockedNow: false, codeId: outcome.codeId };
  if (outcome.result === 'reject') return { ...context, result: 'reject', method: undefined, reason: outcome.reason, lockedNow: outcome.lockedNow, codeId: undefined };
  throw new Error('decide.lua recorded a whole challenge as an attempt');
}

type ScriptReply = [string, ...unknown[]];

/**
 * decide.lua as a method: one EVALSHA per call. A decision renewing the revision, or a
 * stale copy, brings the current record back, so the caller's copy is current again
 * without another round trip.
 */
export class DecideScript {
  private readonly script: LuaScript;

  constructor(private readonly parts: { readonly connection: StoreConnection; readonly keys: KeyNames; readonly standIns: StandInRecords; readonly revisions: Revisions }) {
    this.script = new LuaScript(parts.connection.redis, { name: 'decide', file: new URL('./decide.lua', import.meta.url), keys: 8, vocabulary: DECIDE_VOCABULARY });
  }

  /**
   * The outcome (taken now, or the one a retransmission already got), or, when
   * `request.revision` is not the record's, the current snapshot and nothing decided.
   * Throws StoreUnavailableError when Redis cannot answer, or answers too late.
   */
  async decide(request: DecideRequest): Promise<DecideResult> {
    const { connection, keys, standIns, revisions } = this.parts;
    const loginKeys = keys.loginKeys(request.user, request.fingerprint);
    const standIn = standIns.keysFor(loginKeys.user);
    const args: (string | number)[] = [
      loginKeys.user,
      loginKeys.codes,
      loginKeys.outcome,
      loginKeys.challenges,
      standIn.user,
      standIn.codes,
      loginKeys.attempts,
      standIn.attempts,
      request.now,
      request.outcomeTtlMs,
      request.maxFailures,
      request.lockoutMs,
      request.fallbackReason,
      request.lostTokenPolicy,
      request.temporaryBypass ? '1' : '',
      request.presentedState ?? '',
      request.client,
      // Wall clock, not the injectable one: this is about Redis running the script late.
      Date.now() + connection.commandTimeoutMs + CLOCK_SKEW_ALLOWANCE_MS,
      request.revision,
      request.challengeRevision === undefined ? '' : '1',
      request.challengeRevision ?? '',
      revisions.next(),
      request.attempt === undefined ? '' : attemptArgument(request.now, request.attempt),
    ];
    for (const candidate of request.candidates) args.push(candidateArgument(candidate));
    const reply = (await connection.command(() => this.script.run(args))) as ScriptReply;
    connection.answered();
    if (reply[0] === REPLY.late) throw connection.unavailable(new Error('Redis ran the decision after the command timeout; nothing was consumed'));
    if (reply[0] === REPLY.stale) {
      const [, userFields, challengeFields] = reply as [string, string[], string[]];
      return { kind: 'stale', snapshot: snapshotFromFields(request.user, userFields, challengeFields) };
    }
    const [kind, outcome, userFields, challengeFields] = reply as [string, string, string[] | undefined, string[] | undefined];
    // A replayed outcome is answered again: it must be as durable as a fresh one before it
    // is sent, or a failover could bring its code back.
    await connection.awaitReplicas();
    const snapshot = userFields === undefined ? undefined : snapshotFromFields(request.user, userFields, challengeFields ?? []);
    return { kind: 'decided', outcome: parseOutcome(outcome), replayed: kind === REPLY.replay, snapshot };
  }
}
