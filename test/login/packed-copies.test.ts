import test from 'ava';
import { randomBytes } from 'node:crypto';
import { NO_PENDING_CHALLENGES, type PendingChallenges, type TokenRecord, type UserForLogin, type UserRecord } from '../../src/credentials/records.js';
import { Keyring } from '../../src/keys/keyring.js';
import { UserCopies } from '../../src/login/user-copies.js';
import type { UserSnapshot } from '../../src/store/user-snapshot.js';

// The packed form of the gateway's copies (login/user-copies.ts, copy-codec.ts,
// copy-arena.ts): every field a login reads comes back as it went in, the token secret
// comes back decrypted, and replacing, evicting and compacting keep every copy right.

const keyring = new Keyring(randomBytes(32));
const previousKeyring = new Keyring(randomBytes(32));
const secrets = new Map<string, Buffer>();

function token(user: string, overrides: Partial<TokenRecord> = {}): TokenRecord {
  const secret = randomBytes(overrides.algorithm === 'sha512' ? 64 : 20);
  secrets.set(user, secret);
  return {
    type: 'totp', serial: 'TK-0001', encryptedSecret: keyring.encryptTokenSecret(user, secret), digits: 6, period: 30, algorithm: 'sha1',
    state: 'active', expiresAt: 0, lastStep: -1, assignedAt: 1_767_225_600_123, ...overrides,
  };
}

function record(name: string, overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    name, status: 'active', pinHash: keyring.hashPin(name, '4821'), failures: 0, lockedUntil: 0, prefixedCodeLengths: [], createdAt: 1_767_225_600_000,
    token: 'token' in overrides ? undefined : token(name), challengeAllowed: true, encryptedMobile: undefined, ...overrides,
  };
}

let revisions = 0;
const snapshot = (user: UserForLogin, challenges: PendingChallenges = NO_PENDING_CHALLENGES): UserSnapshot => ({
  revision: `rev${++revisions}.${revisions.toString(36)}`, challengeRevision: revisions % 2 === 0 ? '' : `crv.${revisions}`, user, challenges,
});

/** What a copy gives back: what a login reads of the record, without the ciphertext (the copy holds the secret instead). */
function expected(user: UserForLogin): UserForLogin {
  const { name, status, pinHash, failures, lockedUntil, prefixedCodeLengths, challengeAllowed, token: given } = user;
  const token = given === undefined ? undefined : { type: given.type, digits: given.digits, period: given.period, algorithm: given.algorithm, state: given.state, lastStep: given.lastStep };
  return { name, status, pinHash, failures, lockedUntil, prefixedCodeLengths, challengeAllowed, token };
}

function checkHeld(t: import('ava').ExecutionContext, copies: UserCopies, given: UserSnapshot): void {
  const name = given.user!.name;
  const held = copies.held(name);
  if (held === undefined) return t.fail(`${name} is not held`);
  t.deepEqual(held.user, expected(given.user!), name);
  t.is(held.revision, given.revision);
  t.is(held.challengeRevision, given.challengeRevision);
  t.is(held.challenges, given.challenges.requests.length + given.challenges.states.size + given.challenges.used.length > 0 ? given.challenges : NO_PENDING_CHALLENGES);
  if (given.user!.token === undefined) t.is(held.tokenSecret, undefined);
  else t.deepEqual(held.tokenSecret, secrets.get(name), `${name}'s secret, decrypted`);
  t.deepEqual(copies.guess(name), held, 'guess() is the same copy');
}

