import type { TokenAlgorithm, TokenForLogin, TokenState, UserForLogin } from '../credentials/records.js';

/**
 * The bytes of one user copy (login/user-copies.ts): what a login reads of the record
 * (UserForLogin) and the revisions, packed, instead of an object graph per user. A
 * million users as objects cost ~1.3 kB each (issue 15); packed, a copy is about 75 bytes. Pending
 * challenges are not here: the few users who have some keep them beside the copies, and
 * a flag here says so.
 *
 *   flags                u8  (FLAG below)
 *   [token secret id]    varint, with a token: a hash of the stored ciphertext, so a newer
 *                        copy with the same ciphertext keeps the decrypted secret
 *   [token secret]       bytes, with a token whose secret decrypted
 *   revision, challenge revision        strings
 *   failures, lockedUntil               numbers
 *   [PIN hash]           key id index u8 + 16 bytes (`kid.base64url` of 16 bytes), else a string
 *   prefixed code lengths               count, numbers
 *   [token]              u8 (type, algorithm, state), [algorithm], [state], digits, period,
 *                        lastStep
 *
 * A string is its UTF-8 length (varint) and bytes; bytes are a varint length and bytes; a
 * number is a varint of twice its zigzag (safe integers), or of 1 followed by a float64.
 */
const FLAG = { active: 1, challengeAllowed: 2, pin: 4, pinPacked: 8, token: 16, secret: 32, pending: 64 } as const;
const TOKEN_FLAG = { hotp: 1 } as const;
const ALGORITHMS: readonly TokenAlgorithm[] = ['sha1', 'sha256', 'sha512'];
const STATES: readonly TokenState[] = ['active', 'lost', 'disabled'];
/** The code of a value not in the lists above: it follows as a string. */
const OTHER = 3;
const PIN_HASH_BYTES = 16;
const NO_LENGTHS: readonly number[] = Object.freeze([]);

/** Key ids of PIN hashes, by index: a copy holds one byte instead of the id. At most 255. */
export class KeyIdTable {
  private readonly ids: string[] = [];
  private readonly indexes = new Map<string, number>();

  indexOf(id: string): number | undefined {
    let index = this.indexes.get(id);
    if (index === undefined && this.ids.length < 255) {
      index = this.ids.push(id) - 1;
      this.indexes.set(id, index);
    }
    return index;
  }

  at(index: number): string {
    return this.ids[index]!;
  }
}

/** What a copy holds beside the record: the revisions, and the token secret decrypted. */
export interface CopyContents {
  readonly revision: string;
  readonly challengeRevision: string;
  readonly user: UserForLogin;
  /** The user has pending challenges, kept out of the copy. */
  readonly pending: boolean;
  /** undefined: the user has no token, or its secret did not decrypt (never accepted then). */
  readonly tokenSecret: Buffer | undefined;
  /** secretIdOf(token.encryptedSecret); 0 without a token. */
  readonly secretId: number;
}

/**
 * 53 bits of a string (cyrb53): tells a newer copy's ciphertext from the one the secret was
 * decrypted from, so that a copy renewed by an HOTP login keeps its decrypted secret. Two
 * different ciphertexts colliding (a token replaced) would keep the old secret until the
 * copy is next renewed: about 2^-53 for the gateway's own ciphertexts, whose nonces are
 * random. Someone who can write Redis could craft a collision, but gains nothing from it
 * that writing the old ciphertext back would not give them.
 */
