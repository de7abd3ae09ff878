import test from 'ava';
import {
  ALPHABETS,
  MAX_CODE_LENGTH,
  MIN_CODE_LENGTH,
  generateCode,
  groupCode,
  normalizeCode,
  type AlphabetName,
} from '../../../src/credentials/codes/alphabet.js';

const NAMES = Object.keys(ALPHABETS) as AlphabetName[];

test('the alphabets are the ones SPEC "Code formats" names, without repeats', (t) => {
  t.is(ALPHABETS.digits, '0123456789');
  t.is(ALPHABETS.hex, '0123456789ABCDEF');
  t.is(ALPHABETS.unambiguous, 'Z3467ACEFHJKRWXY');
  for (const name of NAMES) t.is(new Set(ALPHABETS[name]).size, ALPHABETS[name].length, name);
  // 'unambiguous' drops every look-alike pair: 0/O/D/Q, 1/I/L, 5/S, 8/B, and keeps only
  // one of 2/Z (Z) and 6/G (6).
  for (const lookAlike of '0O1IL25S8BDGQ') t.false(ALPHABETS.unambiguous.includes(lookAlike), lookAlike);
});

test('length bounds: 6 to 32 inclusive', (t) => {
  t.is(MIN_CODE_LENGTH, 6);
  t.is(MAX_CODE_LENGTH, 32);
  for (const name of NAMES) {
    for (let length = MIN_CODE_LENGTH; length <= MAX_CODE_LENGTH; length++) t.is(generateCode(name, length).length, length);
  }
});

for (const length of [-1, 0, 1, 5, 33, 64, 6.5, Number.NaN, Number.POSITIVE_INFINITY]) {
  test(`generateCode refuses length ${length} with a RangeError naming the bounds`, (t) => {
    t.throws(() => generateCode('digits', length), { instanceOf: RangeError, message: /6.32/ });
  });
}

test('codes only use their alphabet', (t) => {
  for (const name of NAMES) {
    const allowed = new Set(ALPHABETS[name]);
    for (let i = 0; i < 200; i++) {
      for (const character of generateCode(name, 32)) {
        if (!allowed.has(character)) {
          t.fail(`${JSON.stringify(character)} is not in ${name}`);
          return;
        }
      }
    }
  }
  t.pass();
});

test('codes are not repeated (CSPRNG, not a fixed seed)', (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) seen.add(generateCode('unambiguous', 12));
  // 16^12 = 2^48 possibilities: a repeat among 1,000 has probability about 2e-9.
  t.is(seen.size, 1000);
});

/**
 * Pearson's chi-square statistic of symbol counts against the uniform distribution.
 * The critical values below are for p = 1e-6, so a correct generator fails about once
 * in a million runs. 20,000 symbols catch gross skews (a symbol 25% more likely, a
 * symbol never drawn); a subtle one such as byte % 10 (0–5 about 4% more likely) would
 * need far larger samples, and crypto.randomInt rules it out by rejection sampling.
 */
function chiSquare(alphabet: string, sample: string): { statistic: number; counts: Map<string, number> } {
  const counts = new Map<string, number>([...alphabet].map((character) => [character, 0]));
  for (const character of sample) counts.set(character, (counts.get(character) ?? 0) + 1);
  const expected = sample.length / alphabet.length;
  let statistic = 0;
  for (const count of counts.values()) statistic += (count - expected) ** 2 / expected;
  return { statistic, counts };
}

// Upper tail of chi-square at p = 1e-6: df = 15 → 56.49, df = 9 → 44.81.
const CRITICAL: Record<AlphabetName, number> = { unambiguous: 56.49, hex: 56.49, digits: 44.81 };

for (const name of NAMES) {
  test(`generateCode is roughly uniform over '${name}' (chi-square, p < 1e-6)`, (t) => {
    const alphabet = ALPHABETS[name];
    let sample = '';
    while (sample.length < 20_000) sample += generateCode(name, 32);
    const { statistic, counts } = chiSquare(alphabet, sample);
    t.is(counts.size, alphabet.length, 'no symbol outside the alphabet');
    for (const [character, count] of counts) t.true(count > 0, `${character} never drawn`);
    t.true(statistic < CRITICAL[name], `chi-square ${statistic.toFixed(1)} over ${alphabet.length - 1} df: ${JSON.stringify([...counts])}`);
  });
}

test('the chi-square check would catch a symbol drawn 25% more often than the others', (t) => {
  // Sanity check of the test itself: each digit four times and '0' once more, repeated.
  const pattern = `0${'0123456789'.repeat(4)}`;
  const skewed = pattern.repeat(Math.ceil(20_000 / pattern.length)).slice(0, 20_000);
  t.true(chiSquare(ALPHABETS.digits, skewed).statistic > CRITICAL.digits);
  // ... and that an exactly uniform sample passes.
  t.is(chiSquare(ALPHABETS.digits, '0123456789'.repeat(2000)).statistic, 0);
});

test('normalizeCode ignores case, spaces and hyphens', (t) => {
  t.is(normalizeCode('7kac-3ewx'), '7KAC3EWX');
  t.is(normalizeCode('7KAC 3EWX'), '7KAC3EWX');
  t.is(normalizeCode(' 7kac - 3ewx '), '7KAC3EWX');
  t.is(normalizeCode('7k\tac\n3e-w-x'), '7KAC3EWX');
  t.is(normalizeCode('123456'), '123456');
  t.is(normalizeCode('dead-BEEF'), 'DEADBEEF');
  t.is(normalizeCode(''), '');
  t.is(normalizeCode('---  '), '');
});

test('normalizeCode leaves other characters for the lookup to reject', (t) => {
  t.is(normalizeCode('7KAC.3EWX'), '7KAC.3EWX');
  t.is(normalizeCode('7kac_3ewx'), '7KAC_3EWX');
});

test('normalizeCode is idempotent and undoes groupCode', (t) => {
  for (const name of NAMES) {
    for (const length of [6, 7, 8, 12, 13, 32]) {
      const code = generateCode(name, length);
      t.is(normalizeCode(code), code);
      t.is(normalizeCode(groupCode(code)), code);
      t.is(normalizeCode(groupCode(code).toLowerCase()), code);
      t.is(normalizeCode(normalizeCode(` ${code.toLowerCase()} `)), code);
    }
  }
});

test('groupCode shows codes in groups of four', (t) => {
  t.is(groupCode('7KAC3EWX'), '7KAC-3EWX');
  t.is(groupCode('7KAC3EWXZ346'), '7KAC-3EWX-Z346');
  t.is(groupCode('7KAC3EWXZ346').split('-').length, 3);
  t.is(groupCode('123456'), '1234-56', 'a short last group');
  t.is(groupCode('1234567890'), '1234-5678-90');
  t.is(groupCode('1234'), '1234');
  t.is(groupCode(''), '');
  t.is(groupCode('A'.repeat(32)), Array.from({ length: 8 }, () => 'AAAA').join('-'));
});
