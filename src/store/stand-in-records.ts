import { randomBytes } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import type { KeyNames } from './key-names.js';
import { codeToJson, tokenToFields, USER_FIELDS, USER_STATUS } from './record-format.js';

/** Redis Cluster's hash slots. */
const CLUSTER_SLOTS = 16384;
/** Codes in the stand-in's codes hash: a few, like a user with a handful of emergency codes. */
const STAND_IN_CODES = 3;

export interface StandInKeys {
  readonly user: string;
  readonly codes: string;
  /** The list an unknown user's login pushes its attempt to, as a known user's does to its own. */
  readonly attempts: string;
}

const text = (bytes: number): string => randomBytes(bytes).toString('base64url');

/**
 * A user record and a codes hash shaped like a real user's (PIN hash, TOTP token, a few
 * codes), made of random values. Nothing reads them as a user: they are not under a user
 * key nor in the users index, and no secret is derived from them.
 */
export function standInFields(now: number): { user: (string | number)[]; codes: (string | number)[] } {
  const kid = text(5).slice(0, 6);
  const user = [
    USER_FIELDS.status, USER_STATUS.standIn, USER_FIELDS.failures, 0, USER_FIELDS.locked, 0, USER_FIELDS.created, now,
    USER_FIELDS.pin, `${kid}.${text(16)}`, USER_FIELDS.prefixedLengths, '8', USER_FIELDS.revision, `${text(9)}.1`,
    ...tokenToFields({
      type: 'totp', serial: 'stand-in', encryptedSecret: `${kid}.${text(48)}`, digits: 6, period: 30, algorithm: 'sha1',
      state: 'active', expiresAt: 0, lastStep: Math.floor(now / 30_000), assignedAt: now,
    }),
  ];
  const codes: (string | number)[] = [];
  for (let i = 0; i < STAND_IN_CODES; i++) {
    codes.push(`${kid}.${text(16)}`, codeToJson({
      id: text(6).slice(0, 8), kind: 'emergency-tokencode', issuedAt: now, expiresAt: now + 86_400_000, maxUses: 0, uses: 0,
      lastUsedAt: 0, revokedAt: 0, issuedBy: 'stand-in', reason: '', revokedBy: '', length: 8, source: '',
    }));
  }
  return { user, codes };
}

/** The fewest stand-in triples a single Redis keeps, and the most (as many as Cluster's slots). */
const SINGLE_FEWEST = 64;
const SINGLE_MOST = CLUSTER_SLOTS;

/**
 * How many stand-in triples a single Redis keeps for this many users: the users rounded
 * down to a power of two, from 64 to 16,384, so that a stand-in is read about as often
 * as a user's own records and is as likely to be in the CPU's caches (one shared triple
 * was always cached, and over thousands of logins an unknown name answered faster than a
 * wrong PIN: bench/README.md, "Design measurements").
 */
export function standInCountFor(users: number): number {
  let count = SINGLE_FEWEST;
  while (count * 2 <= Math.min(users, SINGLE_MOST)) count *= 2;
  return count;
}

/**
 * The records an unknown user's login reads instead of its own (decide.lua), so that
 * Redis does for a name that does not exist the work it does for a wrong PIN: a missing
 * key is found and answered faster than a hash is read, and over thousands of logins that
 * difference shows (SPEC "Resolving a password", step 1; bench/README.md, "Design
 * measurements"). Nothing writes them after they are made.
 *
 * A name is given the triple of its key's hash slot. A script may only touch keys in its
 * own slot, so with Redis Cluster there is one triple per slot (16,384, about 36 MB over
 * the cluster), named with a hash tag chosen to land in that slot; a single Redis (or
 * Sentinel) keeps as many as standInCountFor says, and a name is given the triple of its
 * slot modulo that count.
 */
export class StandInRecords {
  private single: StandInKeys[] = [];
  /** The triples an unknown name may be given (single Redis); only ever grows. */
  private inUse = SINGLE_FEWEST;
  private perSlot: StandInKeys[] | undefined;

  constructor(
    private readonly keys: KeyNames,
    private readonly cluster: boolean,
  ) {}

  /** The stand-in keys for a user's name, given one of the user's own keys. */
  keysFor(userKey: string): StandInKeys {
    const slot = calculateSlot(userKey);
    if (this.cluster) return this.slotKeys()[slot]!;
    return this.single[slot % this.inUse] ?? this.singleKeys(this.inUse)[slot % this.inUse]!;
  }

  /** Every triple to write for this many users: one per Cluster slot, or standInCountFor's. */
  allFor(users: number): readonly StandInKeys[] {
    return this.cluster ? this.slotKeys() : this.singleKeys(Math.max(this.inUse, standInCountFor(users)));
  }

  /** Once the triples of allFor(users) are written: names are given any of them from now on. */
  use(users: number): void {
    if (!this.cluster) this.inUse = Math.max(this.inUse, standInCountFor(users));
  }

  private singleKeys(count: number): StandInKeys[] {
    for (let i = this.single.length; i < count; i++) this.single.push(this.tagged(String(i)));
    return this.single.slice(0, count);
  }

  private tagged(tag: string): StandInKeys {
    return { user: this.keys.standInUser(tag), codes: this.keys.standInCodes(tag), attempts: this.keys.standInAttempts(tag) };
  }

  private slotKeys(): StandInKeys[] {
    if (this.perSlot !== undefined) return this.perSlot;
    // The slot of `x{tag}` is that of `tag`: count up in base 36 until every slot has a tag
    // (about 170,000 CRC16s, a few milliseconds, the same names on every gateway).
    const tags = new Array<string | undefined>(CLUSTER_SLOTS);
    let filled = 0;
    for (let i = 0; filled < CLUSTER_SLOTS; i++) {
      const tag = i.toString(36);
      const slot = calculateSlot(tag);
      if (tags[slot] === undefined) {
        tags[slot] = tag;
        filled++;
      }
    }
    this.perSlot = tags.map((tag) => this.tagged(tag!));
    return this.perSlot;
  }
}
