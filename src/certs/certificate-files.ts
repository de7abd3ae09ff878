/**
 * The files `radgate certs` writes and reads. Private keys are created with mode 0600 and
 * O_EXCL, as the master key is (keys/key-file.ts): the mode is set at creation, never
 * after, so the key is never readable by others, not even for a moment.
 */
import { constants, mkdirSync, openSync, closeSync, readFileSync, writeSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { RadgateError, type RadgateErrorCode } from '../errors.js';

/** A problem with a certificate, key or CRL file, naming the file; never holding key bytes. */
export class CertificateFileError extends RadgateError {
  override readonly name = 'CertificateFileError';
  constructor(code: Extract<RadgateErrorCode, `RADGATE_CERTS_${string}`>, message: string) {
    super(code, message);
  }
}

function write(path: string, text: string, mode: number, force: boolean): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  if (force) {
    try {
      // Removed, not truncated: a file of another mode is replaced by one of the right mode.
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unwritable(path, error);
    }
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CertificateFileError('RADGATE_CERTS_EXISTS', `${path} exists; give --force to replace it (peers that trust or use it must then be given the new one)`);
    }
    throw unwritable(path, error);
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

function unwritable(path: string, error: unknown): CertificateFileError {
  return new CertificateFileError('RADGATE_CERTS_UNWRITABLE', `cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
}

/** A private key: mode 0600 from its creation. */
export function writePrivateKey(path: string, pem: string, force: boolean): void {
  write(path, pem, 0o600, force);
}

/** A certificate or CRL: public, mode 0644. */
export function writePublicFile(path: string, pem: string, force: boolean): void {
  write(path, pem, 0o644, force);
}

/** A file's text, or an error that names it and says what `radgate certs` step makes it. */
export function readPemFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CertificateFileError('RADGATE_CERTS_UNREADABLE', `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