export function secretIdOf(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Writes one copy into a scratch buffer that grows as needed. */
class CopyWriter {
  bytes = Buffer.allocUnsafe(1024);
  at = 0;

  private room(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.at + n));
    this.bytes.copy(grown, 0, 0, this.at);
    this.bytes = grown;
  }

  u8(value: number): void {
    this.room(1);
    this.bytes[this.at++] = value;
  }

  varint(value: number): void {
    this.room(8);
    while (value >= 0x80) {
      this.bytes[this.at++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.bytes[this.at++] = value;
  }

  number(value: number): void {
    if (Number.isSafeInteger(value) && Math.abs(value) < 2 ** 50) {
      this.varint((value < 0 ? -2 * value - 1 : 2 * value) * 2);
    } else {
      this.varint(1);
      this.room(8);
      this.at = this.bytes.writeDoubleLE(value, this.at);
    }
  }

  raw(source: Buffer): void {
    this.varint(source.length);
    this.room(source.length);
    this.at += source.copy(this.bytes, this.at);
  }

  string(text: string): void {
    const length = Buffer.byteLength(text);
    this.varint(length);
    this.room(length);
    this.at += this.bytes.write(text, this.at);
  }
}

/** Reads one copy. */
class CopyReader {
  constructor(
    readonly bytes: Buffer,
    public at: number,
  ) {}

  u8(): number {
    return this.bytes[this.at++]!;
  }

  varint(): number {
    let byte = this.bytes[this.at++]!;
    if (byte < 0x80) return byte;
    let value = byte & 0x7f;
    let scale = 0x80;
    do {
      byte = this.bytes[this.at++]!;
      value += (byte & 0x7f) * scale;
      scale *= 0x80;
    } while (byte >= 0x80);
    return value;
  }

  number(): number {
    const coded = this.varint();
    if (coded === 1) {
      const value = this.bytes.readDoubleLE(this.at);
      this.at += 8;
      return value;
    }
    const zigzag = coded / 2;
    return zigzag % 2 === 1 ? -(zigzag + 1) / 2 : zigzag / 2;
  }

  string(): string {
    const length = this.varint();
    if (length === 0) return '';
    this.at += length;
    return this.bytes.toString('utf8', this.at - length, this.at);
  }

  /** A view into the copy (copies are never written over: see CopyArena). */
  view(): Buffer {
    const length = this.varint();
    this.at += length;
    return this.bytes.subarray(this.at - length, this.at);
  }
}

/** `kid.` and 16 bytes in canonical base64url, as Keyring.hashPin writes them: packed; anything else is kept as it is. */
function packedPin(pinHash: string, keyIds: KeyIdTable): { index: number; hash: Buffer } | undefined {
  const dot = pinHash.indexOf('.');
  if (dot < 0 || pinHash.length - dot - 1 !== 22) return undefined;
  const hash = Buffer.from(pinHash.slice(dot + 1), 'base64url');
  if (hash.length !== PIN_HASH_BYTES || hash.toString('base64url') !== pinHash.slice(dot + 1)) return undefined;
  const index = keyIds.indexOf(pinHash.slice(0, dot));
  return index === undefined ? undefined : { index, hash };
}

const writer = new CopyWriter();

/** The bytes of a copy, in a scratch buffer valid until the next call: [0, length). */
export function encodeCopy(contents: CopyContents, keyIds: KeyIdTable): { bytes: Buffer; length: number } {
  const { user, tokenSecret } = contents;
  const token = user.token;
  const pin = user.pinHash === undefined ? undefined : packedPin(user.pinHash, keyIds);
  let flags = 0;
  if (user.status === 'active') flags |= FLAG.active;
  if (user.challengeAllowed) flags |= FLAG.challengeAllowed;
  if (user.pinHash !== undefined) flags |= pin === undefined ? FLAG.pin : FLAG.pin | FLAG.pinPacked;
  if (token !== undefined) flags |= FLAG.token;
  if (token !== undefined && tokenSecret !== undefined) flags |= FLAG.secret;
  if (contents.pending) flags |= FLAG.pending;
  writer.at = 0;
  writer.u8(flags);
  if (token !== undefined) {
    writer.varint(contents.secretId);
    if (tokenSecret !== undefined) writer.raw(tokenSecret);
  }
  writer.string(contents.revision);
  writer.string(contents.challengeRevision);
  writer.number(user.failures);
  writer.number(user.lockedUntil);
  if (pin !== undefined) {
    writer.u8(pin.index);
    writer.raw(pin.hash);
  } else if (user.pinHash !== undefined) {
    writer.string(user.pinHash);
  }
  writer.varint(user.prefixedCodeLengths.length);
  for (const length of user.prefixedCodeLengths) writer.number(length);
  if (token !== undefined) {
    const algorithm = ALGORITHMS.indexOf(token.algorithm);
    const state = STATES.indexOf(token.state);
    const algorithmCode = algorithm < 0 ? OTHER : algorithm;
    const stateCode = state < 0 ? OTHER : state;
    writer.u8((token.type === 'hotp' ? TOKEN_FLAG.hotp : 0) | (algorithmCode << 1) | (stateCode << 3));
    if (algorithmCode === OTHER) writer.string(token.algorithm);
    if (stateCode === OTHER) writer.string(token.state);
    writer.number(token.digits);
    writer.number(token.period);
    writer.number(token.lastStep);
  }
  return { bytes: writer.bytes, length: writer.at };
}

/** A copy read back. The token's `encryptedSecret` is not kept: the copy holds the secret decrypted instead. */
export function decodeCopy(bytes: Buffer, offset: number, name: string, keyIds: KeyIdTable): CopyContents {
  const reader = new CopyReader(bytes, offset);
  const flags = reader.u8();
  let secretId = 0;
  let tokenSecret: Buffer | undefined;
  if ((flags & FLAG.token) !== 0) {
    secretId = reader.varint();
    if ((flags & FLAG.secret) !== 0) tokenSecret = reader.view();
  }
  const revision = reader.string();
  const challengeRevision = reader.string();
  const failures = reader.number();
  const lockedUntil = reader.number();
  let pinHash: string | undefined;
  if ((flags & FLAG.pinPacked) !== 0) {
    const kid = keyIds.at(reader.u8());
    const length = reader.varint();
    pinHash = `${kid}.${bytes.toString('base64url', reader.at, reader.at + length)}`;
    reader.at += length;
  } else if ((flags & FLAG.pin) !== 0) {
    pinHash = reader.string();
  }
  const count = reader.varint();
  let prefixedCodeLengths = NO_LENGTHS;
  if (count > 0) {
    const lengths: number[] = [];
    for (let i = 0; i < count; i++) lengths.push(reader.number());
    prefixedCodeLengths = lengths;
  }
  let token: TokenForLogin | undefined;
  if ((flags & FLAG.token) !== 0) {
    const tokenFlags = reader.u8();
    const algorithmCode = (tokenFlags >> 1) & 3;
    const stateCode = (tokenFlags >> 3) & 3;
    const algorithm = algorithmCode === OTHER ? (reader.string() as TokenAlgorithm) : ALGORITHMS[algorithmCode]!;
    const state = stateCode === OTHER ? (reader.string() as TokenState) : STATES[stateCode]!;
    token = {
      type: (tokenFlags & TOKEN_FLAG.hotp) !== 0 ? 'hotp' : 'totp',
      digits: reader.number(),
      period: reader.number(),
      algorithm,
      state,
      lastStep: reader.number(),
    };
  }
  const user: UserForLogin = {
    name,
    status: (flags & FLAG.active) !== 0 ? 'active' : 'disabled',
    pinHash,
    failures,
    lockedUntil,
    prefixedCodeLengths,
    token,
    challengeAllowed: (flags & FLAG.challengeAllowed) !== 0,
  };
  return { revision, challengeRevision, user, pending: (flags & FLAG.pending) !== 0, tokenSecret, secretId };
}
