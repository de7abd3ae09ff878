import test from 'ava';
import { canonicalUserName, userNameProblem, userNameSpacingProblem } from '../../src/credentials/user-name.js';

const off = { stripRealm: false, foldCase: false };
const strip = { stripRealm: true, foldCase: false };
const fold = { stripRealm: false, foldCase: true };
const both = { stripRealm: true, foldCase: true };

test('canonicalUserName matches exactly (composed names) when both options are off', (t) => {
  for (const name of ['alice', 'alice@corp', 'CORP\\alice', 'Alice@Corp', '@alice', 'alice@', 'Ünïcödé', ' alice ']) {
    t.is(canonicalUserName(name, off), name, JSON.stringify(name));
  }
});

test('stripRealm removes an @realm suffix (RFC 7542 §2.2 NAI user@realm)', (t) => {
  t.is(canonicalUserName('alice@corp', strip), 'alice');
  t.is(canonicalUserName('alice@corp.example.com', strip), 'alice');
  t.is(canonicalUserName('Alice@Corp', strip), 'Alice', 'case is kept without foldCase');
  t.is(canonicalUserName('alice@corp@other', strip), 'alice', 'cut at the first @');
  t.is(canonicalUserName('alice', strip), 'alice');
});

test('stripRealm removes a DOMAIN\\ prefix (Windows down-level logon name)', (t) => {
  t.is(canonicalUserName('CORP\\alice', strip), 'alice');
  t.is(canonicalUserName('CORP\\Alice', strip), 'Alice');
  t.is(canonicalUserName('A\\B\\alice', strip), 'alice', 'cut after the last backslash');
  t.is(canonicalUserName('CORP\\alice@corp', strip), 'alice', 'both forms at once');
});

test('stripRealm keeps a name that starts with @ (nothing before it to keep)', (t) => {
  t.is(canonicalUserName('@alice', strip), '@alice');
  t.is(canonicalUserName('@Alice', both), '@alice');
  t.is(canonicalUserName('CORP\\@alice', strip), '@alice');
});

test('foldCase lower-cases the whole name, realm included when not stripped', (t) => {
  t.is(canonicalUserName('Alice@Corp', fold), 'alice@corp');
  t.is(canonicalUserName('CORP\\Alice', fold), 'corp\\alice');
  t.is(canonicalUserName('ALICE', fold), 'alice');
  t.is(canonicalUserName('ÅSA.ÖBERG', fold), 'åsa.öberg', 'not only ASCII');
});

test('stripRealm and foldCase together', (t) => {
  t.is(canonicalUserName('Alice@Corp', both), 'alice');
  t.is(canonicalUserName('CORP\\Alice', both), 'alice');
  t.is(canonicalUserName('corp\\ALICE@CORP.EXAMPLE', both), 'alice');
  t.is(canonicalUserName('alice', both), 'alice');
});

test('canonicalUserName is idempotent', (t) => {
  for (const policy of [off, strip, fold, both]) {
    for (const name of ['Alice@Corp', 'CORP\\Alice', 'A\\B\\c@d@e', '@alice', 'alice', 'RENE\u0301@corp', '\u0130STANBUL', '\u212Bngstr\u00f6m']) {
      const once = canonicalUserName(name, policy);
      t.is(canonicalUserName(once, policy), once, `${JSON.stringify(name)} with ${JSON.stringify(policy)}`);
    }
  }
});

test('userNameProblem accepts ordinary names', (t) => {
  for (const name of ['alice', 'alice@corp.example', 'CORP\\alice', 'Jürgen Müller', '山田太郎', 'a', 'x'.repeat(253)]) {
    t.is(userNameProblem(name), undefined, JSON.stringify(name));
  }
});

test('userNameProblem: empty', (t) => {
  t.is(userNameProblem(''), 'the user name is empty');
});

test('userNameProblem: longer than 253 bytes, counted in UTF-8 (RFC 2865 §5.1, one attribute)', (t) => {
  const tooLong = 'the user name is longer than 253 bytes, more than a RADIUS User-Name can carry';
  t.is(userNameProblem('x'.repeat(254)), tooLong);
  t.is(userNameProblem('x'.repeat(1000)), tooLong);
  // 2-byte characters: 126 × 2 = 252 fits, 127 × 2 = 254 does not, though only 127 chars.
  t.is(userNameProblem('é'.repeat(126)), undefined);
  t.is(userNameProblem('é'.repeat(126) + 'x'), undefined, 'exactly 253 bytes');
  t.is(userNameProblem('é'.repeat(127)), tooLong);
  // 3-byte characters: 84 × 3 = 252 fits, 85 × 3 = 255 does not.
  t.is(userNameProblem('€'.repeat(84)), undefined);
  t.is(userNameProblem('€'.repeat(85)), tooLong);
  // 4-byte characters (surrogate pairs in JS, length 2 each): 63 × 4 = 252, 64 × 4 = 256.
  t.is(userNameProblem('😀'.repeat(63)), undefined);
  t.is(userNameProblem('😀'.repeat(64)), tooLong);
});

test('userNameProblem: C0 control characters and DEL', (t) => {
  for (const name of ['ali\u0000ce', 'alice\n', 'alice\r', '\talice', 'al\u001bice', 'alice\u001f', 'alice\u007f']) {
    t.is(userNameProblem(name), 'the user name contains control characters', JSON.stringify(name));
  }
});

test('userNameProblem: U+FFFD, the mark of bytes that were not valid UTF-8', (t) => {
  t.is(userNameProblem('ali\uFFFDce'), 'the user name is not valid UTF-8');
  t.is(userNameProblem(Buffer.from([0x61, 0xff, 0x62]).toString('utf8')), 'the user name is not valid UTF-8');
});

test('C1 controls and Unicode line separators are refused too (no forged log lines)', (t) => {
  for (const name of ['alice\u0085', 'alice\u009b', 'alice\u2028x', 'alice\u2029']) t.regex(userNameProblem(name) ?? '', /control characters/);
});

test('a realm with nothing before it keeps the name as sent', (t) => {
  t.is(canonicalUserName('CORP\\', { stripRealm: true, foldCase: false }), 'CORP\\');
});

test('canonicalUserName composes to NFC whatever the options, so one é is one user (RFC 8265 §3.3, §3.4)', (t) => {
  for (const policy of [off, strip, fold, both]) {
    t.is(canonicalUserName('rene\u0301', policy), 'ren\u00e9', JSON.stringify(policy));
    t.is(canonicalUserName('ren\u00e9', policy), 'ren\u00e9', JSON.stringify(policy));
    t.is(canonicalUserName('\u1100\u1161', policy), '\uac00', 'Hangul jamo compose');
    t.is(canonicalUserName('\u212Bsa', policy), policy.foldCase ? '\u00e5sa' : '\u00c5sa', 'the Angstrom sign is the letter Å');
  }
  t.is(canonicalUserName('ZOE\u0308@Corp', both), 'zo\u00eb');
  t.is(canonicalUserName('CORP\\Jose\u0301', strip), 'Jos\u00e9');
});

test('userNameSpacingProblem: white space before or after a typed name, of any kind', (t) => {
  for (const name of [' alice', 'alice ', '\talice', 'alice\n', 'alice\u00a0', '\u3000alice', '\u2003alice', ' ']) {
    t.is(userNameSpacingProblem(name), `the user name ${JSON.stringify(name)} starts or ends with white space; type it without`, JSON.stringify(name));
  }
  for (const name of ['alice', 'Jürgen Müller', 'a b', '']) t.is(userNameSpacingProblem(name), undefined, JSON.stringify(name));
});