const VARIANTS: readonly UserRecord[] = [
  record('plain'),
  record('no-token-no-pin', { token: undefined, pinHash: undefined }),
  record('no-pin', { pinHash: undefined }),
  record('codes', { prefixedCodeLengths: [8, 12, 6] }),
  record('locked-by-admin', { lockedUntil: -1, failures: 5 }),
  record('locked-for-now', { lockedUntil: 1_767_225_900_000, failures: 3 }),
  record('disabled', { status: 'disabled' }),
  record('no-challenge', { challengeAllowed: false }),
  record('hotp-8', { token: token('hotp-8', { type: 'hotp', digits: 8, lastStep: 41_234, algorithm: 'sha256', serial: '' }) }),
  record('totp-60-512', { token: token('totp-60-512', { period: 60, algorithm: 'sha512', state: 'lost', expiresAt: 1_800_000_000_000 }) }),
  record('token-disabled', { token: token('token-disabled', { state: 'disabled', lastStep: 59_000_123 }) }),
  // Values no helpdesk writes, as a damaged or hand-edited record may hold them: kept as they are.
  record('odd-values', { token: token('odd-values', { algorithm: 'md5' as TokenRecord['algorithm'], state: 'misplaced' as TokenRecord['state'], digits: Number.NaN, period: 0.5 }), failures: 2 ** 53, prefixedCodeLengths: [Number.NaN] }),
  record('pin-other-form', { pinHash: 'legacy$hash-of-some-other-form' }),
  record('pin-old-key', { pinHash: previousKeyring.hashPin('pin-old-key', '1234') }),
  record('pin-not-canonical', { pinHash: `${keyring.currentId}.${'B'.repeat(21)}C` }),
  record('jürgen.müller@beispiel.de', { token: token('jürgen.müller@beispiel.de', { serial: 'Sérial-令牌-🔑' }) }),
  record('用户'),
];

test('every field of a record comes back as it went in, the secret decrypted', (t) => {
  const copies = new UserCopies({ maxUsers: 100, keyring });
  const given = VARIANTS.map((user) => snapshot(user));
  for (const each of given) copies.set(each.user!.name, each);
  t.is(copies.size, VARIANTS.length);
  for (const each of given) checkHeld(t, copies, each);
});

test('a secret that does not decrypt is held as not decrypting (never accepted), and not tried again per copy', (t) => {
  const copies = new UserCopies({ maxUsers: 10, keyring });
  const damaged = record('damaged', { token: { ...token('damaged'), encryptedSecret: `${keyring.currentId}.${'A'.repeat(60)}` } });
  copies.set('damaged', snapshot(damaged));
  t.is(copies.held('damaged')?.tokenSecret, null);
  t.is(copies.held('damaged')?.user?.token?.digits, 6);
});

test('unknown names and users without a record are not held', (t) => {
  const copies = new UserCopies({ maxUsers: 10, keyring });
  t.is(copies.guess('nobody').user, undefined);
  t.is(copies.guess('nobody').revision, '');
  copies.set('gone', snapshot(record('gone')));
  copies.set('gone', { revision: '', challengeRevision: '', user: undefined, challenges: NO_PENDING_CHALLENGES });
  t.false(copies.has('gone'));
  t.is(copies.arenaBytes.live, 0);
  const off = new UserCopies({ maxUsers: 0, keyring });
  off.set('plain', snapshot(record('plain')));
  t.is(off.size, 0);
  t.is(off.guess('plain').revision, 'unread', 'copies off: every login reads the record');
});

test('a replaced copy is the newer one; the same ciphertext is not decrypted again, a new one is', (t) => {
  const counting = new Keyring(randomBytes(32));
  const decrypt = counting.decryptTokenSecret.bind(counting);
  let decryptions = 0;
  counting.decryptTokenSecret = (user, stored) => (decryptions++, decrypt(user, stored));
  const copies = new UserCopies({ maxUsers: 10, keyring: counting });
  const first = randomBytes(20);
  const hotpToken: TokenRecord = { ...token('h'), type: 'hotp', encryptedSecret: counting.encryptTokenSecret('h', first) };
  copies.set('h', snapshot(record('h', { token: hotpToken })));
  for (let counter = 0; counter < 5; counter++) copies.set('h', snapshot(record('h', { token: { ...hotpToken, lastStep: counter }, failures: counter })));
  t.is(decryptions, 1, 'six copies of one ciphertext, one decryption');
  t.is(copies.held('h')?.user?.token?.lastStep, 4);
  t.is(copies.held('h')?.user?.failures, 4);
  t.deepEqual(copies.held('h')?.tokenSecret, first);
  t.is(copies.size, 1);
  t.true(copies.arenaBytes.garbage > 0, 'the older copies are garbage');

  const second = randomBytes(20);
  copies.set('h', snapshot(record('h', { token: { ...hotpToken, encryptedSecret: counting.encryptTokenSecret('h', second) } })));
  t.is(decryptions, 2, 'a token assigned again is decrypted');
  t.deepEqual(copies.held('h')?.tokenSecret, second);
  copies.set('h', snapshot(record('h', { token: undefined })));
  t.is(copies.held('h')?.user?.token, undefined);
  t.is(copies.held('h')?.tokenSecret, undefined);
});

