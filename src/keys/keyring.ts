import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Subkeys derived from one master key with HKDF-SHA256 (RFC 5869), one per purpose, so a
 * leak or misuse of one cannot be turned against another.
 */
interface KeySet {
  /** Short public identifier stored beside every hash and ciphertext, for rotation. */
  readonly id: string;
  readonly pin: Buffer;
  readonly code: Buffer;
  readonly tokenSecret: Buffer;
  readonly authorizationCode: Buffer;
  readonly operatorRecord: Buffer;
  readonly mobileNumber: Buffer;
}

function derive(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `radgate/v1/${purpose}`, 32));
}

function keySet(master: Buffer): KeySet {
  return {
    // Derived, not random: the same key file always has the same id on every instance.
    id: createHash('sha256').update(derive(master, 'key-id')).digest('base64url').slice(0, 6),
    pin: derive(master, 'pin-hash'),
    code: derive(master, 'code-hash'),
    tokenSecret: derive(master, 'token-secret-aes-256-gcm'),
    authorizationCode: derive(master, 'authorization-code'),
    operatorRecord: derive(master, 'operator-record'),
    mobileNumber: derive(master, 'mobile-number-aes-256-gcm'),
  };
}

/** Stored hashes are truncated HMAC-SHA256: 128 bits is plenty for a keyed lookup. */
const HASH_BYTES = 16;

function hmac(key: Buffer, parts: readonly string[]): string {
  const mac = createHmac('sha256', key);
  // Length-prefixed parts, so ("ab","c") and ("a","bc") can never collide.
  for (const part of parts) {
    const bytes = Buffer.from(part, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    mac.update(length).update(bytes);
  }
  return mac.digest().subarray(0, HASH_BYTES).toString('base64url');
}

/** `kid.base64url(nonce ‖ ciphertext ‖ tag)`: AES-256-GCM with a random 96-bit nonce. */
function seal(set: KeySet, key: Buffer, aad: Buffer, plain: Buffer): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
  return `${set.id}.${Buffer.concat([nonce, sealed, cipher.getAuthTag()]).toString('base64url')}`;
}

/** The purpose, then the user, separated by a NUL, which no user name may contain. */
function mobileAad(user: string): Buffer {
  return Buffer.from(`mobile\0${user}`, 'utf8');
}

/**
 * The current key plus any previous ones. New hashes and ciphertexts always use the
 * current key; verification accepts any key in the ring, so rotating the key file does
 * not lock out users whose PIN was set under the old one.
 */
export class Keyring {
  private readonly current: KeySet;
  private readonly all: readonly KeySet[];
  private readonly secrets = new WeakMap<object, Buffer | undefined>();

  constructor(currentKey: Buffer, previousKeys: readonly Buffer[] = []) {
    this.current = keySet(currentKey);
    this.all = [this.current, ...previousKeys.map(keySet)];
  }

  get currentId(): string {
    return this.current.id;
  }

  get ids(): string[] {
    return this.all.map((set) => set.id);
  }

  private byId(id: string): KeySet | undefined {
    return this.all.find((set) => set.id === id);
  }

  /** `kid.hash` of a PIN under the current key. The user name binds it to one user. */
  hashPin(user: string, pin: string): string {
    return `${this.current.id}.${hmac(this.current.pin, ['pin', user, pin])}`;
  }

  /**
   * The `kid.hash` of a typed PIN under every key in the ring, for a script that compares it
   * with the stored one in Redis (self-service: the PIN is checked with the code, atomically).
   */
  pinCandidates(user: string, pin: string): string[] {
    return this.all.map((set) => `${set.id}.${hmac(set.pin, ['pin', user, pin])}`);
  }

  /** Constant-time check of a PIN against a stored `kid.hash`. */
  verifyPin(user: string, pin: string, stored: string): boolean {
    const dot = stored.indexOf('.');
    const set = this.byId(stored.slice(0, dot));
    const expected = Buffer.from(stored.slice(dot + 1), 'base64url');
    const actual = Buffer.from(hmac(set?.pin ?? this.current.pin, ['pin', user, pin]), 'base64url');
    // Compared even when the key id is unknown, so timing does not reveal it.
    return expected.length === actual.length && timingSafeEqual(expected, actual) && set !== undefined;
  }

