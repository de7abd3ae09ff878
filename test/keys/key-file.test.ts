import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { createKeyFile, isKeyFileExposed, KeyFileError, MASTER_KEY_LENGTH, readKeyFile } from '../../src/keys/key-file.js';

const directories: string[] = [];

function tempDir(): string {
  const directory = mkdtempSync(join(tmpdir(), 'radgate-key-file-'));
  directories.push(directory);
  return directory;
}

test.after.always(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

const modeOf = (path: string): number => statSync(path).mode & 0o777;

test('createKeyFile writes exactly 32 random bytes with mode 0600', (t) => {
  const path = join(tempDir(), 'master.key');
  createKeyFile(path);
  const key = readFileSync(path);
  t.is(MASTER_KEY_LENGTH, 32);
  t.is(key.length, 32);
  t.is(modeOf(path), 0o600);
  t.false(isKeyFileExposed(path));
  t.false(key.equals(Buffer.alloc(32)), 'not all zeros');
  t.deepEqual(readKeyFile(path), key);
});

test('two key files never hold the same key', (t) => {
  const directory = tempDir();
  createKeyFile(join(directory, 'one.key'));
  createKeyFile(join(directory, 'two.key'));
  t.false(readFileSync(join(directory, 'one.key')).equals(readFileSync(join(directory, 'two.key'))));
});

test('createKeyFile creates missing parent directories with mode 0700', (t) => {
  const directory = tempDir();
  const path = join(directory, 'etc', 'radgate', 'master.key');
  createKeyFile(path);
  t.is(readFileSync(path).length, 32);
  t.is(modeOf(join(directory, 'etc')), 0o700);
  t.is(modeOf(join(directory, 'etc', 'radgate')), 0o700);
});

test('createKeyFile refuses to overwrite an existing file, saying --force, and leaves it alone', (t) => {
  const path = join(tempDir(), 'master.key');
  createKeyFile(path);
  const before = readFileSync(path);
  const error = t.throws(() => createKeyFile(path), { instanceOf: KeyFileError });
  t.regex(error.message, /--force/);
  t.regex(error.message, /already exists/);
  t.true(error.message.includes(path));
  t.is(error.path, path);
  t.is(error.name, 'KeyFileError');
  t.deepEqual(readFileSync(path), before, 'the existing key is untouched');
  t.throws(() => createKeyFile(path, { force: false }), { instanceOf: KeyFileError, message: /--force/ });
  t.deepEqual(readFileSync(path), before);
});

test('createKeyFile refuses any existing file without force, whatever it holds', (t) => {
  const path = join(tempDir(), 'master.key');
  writeFileSync(path, 'not a key\n', { mode: 0o600 });
  t.throws(() => createKeyFile(path), { instanceOf: KeyFileError, message: /--force/ });
  t.is(readFileSync(path, 'utf8'), 'not a key\n');
});

test('createKeyFile with force replaces a 0600 key with a new one', (t) => {
  const path = join(tempDir(), 'master.key');
  createKeyFile(path);
  const before = readFileSync(path);
  createKeyFile(path, { force: true });
  const after = readFileSync(path);
  t.is(after.length, 32);
  t.false(after.equals(before));
  t.is(modeOf(path), 0o600);
});

test('createKeyFile with force truncates a longer file to exactly 32 bytes', (t) => {
  const path = join(tempDir(), 'master.key');
  writeFileSync(path, Buffer.alloc(100, 0x41), { mode: 0o600 });
  createKeyFile(path, { force: true });
  t.is(readFileSync(path).length, 32);
});

test('createKeyFile with force on a missing file just creates it', (t) => {
  const path = join(tempDir(), 'master.key');
  createKeyFile(path, { force: true });
  t.is(readFileSync(path).length, 32);
  t.is(modeOf(path), 0o600);
});

test('createKeyFile with force refuses a file whose mode is not 0600', (t) => {
  const path = join(tempDir(), 'master.key');
  writeFileSync(path, Buffer.alloc(32, 7));
  chmodSync(path, 0o644);
  t.throws(() => createKeyFile(path, { force: true }), { instanceOf: KeyFileError, message: /mode other than 0600/ });
  t.is(modeOf(path), 0o644, 'the mode is not changed behind the admin\'s back');
});

// Regression: --force used to truncate the old key before checking its mode, so a refusal
// had already destroyed it.
test('createKeyFile with force keeps the old key when it refuses a non-0600 file', (t) => {
  const path = join(tempDir(), 'master.key');
  writeFileSync(path, Buffer.alloc(32, 7));
  chmodSync(path, 0o644);
  t.throws(() => createKeyFile(path, { force: true }), { instanceOf: KeyFileError });
  t.deepEqual(readFileSync(path), Buffer.alloc(32, 7));
});

test('createKeyFile names the path and the cause when it cannot create the file', (t) => {
  const directory = tempDir();
  const blocker = join(directory, 'not-a-directory');
  writeFileSync(blocker, '');
  // The parent "directory" is a regular file: mkdir fails with ENOTDIR/EEXIST before open,
  // or open fails with ENOTDIR. Either way, no key bytes and no crash without a message.
  const error = t.throws(() => createKeyFile(join(blocker, 'master.key')));
  t.regex(error.message, /not-a-directory/);
});

test('readKeyFile returns the 32 bytes', (t) => {
  const path = join(tempDir(), 'master.key');
  const key = Buffer.from(Array.from({ length: 32 }, (_, i) => 255 - i));
  writeFileSync(path, key, { mode: 0o600 });
  t.deepEqual(readKeyFile(path), key);
});

test('readKeyFile: a missing file says how to create one', (t) => {
  const path = join(tempDir(), 'missing.key');
  const error = t.throws(() => readKeyFile(path), { instanceOf: KeyFileError });
  t.true(error.message.includes(path));
  t.regex(error.message, /ENOENT/);
  t.regex(error.message, /`radgate keys init`/);
  t.regex(error.message, /keys\.file|RADGATE_KEY_FILE/);
  t.is(error.path, path);
});

test('readKeyFile: a directory is not a key file', (t) => {
  const path = join(tempDir(), 'dir.key');
  mkdirSync(path);
  const error = t.throws(() => readKeyFile(path), { instanceOf: KeyFileError });
  t.regex(error.message, /EISDIR/);
  t.regex(error.message, /radgate keys init/);
});

for (const length of [0, 1, 31, 33, 44, 64]) {
  test(`readKeyFile: ${length} bytes is the wrong length`, (t) => {
    const path = join(tempDir(), 'master.key');
    // Printable bytes that would be easy to spot if echoed.
    const content = Buffer.alloc(length, 0x5a);
    writeFileSync(path, content, { mode: 0o600 });
    const error = t.throws(() => readKeyFile(path), { instanceOf: KeyFileError });
    t.is(error.message, `the key file ${path} holds ${length} bytes, not 32: it is not a radgate key (create one with \`radgate keys init\`)`);
    t.is(error.path, path);
    // Long enough that the temp path (a 6-character random suffix) cannot contain it by chance.
    if (length >= 8) {
      t.false(error.message.includes(content.toString('latin1')), 'key bytes never appear in the message');
      t.false(error.message.includes(content.toString('hex')));
      t.false(error.message.includes(content.toString('base64')));
    }
  });
}

test('readKeyFile: a base64 or hex rendering of a key is refused, not decoded', (t) => {
  // An admin who pastes `openssl rand -base64 32` or `-hex 32` output gets a clear refusal.
  const key = Buffer.alloc(32, 0x11);
  for (const text of [`${key.toString('base64')}\n`, `${key.toString('hex')}\n`]) {
    const path = join(tempDir(), 'master.key');
    writeFileSync(path, text, { mode: 0o600 });
    t.throws(() => readKeyFile(path), { instanceOf: KeyFileError, message: /not 32/ });
  }
});

for (const [mode, exposed] of [
  [0o600, false],
  [0o400, false],
  [0o700, false],
  [0o644, true],
  [0o640, true],
  [0o604, true],
  [0o660, true],
  [0o606, true],
  [0o610, true],
  [0o601, true],
  [0o777, true],
] as const) {
  test(`isKeyFileExposed is ${exposed} for mode 0${mode.toString(8)}`, (t) => {
    const path = join(tempDir(), 'master.key');
    writeFileSync(path, Buffer.alloc(32));
    chmodSync(path, mode);
    t.is(isKeyFileExposed(path), exposed);
  });
}