test('at the bound the oldest copy goes first; a newer copy keeps its place', (t) => {
  const copies = new UserCopies({ maxUsers: 3, keyring });
  for (const name of ['a', 'b', 'c']) copies.set(name, snapshot(record(name)));
  copies.set('a', snapshot(record('a', { failures: 1 })));
  copies.set('d', snapshot(record('d')));
  t.deepEqual(['a', 'b', 'c', 'd'].filter((name) => copies.has(name)), ['b', 'c', 'd'], 'a was first in, replacing it did not move it');
  t.is(copies.size, 3);
  copies.set('e', snapshot(record('e')));
  t.deepEqual(['b', 'c', 'd', 'e'].filter((name) => copies.has(name)), ['c', 'd', 'e']);
  for (const name of ['c', 'd', 'e']) t.is(copies.held(name)?.user?.name, name);
});

test('compaction keeps every copy right, and the order of eviction', (t) => {
  const copies = new UserCopies({ maxUsers: 5000, keyring });
  const latest = new Map<string, UserSnapshot>();
  const names = Array.from({ length: 4000 }, (_, i) => `user-${i}-ü`);
  for (const name of names) {
    const given = snapshot(record(name, { prefixedCodeLengths: [8] }));
    copies.set(name, given);
    latest.set(name, given);
  }
  // Replace copies until more than a chunk (1 MB) and a quarter of the arena is garbage.
  let compacted = false;
  for (let round = 0; round < 20 && !compacted; round++) {
    for (const name of names) {
      const before = copies.arenaBytes.garbage;
      const given = snapshot({ ...latest.get(name)!.user!, failures: round + 1 });
      copies.set(name, given);
      latest.set(name, given);
      if (copies.arenaBytes.garbage < before) compacted = true;
    }
  }
  t.true(compacted, 'the arena was compacted');
  for (const name of names) checkHeld(t, copies, latest.get(name)!);
  t.true(copies.arenaBytes.garbage < copies.arenaBytes.live);
  for (let i = 0; i < 1001; i++) copies.set(`new-${i}`, snapshot(record(`new-${i}`)));
  t.false(copies.has(names[0]!), 'the first in is still the first out after compaction');
  t.true(copies.has(names[1]!));
});

test('pending challenges are kept beside the copy and counted for the metrics', (t) => {
  const copies = new UserCopies({ maxUsers: 10, keyring });
  const now = Date.now();
  const challenges: PendingChallenges = {
    requests: [{ requestCode: '1234-5678', expiresAt: now + 60_000 }, { requestCode: '8765-4321', expiresAt: now - 1 }],
    states: new Map([['ab'.repeat(20), { state: 'ab'.repeat(20), requestCode: '1234-5678', client: 'nas-ü', expiresAt: now + 60_000 }]]),
    used: [{ requestCode: '1111-2222', expiresAt: now + 3_600_000 }],
  };
  const given = snapshot(record('challenged'), challenges);
  copies.set('challenged', given);
  copies.set('plain', snapshot(record('plain')));
  checkHeld(t, copies, given);
  t.is(copies.held('plain')?.challenges, NO_PENDING_CHALLENGES);
  t.is(copies.pendingChallenges(now), 1, 'the expired request is not counted');
  copies.set('challenged', snapshot(record('challenged')));
  t.is(copies.held('challenged')?.challenges, NO_PENDING_CHALLENGES, 'answered: nothing pending any more');
  t.is(copies.pendingChallenges(now), 0);
});

test('a copy costs about a hundred bytes of arena', (t) => {
  const copies = new UserCopies({ maxUsers: 2000, keyring });
  for (let i = 0; i < 1000; i++) copies.set(`filler-${String(i).padStart(7, '0')}`, snapshot(record(`filler-${i}`, { prefixedCodeLengths: [8] })));
  const perCopy = copies.arenaBytes.live / copies.size;
  t.log(`${perCopy.toFixed(1)} B of arena per copy`);
  t.true(perCopy < 140, `${perCopy} B`);
});