  /**
   * The lookup key of an issued code under the current key. `family` separates codes typed
   * alone (passcodes) from codes typed after the PIN, so one can never stand in for the other.
   */
  hashCode(user: string, family: string, code: string): string {
    return `${this.current.id}.${hmac(this.current.code, ['code', user, family, code])}`;
  }

  /** The lookup keys of a typed code under every key in the ring (for the store to try). */
  codeCandidates(user: string, family: string, code: string): string[] {
    return this.all.map((set) => `${set.id}.${hmac(set.code, ['code', user, family, code])}`);
  }

  /** AES-256-GCM with a random 96-bit nonce; the user name is authenticated data, so a
   * ciphertext copied onto another user's record does not decrypt. */
  encryptTokenSecret(user: string, secret: Buffer): string {
    return seal(this.current, this.current.tokenSecret, Buffer.from(user, 'utf8'), secret);
  }

  /** Undefined when the key is not in the ring or the ciphertext was tampered with. */
  decryptTokenSecret(user: string, stored: string): Buffer | undefined {
    return this.open(stored, (set) => set.tokenSecret, Buffer.from(user, 'utf8'));
  }

  /**
   * A user's mobile number (issue 18), sealed like a token secret under a subkey of its own;
   * the authenticated data names the purpose and the user, so the ciphertext is good for
   * this user's number and nothing else, and a dump of Redis shows no digit of it.
   */
  encryptMobile(user: string, number: string): string {
    return seal(this.current, this.current.mobileNumber, mobileAad(user), Buffer.from(number, 'utf8'));
  }

  /** Undefined when the key is not in the ring or the ciphertext was tampered with or moved. */
  decryptMobile(user: string, stored: string): string | undefined {
    return this.open(stored, (set) => set.mobileNumber, mobileAad(user))?.toString('utf8');
  }

  private open(stored: string, keyOf: (set: KeySet) => Buffer, aad: Buffer): Buffer | undefined {
    const dot = stored.indexOf('.');
    const set = this.byId(stored.slice(0, dot));
    if (set === undefined) return undefined;
    const blob = Buffer.from(stored.slice(dot + 1), 'base64url');
    if (blob.length < 12 + 16) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', keyOf(set), blob.subarray(0, 12));
      decipher.setAAD(aad);
      decipher.setAuthTag(blob.subarray(blob.length - 16));
      return Buffer.concat([decipher.update(blob.subarray(12, blob.length - 16)), decipher.final()]);
    } catch {
      return undefined;
    }
  }

  /**
   * decryptTokenSecret, remembered for as long as the token record object it came from
   * lives, and forgotten with it: the timing stand-ins' tokens (login/timing-stand-ins.ts),
   * and a record read for one login when copies are off. The gateway's copies keep their
   * users' secrets themselves (login/user-copies.ts), so nothing here grows per user. The
   * secrets are in this process's memory during a login anyway; the cache keeps them there
   * longer, never anywhere else.
   */
  tokenSecret(user: string, token: { readonly encryptedSecret: string }): Buffer | undefined {
    const cached = this.secrets.get(token);
    if (cached !== undefined || this.secrets.has(token)) return cached;
    const secret = this.decryptTokenSecret(user, token.encryptedSecret);
    this.secrets.set(token, secret);
    return secret;
  }

  /**
   * `kid.mac` over a console operator's name, role and credentials: the console believes an
   * operator record only with it, so someone who can write to Redis but has no key file
   * cannot make themselves an admin there.
   */
  operatorSeal(parts: readonly string[]): string {
    return `${this.current.id}.${hmac(this.current.operatorRecord, ['operator', ...parts])}`;
  }

  /** Constant-time check of an operator record's seal, under any key in the ring. */
  verifyOperatorSeal(parts: readonly string[], stored: string): boolean {
    const dot = stored.indexOf('.');
    const set = this.byId(stored.slice(0, dot));
    const expected = Buffer.from(stored.slice(dot + 1), 'base64url');
    const actual = Buffer.from(hmac(set?.operatorRecord ?? this.current.operatorRecord, ['operator', ...parts]), 'base64url');
    return expected.length === actual.length && timingSafeEqual(expected, actual) && set !== undefined;
  }

  /** HMAC with the authorization-code subkey (offline authorization codes, challenge flow). */
  authorizationCodeMac(parts: readonly string[]): Buffer {
    const mac = createHmac('sha256', this.current.authorizationCode);
    for (const part of parts) mac.update(`${part.length}:${part}`);
    return mac.digest();
  }
}
