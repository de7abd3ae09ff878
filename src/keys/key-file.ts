import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { RadgateError, type RadgateErrorCode } from '../errors.js';

export const MASTER_KEY_LENGTH = 32;

/** A problem with a key file, phrased for the admin, saying how to fix it. Never holds key bytes. */
export class KeyFileError extends RadgateError {
  override readonly name = 'KeyFileError';
  constructor(
    code: Extract<RadgateErrorCode, `RADGATE_KEY_FILE_${string}`>,
    message: string,
    readonly path: string,
  ) {
    super(code, message);
  }
}

/**
 * Reads a master key: exactly 32 bytes. Anything else stops start-up with a message that
 * says how to create one, because running with a wrong key would lock every user out
 * (no PIN or code would verify) without any other clue.
 */
export function readKeyFile(path: string): Buffer {
  let key: Buffer;
  try {
    key = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new KeyFileError(
      'RADGATE_KEY_FILE_UNREADABLE',
      `cannot read the key file ${path}: ${code}. Create one with \`radgate keys init\` (set keys.file in the config or RADGATE_KEY_FILE to choose where)`,
      path,
    );
  }
  if (key.length !== MASTER_KEY_LENGTH) {
    throw new KeyFileError(
      'RADGATE_KEY_FILE_WRONG_LENGTH',
      `the key file ${path} holds ${key.length} bytes, not ${MASTER_KEY_LENGTH}: it is not a radgate key (create one with \`radgate keys init\`)`,
      path,
    );
  }
  return key;
}

/** True when group or others may read the file: `radgate doctor` and start-up warn about it. */
export function isKeyFileExposed(path: string): boolean {
  return (statSync(path).mode & 0o077) !== 0;
}

/**
 * Writes 32 fresh random bytes with mode 0600. Refuses to replace an existing file unless
 * `force`: overwriting the key makes every stored PIN, code and token secret unusable.
 * O_EXCL makes the "does it exist" check and the creation one atomic step.
 */
export function createKeyFile(path: string, options: { force?: boolean } = {}): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // With --force the file is truncated only after its mode has been checked below, so a
  // refused overwrite leaves the old key intact.
  const flags = constants.O_WRONLY | constants.O_CREAT | (options.force === true ? 0 : constants.O_EXCL);
  let fd: number;
  try {
    fd = openSync(path, flags, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new KeyFileError(
        'RADGATE_KEY_FILE_EXISTS',
        `${path} already exists; replacing it would make every stored PIN, code and token unusable. Use --force only if that is what you want`,
        path,
      );
    }
    throw new KeyFileError('RADGATE_KEY_FILE_UNWRITABLE', `cannot create the key file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, path);
  }
  try {
    // With --force the file may have existed with a looser mode; openSync's mode applies only to new files.
    if ((fstatSync(fd).mode & 0o777) !== 0o600) {
      closeSync(fd);
      throw new KeyFileError('RADGATE_KEY_FILE_MODE', `${path} exists with a mode other than 0600; remove it first or fix its mode`, path);
    }
    ftruncateSync(fd, 0);
    writeSync(fd, randomBytes(MASTER_KEY_LENGTH), 0, MASTER_KEY_LENGTH, 0);
  } finally {
    try {
      closeSync(fd);
    } catch {
      // Already closed on the mode error above.
    }
  }
}
