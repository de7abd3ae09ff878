/**
 * Resolves a client's shared secret from exactly one of `secret`, `secret_file` or
 * `secret_env`. Nothing here ever puts a secret's value into a message.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ConfigErrorCode } from './errors.js';
import type { RawClient } from './schema.js';

/**
 * RFC 2865 §3: "It is preferred that the secret be at least 16 octets." Shorter ones fall
 * to offline guessing from one captured Access-Request.
 */
export const MIN_SECRET_LENGTH = 16;

/** A secret file larger than this is almost certainly the wrong file (a key, a log). */
const MAX_SECRET_FILE_BYTES = 4096;

const SECRET_KEYS = ['secret', 'secret_file', 'secret_env'] as const;
type SecretKey = (typeof SECRET_KEYS)[number];

export interface ResolvedSecret {
  readonly secret: Buffer;
  /** "inline", "file /etc/radgate/vpn1.secret" or "env VPN1_SECRET". */
  readonly source: string;
}

export interface SecretProblem {
  readonly code: ConfigErrorCode;
  /** The key the problem is about, relative to the client; undefined for the client itself. */
  readonly key: SecretKey | undefined;
  /** The key whose line locates the problem (may differ from `key`). */
  readonly lineKey: SecretKey | undefined;
  readonly problem: string;
}

export function resolveSecret(
  client: RawClient,
  baseDir: string,
  env: NodeJS.ProcessEnv,
): ResolvedSecret | SecretProblem {
  const given = SECRET_KEYS.filter((key) => client[key] !== undefined);
  const [key, second] = given;
  if (key === undefined) {
    return {
      code: 'RADGATE_CONFIG_INVALID',
      key: undefined,
      lineKey: undefined,
      problem: 'has no shared secret; set one of secret, secret_file or secret_env',
    };
  }
  if (second !== undefined) {
    return {
      code: 'RADGATE_CONFIG_INVALID',
      key: second,
      lineKey: second,
      problem: `set only one of secret, secret_file and secret_env (this client has ${given.join(' and ')})`,
    };
  }

  const read = readSecret(key, client, baseDir, env);
  if ('problem' in read) return read;

  if (read.secret.length === 0) {
    // RFC 2865 §3 has every packet's authenticator depend on the secret; an empty one
    // protects nothing, so allow_weak_secret does not cover it.
    return { code: 'RADGATE_CONFIG_SECRET', key, lineKey: key, problem: `${read.empty} is empty` };
  }
  if (!client.allow_weak_secret && countCharacters(read.secret) < MIN_SECRET_LENGTH) {
    return {
      code: 'RADGATE_CONFIG_SECRET',
      key: undefined,
      lineKey: key,
      problem: `shared secret is shorter than ${MIN_SECRET_LENGTH} characters; use a longer one or set allow_weak_secret: true`,
    };
  }
  return { secret: read.secret, source: read.source };
}

function readSecret(
  key: SecretKey,
  client: RawClient,
  baseDir: string,
  env: NodeJS.ProcessEnv,
): (ResolvedSecret & { empty: string }) | SecretProblem {
  switch (key) {
    case 'secret':
      return { secret: Buffer.from(client.secret ?? '', 'utf8'), source: 'inline', empty: 'the shared secret' };
    case 'secret_env': {
      const name = client.secret_env ?? '';
      const value = env[name];
      if (value === undefined) {
        return {
          code: 'RADGATE_CONFIG_SECRET',
          key,
          lineKey: key,
          problem: `environment variable ${name} is not set`,
        };
      }
      return { secret: Buffer.from(value, 'utf8'), source: `env ${name}`, empty: `environment variable ${name}` };
    }
    case 'secret_file': {
      const path = resolve(baseDir, client.secret_file ?? '');
      const contents = readSmallFile(path);
      if (typeof contents === 'string') {
        return { code: 'RADGATE_CONFIG_SECRET', key, lineKey: key, problem: `cannot read ${path}: ${contents}` };
      }
      return { secret: stripOneNewline(contents), source: `file ${path}`, empty: `secret file ${path}` };
    }
  }
}

/**
 * A secret file's bytes without its one trailing newline, or a short reason (an errno code)
 * it could not be used: for client secrets and the ops listener's credentials alike.
 */
export function readSecretFile(path: string): Buffer | string {
  const contents = readSmallFile(path);
  return typeof contents === 'string' ? contents : stripOneNewline(contents);
}

/** How big a file may be, and what it is (for the message when it is bigger). */
export interface FileBound {
  readonly maxBytes: number;
  readonly what: string;
  /**
   * A private key or PSKs: refused when group or others may read it, as the master key is
   * (keys/key-file.ts); a key others can read is a key to replace, not to start with.
   */
  readonly private?: boolean;
}

const SECRET_FILE: FileBound = { maxBytes: MAX_SECRET_FILE_BYTES, what: 'a shared secret' };

/** The file's bytes, or a short reason (an errno code) it could not be used. */
function readSmallFile(path: string): Buffer | string {
  return readBoundedFile(path, SECRET_FILE);
}

/**
 * The bytes of a regular file no larger than `bound.maxBytes`, or a short reason (an errno
 * code, or the size against the bound) it could not be used; never a byte of its content.
 */
export function readBoundedFile(path: string, bound: FileBound): Buffer | string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    return errnoCode(error);
  }
  try {
    const stat = fstatSync(fd);
    // A FIFO or device (/dev/zero, /dev/stdin) would block or never end.
    if (!stat.isFile()) return stat.isDirectory() ? 'EISDIR' : 'not a regular file';
    if (bound.private === true && (stat.mode & 0o077) !== 0) {
      return `its mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')} lets group or others read it; chmod 600 it (and replace the key if others may have read it)`;
    }
    if (stat.size > bound.maxBytes) {
      return `${stat.size} bytes is too large for ${bound.what} (at most ${bound.maxBytes})`;
    }
    const buffer = Buffer.alloc(stat.size);
    let filled = 0;
    while (filled < buffer.length) {
      const n = readSync(fd, buffer, filled, buffer.length - filled, filled);
      if (n === 0) break;
      filled += n;
    }
    return buffer.subarray(0, filled);
  } catch (error) {
    return errnoCode(error);
  } finally {
    closeSync(fd);
  }
}

/**
 * Editors and `echo secret > file` add a final newline the admin never meant as part of
 * the secret. Only one is removed: a secret may itself end in whitespace.
 */
function stripOneNewline(contents: Buffer): Buffer {
  const n = contents.length;
  if (n >= 2 && contents[n - 2] === 0x0d && contents[n - 1] === 0x0a) return contents.subarray(0, n - 2);
  if (n >= 1 && contents[n - 1] === 0x0a) return contents.subarray(0, n - 1);
  return contents;
}

export function countCharacters(secret: Buffer): number {
  return [...secret.toString('utf8')].length;
}

function errnoCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' ? code : 'unknown error';
}
