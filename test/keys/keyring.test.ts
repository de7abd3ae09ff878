import { createHash, createHmac, hkdfSync } from 'node:crypto';
import test from 'ava';
import { Keyring } from '../../src/keys/keyring.js';

// Fixed master keys, so every hash below is deterministic.
const KEY_A = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const KEY_B = Buffer.alloc(32, 0xab);
const KEY_C = Buffer.alloc(32, 0x5c);

const PIN = 'Pin4Test2468';
const SECRET = Buffer.from('12345678901234567890', 'ascii');

/** Every way a secret could leak into a stored string: as typed, hex, base64, base64url. */
function encodings(value: string | Buffer): string[] {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const forms = [bytes.toString('hex'), bytes.toString('hex').toUpperCase(), bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url')];
  if (typeof value === 'string') forms.push(value);
  else forms.push(bytes.toString('latin1'));
  return forms;
}

function assertHides(t: import('ava').ExecutionContext, stored: string, value: string | Buffer): void {
  for (const form of encodings(value)) t.false(stored.includes(form), `${stored} contains ${form}`);
}

/** Flips one bit of the byte at `index` of the base64url part after the key id. */
function tamper(stored: string, index: number): string {
  const dot = stored.indexOf('.');
  const blob = Buffer.from(stored.slice(dot + 1), 'base64url');
  blob[index] = blob[index]! ^ 0x01;
  return `${stored.slice(0, dot)}.${blob.toString('base64url')}`;
}

// --- Stored format ----------------------------------------------------------------------

test('key ids are 6 base64url characters derived from the key (HKDF-SHA256, RFC 5869)', (t) => {
  const expected = createHash('sha256')
    .update(Buffer.from(hkdfSync('sha256', KEY_A, Buffer.alloc(0), 'radgate/v1/key-id', 32)))
    .digest('base64url')
    .slice(0, 6);
  t.is(new Keyring(KEY_A).currentId, expected);
  t.regex(new Keyring(KEY_A).currentId, /^[A-Za-z0-9_-]{6}$/);
  // Golden values: changing the derivation would orphan every stored hash and ciphertext.
  t.is(new Keyring(KEY_A).currentId, 'QeewjD');
  t.is(new Keyring(KEY_B).currentId, 'OddLep');
});

test('the same key file gives the same id on every instance; different keys, different ids', (t) => {
  t.is(new Keyring(Buffer.from(KEY_A)).currentId, new Keyring(KEY_A).currentId);
  t.is(new Keyring(KEY_A, [KEY_B]).currentId, new Keyring(KEY_A).currentId);
  const ids = new Set([KEY_A, KEY_B, KEY_C].map((key) => new Keyring(key).currentId));
  t.is(ids.size, 3);
});

test('ids lists the current key first, then the previous keys in order', (t) => {
  const ring = new Keyring(KEY_B, [KEY_A, KEY_C]);
  t.deepEqual(ring.ids, [new Keyring(KEY_B).currentId, new Keyring(KEY_A).currentId, new Keyring(KEY_C).currentId]);
  t.deepEqual(new Keyring(KEY_A).ids, [new Keyring(KEY_A).currentId]);
});

test('a PIN hash is kid.base64url(HMAC-SHA256 truncated to 16 bytes) over length-prefixed parts', (t) => {
  const ring = new Keyring(KEY_A);
  const stored = ring.hashPin('alice', '1234');
  const [kid, hash] = stored.split('.');
  t.is(kid, ring.currentId);
  t.is(Buffer.from(hash!, 'base64url').length, 16);
  // Recomputed independently from the documented construction.
  const subkey = Buffer.from(hkdfSync('sha256', KEY_A, Buffer.alloc(0), 'radgate/v1/pin-hash', 32));
  const mac = createHmac('sha256', subkey);
  for (const part of ['pin', 'alice', '1234']) {
    const bytes = Buffer.from(part, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    mac.update(length).update(bytes);
  }
  t.is(hash, mac.digest().subarray(0, 16).toString('base64url'));
  t.is(stored, 'QeewjD.CayoTuzGe7ldXTgB6356hg', 'golden value');
});

// --- PINs ---------------------------------------------------------------------------------

test('verifyPin: the right PIN verifies, a wrong one does not', (t) => {
  const ring = new Keyring(KEY_A);
  const stored = ring.hashPin('alice', PIN);
  t.true(ring.verifyPin('alice', PIN, stored));
  t.true(new Keyring(KEY_A).verifyPin('alice', PIN, stored), 'another instance with the same key');
  for (const wrong of ['', 'Pin4Test246', 'Pin4Test24680', 'pin4test2468', `${PIN} `, 'Pin4Test2469']) {
    t.false(ring.verifyPin('alice', wrong, stored), JSON.stringify(wrong));
  }
});

test('verifyPin: a PIN hash is bound to its user', (t) => {
  const ring = new Keyring(KEY_A);
  const stored = ring.hashPin('alice', PIN);
  t.false(ring.verifyPin('bob', PIN, stored));
  t.false(ring.verifyPin('Alice', PIN, stored));
  t.not(ring.hashPin('bob', PIN), stored, 'same PIN, different users, different hashes');
});

test('verifyPin: parts are length-prefixed, so the user/PIN boundary cannot shift', (t) => {
  const ring = new Keyring(KEY_A);
  t.false(ring.verifyPin('a', 'bc123', ring.hashPin('ab', 'c123')));
  t.false(ring.verifyPin('alice1', '234', ring.hashPin('alice', '1234')));
  t.not(ring.hashPin('ab', 'c123'), ring.hashPin('a', 'bc123'));
});

test('verifyPin: a tampered hash is refused', (t) => {
  const ring = new Keyring(KEY_A);
  const stored = ring.hashPin('alice', PIN);
  for (let index = 0; index < 16; index++) t.false(ring.verifyPin('alice', PIN, tamper(stored, index)), `byte ${index}`);
  t.false(ring.verifyPin('alice', PIN, stored.slice(0, -1)), 'truncated');
  t.false(ring.verifyPin('alice', PIN, `${stored}A`), 'extended');
  t.false(ring.verifyPin('alice', PIN, `${stored}AAAA`), 'extended by whole bytes');
  t.false(ring.verifyPin('alice', PIN, stored.split('.')[1]!), 'without the key id');
  t.false(ring.verifyPin('alice', PIN, ''), 'empty');
  t.false(ring.verifyPin('alice', PIN, '.'), 'only a dot');
  t.false(ring.verifyPin('alice', PIN, `${ring.currentId}.`), 'only the key id');
});

test('verifyPin: a correct hash under an unknown key id is refused', (t) => {
  const ring = new Keyring(KEY_A);
  const [, hash] = ring.hashPin('alice', PIN).split('.');
  // The HMAC matches the current key; only the id is wrong. It must still fail.
  t.false(ring.verifyPin('alice', PIN, `zzzzzz.${hash}`));
  t.false(ring.verifyPin('alice', PIN, `${new Keyring(KEY_C).currentId}.${hash}`));
  t.false(ring.verifyPin('alice', PIN, new Keyring(KEY_C).hashPin('alice', PIN)), 'hashed under a key not in the ring');
});

test('rotation: a PIN hashed under A verifies with Keyring(B, [A]) but not Keyring(B)', (t) => {
  const underA = new Keyring(KEY_A).hashPin('alice', PIN);
  const rotated = new Keyring(KEY_B, [KEY_A]);
  t.true(rotated.verifyPin('alice', PIN, underA));
  t.false(rotated.verifyPin('alice', 'wrong-pin', underA));
  t.false(rotated.verifyPin('bob', PIN, underA));
  t.false(new Keyring(KEY_B).verifyPin('alice', PIN, underA), 'A has left the ring');
  t.true(new Keyring(KEY_C, [KEY_B, KEY_A]).verifyPin('alice', PIN, underA), 'any depth of the ring');
});

test('rotation: new hashes use the current key id', (t) => {
  const rotated = new Keyring(KEY_B, [KEY_A]);
  const stored = rotated.hashPin('alice', PIN);
  t.true(stored.startsWith(`${new Keyring(KEY_B).currentId}.`));
  t.is(stored, new Keyring(KEY_B).hashPin('alice', PIN), 'previous keys do not change new hashes');
  t.true(new Keyring(KEY_B).verifyPin('alice', PIN, stored));
  t.false(new Keyring(KEY_A).verifyPin('alice', PIN, stored));
  t.true(rotated.hashCode('alice', 'alone', 'ABC123').startsWith(`${rotated.currentId}.`));
  t.true(rotated.encryptTokenSecret('alice', SECRET).startsWith(`${rotated.currentId}.`));
});

// --- Subkey separation ---------------------------------------------------------------

test('subkeys are independent: PIN, code and token-secret outputs differ for the same input', (t) => {
  const ring = new Keyring(KEY_A);
  const pinHash = ring.hashPin('alice', '123456');
  const codeHash = ring.hashCode('alice', 'pin', '123456');
  t.not(pinHash, codeHash);
  t.not(pinHash.split('.')[1], codeHash.split('.')[1]);
  // A code hash is not accepted as a PIN hash.
  t.false(ring.verifyPin('alice', '123456', codeHash));
  t.false(ring.verifyPin('alice', '123456', ring.hashCode('alice', '', '123456')));
});

test('hashes differ per key', (t) => {
  t.not(new Keyring(KEY_A).hashPin('alice', PIN).split('.')[1], new Keyring(KEY_B).hashPin('alice', PIN).split('.')[1]);
  t.not(new Keyring(KEY_A).hashCode('alice', 'alone', 'X').split('.')[1], new Keyring(KEY_B).hashCode('alice', 'alone', 'X').split('.')[1]);
});

// --- Issued codes ------------------------------------------------------------------------

test('hashCode is deterministic and bound to user, family and code', (t) => {
  const ring = new Keyring(KEY_A);
  const stored = ring.hashCode('alice', 'alone', '7KAC3EWX');
  t.is(stored, new Keyring(KEY_A).hashCode('alice', 'alone', '7KAC3EWX'));
  t.is(stored, 'QeewjD.osHIWlBQP4aUTJpw9W4Raw', 'golden value');
  t.not(ring.hashCode('bob', 'alone', '7KAC3EWX'), stored);
  t.not(ring.hashCode('alice', 'after-pin', '7KAC3EWX'), stored, 'a passcode cannot stand in for a tokencode');
  t.not(ring.hashCode('alice', 'alone', '7KAC3EWY'), stored);
  t.not(ring.hashCode('alice', 'alon', 'e7KAC3EWX'), stored, 'length-prefixed');
  t.is(Buffer.from(stored.split('.')[1]!, 'base64url').length, 16);
});

test('codeCandidates gives one lookup per key, current first, equal to hashCode under each', (t) => {
  const ring = new Keyring(KEY_B, [KEY_A, KEY_C]);
  const candidates = ring.codeCandidates('alice', 'alone', '7KAC3EWX');
  t.is(candidates.length, 3);
  t.is(candidates[0], ring.hashCode('alice', 'alone', '7KAC3EWX'));
  t.is(candidates[1], new Keyring(KEY_A).hashCode('alice', 'alone', '7KAC3EWX'));
  t.is(candidates[2], new Keyring(KEY_C).hashCode('alice', 'alone', '7KAC3EWX'));
  t.deepEqual(
    candidates.map((candidate) => candidate.split('.')[0]),
    ring.ids,
  );
  t.deepEqual(new Keyring(KEY_A).codeCandidates('alice', 'alone', 'X'), [new Keyring(KEY_A).hashCode('alice', 'alone', 'X')]);
});

// --- Token secrets --------------------------------------------------------------------

test('encryptTokenSecret / decryptTokenSecret round trip', (t) => {
  const ring = new Keyring(KEY_A);
  for (const secret of [SECRET, Buffer.alloc(0), Buffer.alloc(64, 0xff), Buffer.from('0123456789abcdef0123456789abcdef', 'hex')]) {
    const stored = ring.encryptTokenSecret('alice', secret);
    t.true(stored.startsWith(`${ring.currentId}.`));
    t.regex(stored, /^[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]+$/);
    // 12-byte nonce, ciphertext as long as the secret (GCM is a stream mode), 16-byte tag.
    t.is(Buffer.from(stored.split('.')[1]!, 'base64url').length, 12 + secret.length + 16);
    t.deepEqual(ring.decryptTokenSecret('alice', stored), secret);
    t.deepEqual(new Keyring(KEY_A).decryptTokenSecret('alice', stored), secret, 'another instance with the same key');
  }
});

test('each encryption uses a fresh nonce (NIST SP 800-38D §8: never reuse a GCM nonce)', (t) => {
  const ring = new Keyring(KEY_A);
  const seen = new Set<string>();
  const nonces = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const stored = ring.encryptTokenSecret('alice', SECRET);
    seen.add(stored);
    nonces.add(Buffer.from(stored.split('.')[1]!, 'base64url').subarray(0, 12).toString('hex'));
  }
  t.is(seen.size, 200);
  t.is(nonces.size, 200);
});

test('the user name is authenticated data: a ciphertext moved to another user does not decrypt', (t) => {
  const ring = new Keyring(KEY_A);
  const stored = ring.encryptTokenSecret('alice', SECRET);
  t.is(ring.decryptTokenSecret('bob', stored), undefined);
  t.is(ring.decryptTokenSecret('Alice', stored), undefined);
  t.is(ring.decryptTokenSecret('alice ', stored), undefined);
  t.is(ring.decryptTokenSecret('', stored), undefined);
  t.deepEqual(ring.decryptTokenSecret('alice', stored), SECRET);
});

test('tampering with any byte of nonce, ciphertext or tag gives undefined', (t) => {
  const ring = new Keyring(KEY_A);
  const stored = ring.encryptTokenSecret('alice', SECRET);
  const length = Buffer.from(stored.split('.')[1]!, 'base64url').length;
  for (let index = 0; index < length; index++) {
    t.is(ring.decryptTokenSecret('alice', tamper(stored, index)), undefined, `byte ${index}`);
  }
});

test('malformed ciphertexts give undefined, never an exception', (t) => {
  const ring = new Keyring(KEY_A);
  const stored = ring.encryptTokenSecret('alice', SECRET);
  const [kid, blob] = stored.split('.') as [string, string];
  const bytes = Buffer.from(blob, 'base64url');
  for (const bad of [
    '',
    '.',
    kid,
    `${kid}.`,
    `${kid}.${bytes.subarray(0, 27).toString('base64url')}`, // shorter than nonce + tag
    `${kid}.${bytes.subarray(0, 28).toString('base64url')}`, // nonce + tag, wrong tag
    `${kid}.${bytes.subarray(0, bytes.length - 1).toString('base64url')}`, // truncated tag
    `${kid}.${Buffer.concat([bytes, Buffer.from([0])]).toString('base64url')}`, // trailing byte
    `${kid}.!!!!`,
    blob, // no key id
    `zzzzzz.${blob}`, // unknown key id
  ]) {
    t.is(ring.decryptTokenSecret('alice', bad), undefined, JSON.stringify(bad));
  }
});

test('rotation: the previous key still decrypts; once removed it does not', (t) => {
  const underA = new Keyring(KEY_A).encryptTokenSecret('alice', SECRET);
  t.deepEqual(new Keyring(KEY_B, [KEY_A]).decryptTokenSecret('alice', underA), SECRET);
  t.deepEqual(new Keyring(KEY_C, [KEY_B, KEY_A]).decryptTokenSecret('alice', underA), SECRET);
  t.is(new Keyring(KEY_B).decryptTokenSecret('alice', underA), undefined);
  // A ciphertext relabelled with the current key's id fails authentication under B.
  t.is(new Keyring(KEY_B, [KEY_A]).decryptTokenSecret('alice', `${new Keyring(KEY_B).currentId}.${underA.split('.')[1]}`), undefined);
});

// --- Nothing leaks --------------------------------------------------------------------

test('stored PIN hashes, code lookups and ciphertexts never contain the input, in any encoding', (t) => {
  const ring = new Keyring(KEY_A, [KEY_B]);
  assertHides(t, ring.hashPin('alice', PIN), PIN);
  assertHides(t, ring.hashCode('alice', 'alone', 'ZX7K3C9W4RFA'), 'ZX7K3C9W4RFA');
  for (const lookup of ring.codeCandidates('alice', 'alone', 'ZX7K3C9W4RFA')) assertHides(t, lookup, 'ZX7K3C9W4RFA');
  for (let i = 0; i < 20; i++) assertHides(t, ring.encryptTokenSecret('alice', SECRET), SECRET);
  // Nor the master keys.
  for (const stored of [ring.hashPin('alice', PIN), ring.encryptTokenSecret('alice', SECRET)]) {
    assertHides(t, stored, KEY_A);
    assertHides(t, stored, KEY_B);
  }
});

// --- Authorization codes --------------------------------------------------------------

test('authorizationCodeMac: 32-byte HMAC, deterministic, keyed, and unambiguous over its parts', (t) => {
  const ring = new Keyring(KEY_A);
  const mac = ring.authorizationCodeMac(['alice', '1700000000', 'nonce']);
  t.is(mac.length, 32);
  t.deepEqual(new Keyring(KEY_A).authorizationCodeMac(['alice', '1700000000', 'nonce']), mac);
  t.deepEqual(new Keyring(KEY_A, [KEY_B]).authorizationCodeMac(['alice', '1700000000', 'nonce']), mac);
  t.notDeepEqual(new Keyring(KEY_B).authorizationCodeMac(['alice', '1700000000', 'nonce']), mac);
  t.notDeepEqual(ring.authorizationCodeMac(['ab', 'c']), ring.authorizationCodeMac(['a', 'bc']));
  t.notDeepEqual(ring.authorizationCodeMac(['a:b']), ring.authorizationCodeMac(['a', 'b']));
  t.notDeepEqual(ring.authorizationCodeMac([]), ring.authorizationCodeMac(['']));
  t.is(ring.authorizationCodeMac(['a', 'b']).toString('hex'), '7ae7901cfaea9ddacc8d28a8aa421837ec70a5b4082a9ed05a31b429479870b9', 'golden value');
});

test('a mobile number is sealed for one user and one purpose: another user, another key or the token-secret subkey does not open it', (t) => {
  const ring = new Keyring(KEY_A);
  const sealed = ring.encryptMobile('alice', '+4915112345678');
  t.is(ring.decryptMobile('alice', sealed), '+4915112345678');
  t.not(ring.encryptMobile('alice', '+4915112345678'), sealed, 'a fresh nonce each time');
  for (const form of encodings('+4915112345678')) t.false(sealed.includes(form));
  t.is(ring.decryptMobile('bob', sealed), undefined, 'copied onto another user');
  t.is(ring.decryptTokenSecret('alice', sealed), undefined, 'read as a token secret');
  t.is(new Keyring(KEY_B).decryptMobile('alice', sealed), undefined, 'another key file');
  t.is(new Keyring(KEY_B, [KEY_A]).decryptMobile('alice', sealed), '+4915112345678', 'a previous key still opens it');
});

test('pinCandidates: the typed PIN under every key of the ring, one of them the stored hash', (t) => {
  const old = new Keyring(KEY_A);
  const rotated = new Keyring(KEY_B, [KEY_A]);
  const candidates = rotated.pinCandidates('alice', PIN);
  t.is(candidates.length, 2);
  t.true(candidates.includes(old.hashPin('alice', PIN)));
  t.true(candidates.includes(rotated.hashPin('alice', PIN)));
  t.false(rotated.pinCandidates('alice', 'wrong').includes(old.hashPin('alice', PIN)));
});
